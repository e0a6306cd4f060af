import { describe, expect, it } from 'vitest';
import { Semaphore } from '../../../../src/kernel/util/semaphore.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('Semaphore', () => {
  it('lets callers in up to the cap and queues the rest', async () => {
    const sem = new Semaphore(2);
    await sem.acquire();
    await sem.acquire();
    let third = false;
    void sem.acquire().then(() => (third = true));
    await tick();
    expect(sem.active).toBe(2);
    expect(sem.waiting).toBe(1);
    expect(third).toBe(false);
  });

  it('hands freed slots to waiters in the order they arrived', async () => {
    const sem = new Semaphore(1);
    const first = await sem.acquire();
    const order: string[] = [];
    const waiters = ['b', 'c', 'd'].map((name) =>
      sem.acquire().then((release) => {
        order.push(name);
        return release;
      }),
    );
    first();
    (await waiters[0]!)();
    (await waiters[1]!)();
    (await waiters[2]!)();
    expect(order).toEqual(['b', 'c', 'd']);
    expect(sem.active).toBe(0);
  });

  it('does not let a newcomer overtake a waiter when a slot frees', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const order: string[] = [];
    const queued = sem.acquire().then(() => order.push('queued'));
    release();
    const newcomer = sem.acquire().then(() => order.push('newcomer'));
    await queued;
    await tick();
    expect(order).toEqual(['queued']);
    expect(sem.waiting).toBe(1);
    void newcomer;
  });

  it('never exceeds its cap under many concurrent tasks', async () => {
    const sem = new Semaphore(3);
    let inside = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 25 }, async (_, i) => {
        const release = await sem.acquire();
        inside += 1;
        peak = Math.max(peak, inside);
        await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5));
        inside -= 1;
        release();
      }),
    );
    expect(peak).toBe(3);
    expect(sem.active).toBe(0);
  });

  it('frees only one slot when a release function is called twice', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const b = sem.acquire();
    const c = sem.acquire();
    release();
    release();
    await b;
    await tick();
    expect(sem.active).toBe(1);
    expect(sem.waiting).toBe(1);
    void c;
  });

  it('reports each waiter its 1-based position whenever it moves up', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const seen: Record<string, number[]> = { b: [], c: [], d: [] };
    const b = sem.acquire(undefined, (p) => seen.b!.push(p));
    const c = sem.acquire(undefined, (p) => seen.c!.push(p));
    const d = sem.acquire(undefined, (p) => seen.d!.push(p));
    release();
    (await b)();
    (await c)();
    (await d)();
    expect(seen).toEqual({ b: [1], c: [2, 1], d: [3, 2, 1] });
  });

  it('removes an aborted waiter, rejects with the signal reason and moves the others up', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const controller = new AbortController();
    const cPositions: number[] = [];
    const b = sem.acquire(controller.signal);
    const c = sem.acquire(undefined, (p) => cPositions.push(p));
    const reason = new Error('user pressed cancel');
    controller.abort(reason);
    await expect(b).rejects.toBe(reason);
    expect(sem.waiting).toBe(1);
    expect(cPositions).toEqual([2, 1]);
    release();
    (await c)();
    expect(sem.active).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const sem = new Semaphore(1);
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(sem.acquire(controller.signal)).rejects.toThrow('too late');
    expect(sem.active).toBe(0);
  });

  it('queues a higher priority ahead of lower ones, FIFO among equals, and tells the overtaken their new place', async () => {
    const sem = new Semaphore(1);
    const release = await sem.acquire();
    const order: string[] = [];
    const positions: Record<string, number[]> = { plan1: [], plan2: [], apply1: [], apply2: [] };
    const take = (name: string, priority: number) =>
      sem.acquire(undefined, (p) => positions[name]!.push(p), priority).then((done) => {
        order.push(name);
        return done;
      });
    const plan1 = take('plan1', 0);
    const plan2 = take('plan2', 0);
    const apply1 = take('apply1', 1);
    const apply2 = take('apply2', 1);
    expect(sem.waiting).toBe(4);
    release();
    for (const next of [apply1, apply2, plan1, plan2]) (await next)();
    expect(order).toEqual(['apply1', 'apply2', 'plan1', 'plan2']);
    expect(positions).toEqual({ plan1: [1, 2, 3, 2, 1], plan2: [2, 3, 4, 3, 2, 1], apply1: [1], apply2: [2, 1] });
    expect(sem.active).toBe(0);
  });

  it('refuses a cap below one', () => {
    expect(() => new Semaphore(0)).toThrow(/at least 1/);
  });
});
