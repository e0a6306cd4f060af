import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { safeWriter } from '../../../../src/plugins/console/safe-output.js';

/** A stream whose reader went away after `accepted` writes: later writes fail with EPIPE. */
function closingAfter(accepted: number): { stream: Writable; received: string[]; attempts: () => number } {
  const received: string[] = [];
  let attempts = 0;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      attempts++;
      if (attempts > accepted) return callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      received.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { stream, received, attempts: () => attempts };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('safeWriter', () => {
  it('swallows an EPIPE instead of letting it kill the process, reports it once, and drops what follows', async () => {
    const { stream, received, attempts } = closingAfter(1);
    const broken: Error[] = [];
    const write = safeWriter(stream, (error) => broken.push(error));
    write('one\n');
    write('two\n');
    await tick();
    for (let i = 0; i < 5; i++) write(`more ${i}\n`);
    await tick();
    expect(received).toEqual(['one\n']);
    expect(attempts()).toBe(2);
    expect(broken.map((error) => (error as NodeJS.ErrnoException).code)).toEqual(['EPIPE']);
  });

  it('never throws, even when write itself throws or the stream is already destroyed', () => {
    const throwing = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    throwing.write = () => {
      throw new Error('EBADF');
    };
    const reasons: string[] = [];
    const write = safeWriter(throwing, (error) => reasons.push(error.message));
    expect(() => write('x')).not.toThrow();
    expect(() => write('y')).not.toThrow();
    expect(reasons).toEqual(['EBADF']);

    const destroyed = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    destroyed.destroy();
    expect(() => safeWriter(destroyed)('z')).not.toThrow();
  });

  it('an onBroken that throws does not break the writer either', async () => {
    const { stream } = closingAfter(0);
    const write = safeWriter(stream, () => {
      throw new Error('reporting failed');
    });
    write('a');
    await tick();
    expect(() => write('b')).not.toThrow();
  });
});
