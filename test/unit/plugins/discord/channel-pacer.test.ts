import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChannelPacer } from '../../../../src/plugins/discord/channel-pacer.js';

/** Writes as Discord sees them: which channel, what, and when they finished. */
function discord(latencyMs = 0) {
  const writes: { channel: string; what: string; at: number }[] = [];
  const write = (channel: string, what: string) => async () => {
    if (latencyMs) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    writes.push({ channel, what, at: Date.now() });
    return what;
  };
  /** The most writes to one channel within any `windowMs` span. */
  const busiest = (channel: string, windowMs = 5000) => {
    const times = writes.filter((entry) => entry.channel === channel).map((entry) => entry.at);
    let most = 0;
    for (let first = 0, last = 0; last < times.length; last++) {
      while (times[last]! - times[first]! >= windowMs) first++;
      most = Math.max(most, last - first + 1);
    }
    return most;
  };
  return { writes, write, busiest };
}

describe('ChannelPacer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('twelve writes at once to one channel: five go at once, the rest at most five per 5 s, in the order given', async () => {
    const pacer = new ChannelPacer({ marginMs: 0 });
    const server = discord();
    const sent = Promise.all(Array.from({ length: 12 }, (_, index) => pacer.send('c1', server.write('c1', `w${index}`))));
    await vi.advanceTimersByTimeAsync(0);
    expect(server.writes).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(4999);
    expect(server.writes).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.writes).toHaveLength(10);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await sent).toEqual(Array.from({ length: 12 }, (_, index) => `w${index}`));
    expect(server.writes.map((entry) => entry.what)).toEqual(Array.from({ length: 12 }, (_, index) => `w${index}`));
    expect(server.busiest('c1')).toBe(5);
  });

  it('channels are paced apart: a full channel does not hold back another one (a thread is a channel of its own)', async () => {
    const pacer = new ChannelPacer();
    const server = discord();
    for (let index = 0; index < 6; index++) void pacer.send('lobbies', server.write('lobbies', `edit${index}`));
    const thread = Promise.all([0, 1, 2].map((index) => pacer.send('thread', server.write('thread', `line${index}`))));
    await vi.advanceTimersByTimeAsync(0);
    expect(await thread).toEqual(['line0', 'line1', 'line2']);
    expect(server.writes.filter((entry) => entry.channel === 'lobbies')).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(6000);
    expect(server.writes.filter((entry) => entry.channel === 'lobbies')).toHaveLength(6);
  });

  it('a slow write counts from when it finished: the next window starts then, so Discord never sees six in 5 s', async () => {
    const pacer = new ChannelPacer({ marginMs: 0 });
    // Each write takes 700 ms to reach Discord and come back.
    const server = discord(700);
    const sent = Promise.all(Array.from({ length: 11 }, (_, index) => pacer.send('c1', server.write('c1', `w${index}`))));
    await vi.advanceTimersByTimeAsync(30_000);
    await sent;
    expect(server.writes).toHaveLength(11);
    expect(server.busiest('c1')).toBeLessThanOrEqual(5);
  });

  it('writes under one key replace each other while waiting: only the newest runs, every caller gets its outcome, and nothing older follows it', async () => {
    const pacer = new ChannelPacer({ marginMs: 0 });
    const server = discord();
    for (let index = 0; index < 5; index++) void pacer.send('c1', server.write('c1', `other${index}`));
    // The channel is full: three states of one lobby arrive while they wait.
    const states = ['lobby v1', 'lobby v2', 'lobby v3'].map((state) => pacer.send('c1', server.write('c1', state), { key: 'lobby:s1' }));
    const another = pacer.send('c1', server.write('c1', 'lobby of s2'), { key: 'lobby:s2' });
    await vi.advanceTimersByTimeAsync(5000);
    expect(await Promise.all(states)).toEqual(['lobby v3', 'lobby v3', 'lobby v3']);
    expect(await another).toBe('lobby of s2');
    expect(server.writes.map((entry) => entry.what).slice(5)).toEqual(['lobby v3', 'lobby of s2']);
  });

  it('a write under a key that is already running is not merged into it: it runs after, so the newest state is the last one sent', async () => {
    const pacer = new ChannelPacer({ marginMs: 0 });
    const server = discord(100);
    const first = pacer.send('c1', server.write('c1', 'v1'), { key: 'lobby:s1' });
    await vi.advanceTimersByTimeAsync(50);
    const second = pacer.send('c1', server.write('c1', 'v2'), { key: 'lobby:s1' });
    await vi.advanceTimersByTimeAsync(1000);
    expect([await first, await second]).toEqual(['v1', 'v2']);
    expect(server.writes.map((entry) => entry.what)).toEqual(['v1', 'v2']);
  });

  it('a failed write rejects its caller only, still counts against the window, and the queue goes on', async () => {
    const pacer = new ChannelPacer({ limit: 2, windowMs: 1000, marginMs: 0 });
    const server = discord();
    const failed = pacer.send('c1', async () => {
      throw new Error('Discord said no');
    });
    const rest = Promise.all([pacer.send('c1', server.write('c1', 'a')), pacer.send('c1', server.write('c1', 'b'))]);
    await expect(failed).rejects.toThrow('Discord said no');
    await vi.advanceTimersByTimeAsync(0);
    expect(server.writes.map((entry) => entry.what)).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await rest).toEqual(['a', 'b']);
    expect(pacer.pending).toBe(0);
  });
});
