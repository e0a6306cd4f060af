/** Where streamed lines go: one Discord message per call. */
export type PostMessage = (content: string) => Promise<void>;

export interface OutputStreamerOptions {
  /** At most this many characters per message (Discord allows 2000). */
  readonly maxChars?: number;
  /** Minimum time between two posts; 5 posts per 5 s is Discord's per-channel limit. */
  readonly intervalMs?: number;
}

/**
 * Streams terraform's lines into a channel without losing one or tripping
 * the rate limit: lines are batched into code-block messages below the
 * size limit and posted no faster than one per interval.
 */
export class OutputStreamer {
  private readonly pending: string[] = [];
  private readonly maxChars: number;
  private readonly intervalMs: number;
  private loop: Promise<void> | undefined;
  private lastPost = 0;
  private ended = false;
  /** Line pieces handed in and delivered (a line longer than a message counts per piece). */
  produced = 0;
  delivered = 0;

  constructor(
    private readonly post: PostMessage,
    options: OutputStreamerOptions = {},
  ) {
    this.maxChars = options.maxChars ?? 1900;
    this.intervalMs = options.intervalMs ?? 1100;
  }

  push(line: string): void {
    if (this.ended) throw new Error('OutputStreamer: push after end');
    // A line longer than a message is split, so nothing is dropped.
    const room = this.maxChars - 8;
    for (let start = 0; start < Math.max(1, line.length); start += room) {
      this.pending.push(line.slice(start, start + room));
      this.produced++;
    }
    this.loop ??= this.drain();
  }

  /** Flushes everything still pending; resolves when the last message is posted. */
  async end(): Promise<void> {
    this.ended = true;
    this.loop ??= this.drain();
    await this.loop;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const wait = this.lastPost + this.intervalMs - Date.now();
        // Give more lines a moment to arrive, so messages are fuller and fewer.
        await sleep(Math.max(wait, this.ended ? 0 : Math.min(this.intervalMs, 300)));
        const batch: string[] = [];
        let size = 8; // the code fence
        while (this.pending.length > 0 && size + this.pending[0]!.length + 1 <= this.maxChars) {
          const next = this.pending.shift()!;
          batch.push(next);
          size += next.length + 1;
        }
        this.lastPost = Date.now();
        await this.post(`\`\`\`\n${batch.join('\n').replace(/```/g, 'ˋˋˋ')}\n\`\`\``);
        this.delivered += batch.length;
      }
    } finally {
      this.loop = undefined;
    }
    if (this.pending.length > 0) this.loop = this.drain();
    await this.loop;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
