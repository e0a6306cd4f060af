import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputStreamer } from '../../../../src/plugins/discord/output-streamer.js';

/** A post function that records what was posted and when. */
function recorder(options: { failOn?: number } = {}) {
  const posts: { content: string; at: number }[] = [];
  let calls = 0;
  const post = async (content: string) => {
    calls++;
    if (calls === options.failOn) throw new Error('Discord said no');
    posts.push({ content, at: Date.now() });
  };
  return { posts, post };
}

/** The lines inside the code blocks, in order. */
function linesOf(posts: readonly { content: string }[]): string[] {
  return posts.flatMap(({ content }) => {
    expect(content.startsWith('```\n') && content.endsWith('\n```')).toBe(true);
    return content.slice(4, -4).split('\n');
  });
}

/** Fails instead of hanging when `promise` does not settle in time. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('OutputStreamer', () => {
  it('batches many short lines into few code-block messages, each within maxChars, in order', async () => {
    const { posts, post } = recorder();
    const streamer = new OutputStreamer(post, { maxChars: 200, intervalMs: 5 });
    const lines = Array.from({ length: 100 }, (_, index) => `line ${String(index).padStart(3, '0')} ${'x'.repeat(20)}`);
    for (const line of lines) streamer.push(line);
    await within(5000, streamer.end(), 'end()');
    expect(linesOf(posts)).toEqual(lines);
    for (const { content } of posts) expect(content.length).toBeLessThanOrEqual(200);
    // 100 lines of 29 characters, 6 to a 200-character message.
    expect(posts.length).toBeLessThan(25);
    expect(posts.length).toBeGreaterThanOrEqual(Math.ceil((100 * 30) / 200));
    expect({ produced: streamer.produced, delivered: streamer.delivered }).toEqual({ produced: 100, delivered: 100 });
  });

  it('splits a line longer than a message into pieces that each fit, losing nothing', async () => {
    const { posts, post } = recorder();
    const streamer = new OutputStreamer(post, { maxChars: 200, intervalMs: 1 });
    const long = Array.from({ length: 1000 }, (_, index) => String.fromCharCode(97 + (index % 26))).join('');
    streamer.push('before');
    streamer.push(long);
    streamer.push('after');
    await within(5000, streamer.end(), 'end()');
    for (const { content } of posts) {
      expect(content.length).toBeLessThanOrEqual(200);
      expect(content).not.toBe('```\n\n```');
    }
    const received = linesOf(posts);
    expect(received[0]).toBe('before');
    expect(received.at(-1)).toBe('after');
    expect(received.slice(1, -1).join('')).toBe(long);
    expect(streamer.delivered).toBe(streamer.produced);
  });

  it('delivers a line of exactly the largest piece size (maxChars - 8) without looping on empty messages', async () => {
    const { posts, post } = recorder();
    const streamer = new OutputStreamer(post, { maxChars: 100, intervalMs: 1 });
    streamer.push('y'.repeat(92));
    streamer.push('z'.repeat(300));
    await within(3000, streamer.end(), 'end()');
    for (const { content } of posts) expect(content.length).toBeLessThanOrEqual(100);
    expect(linesOf(posts).join('')).toBe(`${'y'.repeat(92)}${'z'.repeat(300)}`);
    expect(streamer.delivered).toBe(streamer.produced);
  });

  it('never splits a surrogate pair when cutting a long line', async () => {
    const { posts, post } = recorder();
    const streamer = new OutputStreamer(post, { maxChars: 50, intervalMs: 1 });
    const emoji = '🚀'.repeat(100); // 200 UTF-16 units
    streamer.push(emoji);
    await within(3000, streamer.end(), 'end()');
    const pieces = linesOf(posts);
    for (const piece of pieces) expect(piece).toMatch(/^(🚀)+$/u);
    expect(pieces.join('')).toBe(emoji);
  });

  it('with small intervals, keeps posts at least intervalMs apart: never 6 posts inside 5 intervals', async () => {
    const { posts, post } = recorder();
    const intervalMs = 25;
    const streamer = new OutputStreamer(post, { maxChars: 60, intervalMs });
    // Lines keep arriving faster than the streamer may post.
    for (let index = 0; index < 40; index++) {
      streamer.push(`line ${index} ${'.'.repeat(30)}`);
      if (index % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await within(10_000, streamer.end(), 'end()');
    expect(posts.length).toBeGreaterThanOrEqual(20);
    for (let index = 1; index < posts.length; index++) expect(posts[index]!.at - posts[index - 1]!.at).toBeGreaterThanOrEqual(intervalMs - 1);
    // Discord's limit scaled: 5 posts per 5 s with 1.1 s intervals ≈ 5 posts per 4.5 intervals here.
    for (let index = 5; index < posts.length; index++) expect(posts[index]!.at - posts[index - 5]!.at).toBeGreaterThanOrEqual(4.5 * intervalMs);
    expect(linesOf(posts)).toHaveLength(40);
  });

  it('with the default settings, never posts more than 5 messages in any 5 seconds', async () => {
    vi.useFakeTimers();
    const { posts, post } = recorder();
    const streamer = new OutputStreamer(post);
    // A busy apply: 4 lines a second for a minute.
    for (let second = 0; second < 60; second++) {
      for (let index = 0; index < 4; index++) streamer.push(`t=${second}s line ${index} ${'-'.repeat(600)}`);
      await vi.advanceTimersByTimeAsync(1000);
    }
    const ended = streamer.end();
    await vi.advanceTimersByTimeAsync(120_000);
    await ended;
    expect(linesOf(posts)).toHaveLength(240);
    for (let index = 5; index < posts.length; index++) expect(posts[index]!.at - posts[index - 5]!.at).toBeGreaterThanOrEqual(5000);
    for (const { content } of posts) expect(content.length).toBeLessThanOrEqual(2000);
  });

  it('end() flushes every pending line at once and resolves after the last post; pushing afterwards is an error', async () => {
    const { posts, post } = recorder();
    const streamer = new OutputStreamer(post, { maxChars: 120, intervalMs: 10 });
    const lines = Array.from({ length: 30 }, (_, index) => `pending ${index}`);
    for (const line of lines) streamer.push(line);
    await within(5000, streamer.end(), 'end()');
    expect(linesOf(posts)).toEqual(lines);
    expect(streamer.delivered).toBe(30);
    expect(() => streamer.push('late')).toThrow(/after end/);
    await within(1000, streamer.end(), 'a second end()');
  });

  it('postLast() posts its message after every pending line, keeping the interval, as is (no code block)', async () => {
    const { posts, post } = recorder();
    const intervalMs = 40;
    const streamer = new OutputStreamer(post, { maxChars: 50, intervalMs });
    for (let index = 0; index < 6; index++) streamer.push(`line ${index} ${'.'.repeat(30)}`);
    await within(5000, streamer.postLast('**Applied** — Output lines: 6/6 delivered.'), 'postLast()');
    expect(posts.at(-1)!.content).toBe('**Applied** — Output lines: 6/6 delivered.');
    expect(linesOf(posts.slice(0, -1))).toHaveLength(6);
    for (let index = 1; index < posts.length; index++) expect(posts[index]!.at - posts[index - 1]!.at).toBeGreaterThanOrEqual(intervalMs - 1);
  });

  it('end() without any line posts nothing', async () => {
    const { posts, post } = recorder();
    const streamer = new OutputStreamer(post, { intervalMs: 1 });
    await within(1000, streamer.end(), 'end()');
    expect(posts).toEqual([]);
    expect({ produced: streamer.produced, delivered: streamer.delivered }).toEqual({ produced: 0, delivered: 0 });
  });

  it('neutralises ``` inside lines so output cannot close the code block', async () => {
    const { posts, post } = recorder();
    const streamer = new OutputStreamer(post, { intervalMs: 1 });
    streamer.push('echo "```"; rm -rf /');
    streamer.push('````four');
    streamer.push('``');
    streamer.push('`');
    await within(1000, streamer.end(), 'end()');
    const text = posts.map((p) => p.content).join('\n');
    // Only the streamer's own fences remain.
    expect(text.match(/```/g)).toHaveLength(2 * posts.length);
    expect(linesOf(posts)).toEqual(['echo "ˋˋˋ"; rm -rf /', 'ˋˋˋ`four', '``', '`']);
  });

  it('a failed post costs its lines but neither the stream nor the process: later lines still arrive and the count says so', async () => {
    const { posts, post } = recorder({ failOn: 1 });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const streamer = new OutputStreamer(post, { maxChars: 100, intervalMs: 5 });
      streamer.push('lost with the first post');
      await new Promise((resolve) => setTimeout(resolve, 400));
      streamer.push('kept');
      await within(3000, streamer.end(), 'end()');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(linesOf(posts)).toEqual(['kept']);
      expect({ produced: streamer.produced, delivered: streamer.delivered }).toEqual({ produced: 2, delivered: 1 });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('tells each post how many pieces it holds and the last numbered line it completes (a line split across posts counts where it ends)', async () => {
    const batches: { pieces: number; lastSeq?: number; lastLine?: string }[] = [];
    const streamer = new OutputStreamer(async (_content, batch) => void batches.push(batch), { maxChars: 60, intervalMs: 1 });
    streamer.push('first', 1);
    streamer.push('x'.repeat(120), 2);
    streamer.push('unnumbered');
    await within(5000, streamer.end(), 'end()');
    await streamer.postLast('summary');
    // Pieces of at most 52 characters (60 less the fences): 'first'; line 2's first and second pieces, each a post
    // of its own; its last piece with 'unnumbered', which completes line 2; the summary.
    expect(batches).toEqual([
      { pieces: 1, lastSeq: 1, lastLine: 'first' },
      { pieces: 1 },
      { pieces: 1 },
      { pieces: 2, lastSeq: 2, lastLine: 'x'.repeat(120) },
      { pieces: 0 },
    ]);
  });
});
