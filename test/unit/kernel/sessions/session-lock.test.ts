import { describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { SessionLocks } from '../../../../src/kernel/sessions/session-lock.js';

/** A promise the test resolves or rejects by hand, to hold a lock for as long as it needs. */
function gate<T = void>() {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe('SessionLocks', () => {
  it('rejects a second run on a busy session with LOCKED naming the holder\'s operation and user', async () => {
    const locks = new SessionLocks();
    const held = gate<string>();
    const first = locks.run('s-1', 'apply', 'alice', () => held.promise);

    const error = await locks.run('s-1', 'plan', 'bob', async () => 'never').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CloudEngineError);
    const { code, message, details } = error as CloudEngineError;
    expect(code).toBe('LOCKED');
    expect(message).toContain('s-1');
    expect(message).toContain('apply started by alice');
    expect(message).toMatch(/Wait for it to finish/);
    expect(details).toMatchObject({ sessionId: 's-1', operation: 'apply', holder: 'alice' });

    held.open('done');
    expect(await first).toBe('done');
  });

  it('does not run the second caller\'s work at all', async () => {
    const locks = new SessionLocks();
    const held = gate();
    const first = locks.run('s-1', 'apply', 'alice', () => held.promise);
    let ran = false;
    await locks
      .run('s-1', 'plan', 'bob', async () => {
        ran = true;
      })
      .catch(() => undefined);
    expect(ran).toBe(false);
    held.open();
    await first;
  });

  it('runs different sessions concurrently', async () => {
    const locks = new SessionLocks();
    const a = gate<string>();
    const b = gate<string>();
    const runA = locks.run('s-a', 'apply', 'alice', () => a.promise);
    const runB = locks.run('s-b', 'apply', 'alice', () => b.promise);
    expect(locks.holder('s-a')?.operation).toBe('apply');
    expect(locks.holder('s-b')?.operation).toBe('apply');
    b.open('b');
    a.open('a');
    expect(await Promise.all([runA, runB])).toEqual(['a', 'b']);
  });

  it('shows the holder while the work runs and clears it after', async () => {
    const locks = new SessionLocks();
    const held = gate();
    const run = locks.run('s-1', 'plan', 'alice', () => held.promise);
    expect(locks.holder('s-1')).toMatchObject({ operation: 'plan', userId: 'alice' });
    expect(locks.holder('s-1')!.since).toBeInstanceOf(Date);
    held.open();
    await run;
    expect(locks.holder('s-1')).toBeUndefined();
  });

  it('releases the lock when the work throws, passing the error through unchanged', async () => {
    const locks = new SessionLocks();
    const failure = new Error('terraform crashed');
    await expect(locks.run('s-1', 'apply', 'alice', async () => Promise.reject(failure))).rejects.toBe(failure);
    expect(locks.holder('s-1')).toBeUndefined();
    await expect(locks.run('s-1', 'apply', 'bob', async () => 'second try')).resolves.toBe('second try');
  });

  it('releases the lock when the work throws synchronously', async () => {
    const locks = new SessionLocks();
    const work = (() => {
      throw new Error('sync failure');
    }) as () => Promise<never>;
    await expect(locks.run('s-1', 'apply', 'alice', work)).rejects.toThrow('sync failure');
    expect(locks.holder('s-1')).toBeUndefined();
  });

  it('lets the next run start once the first finishes', async () => {
    const locks = new SessionLocks();
    await locks.run('s-1', 'plan', 'alice', async () => undefined);
    await expect(locks.run('s-1', 'apply', 'bob', async () => 'ok')).resolves.toBe('ok');
  });
});
