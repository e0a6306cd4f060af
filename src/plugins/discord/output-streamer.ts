/**
 * Where streamed lines go: one Discord message per call. `batch` says how
 * many pieces it holds and which numbered line it completes last (the
 * highest `seq` whose last piece it holds, and that line's text), for a
 * streamer that must resume after a restart.
 */
export type PostMessage = (content: string, batch: { readonly pieces: number; readonly lastSeq?: number; readonly lastLine?: string }) => Promise<void>;

/** A piece of a line waiting to be posted; the last piece of a numbered line carries its number. */
interface Piece {
  readonly text: string;
  readonly seq?: number;
  readonly line?: string;
}

export interface OutputStreamerOptions {
  /** At most this many characters per message (Discord allows 2000). */
  readonly maxChars?: number;
  /** Minimum time between two posts; 5 posts per 5 s is Discord's per-channel limit. */
  readonly intervalMs?: number;
  /** Told about a post that failed; its lines count as not delivered and streaming goes on. */
  readonly onError?: (error: unknown) => void;
}

/** "```\n" before and "\n```" after the lines. */
const FENCES = 8;

/**
 * Streams terraform's lines into a channel without losing one or tripping
 * the rate limit: lines are batched into code-block messages below the
 * size limit and posted no faster than one per interval.
 */
export class OutputStreamer {
  private readonly pending: Piece[] = [];
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
    private readonly options: OutputStreamerOptions = {},
  ) {
    this.maxChars = Math.max(FENCES + 2, options.maxChars ?? 1900);
    this.intervalMs = options.intervalMs ?? 1100;
  }

  /** Queues a line; `seq` (its number among the session's persisted lines) is reported to `post` once it is out. */
  push(line: string, seq?: number): void {
    if (this.ended) throw new Error('OutputStreamer: push after end');
    // A line longer than a message is split (never inside a surrogate pair), so nothing is dropped.
    const room = this.maxChars - FENCES;
    let start = 0;
    do {
      let end = Math.min(line.length, start + room);
      if (end < line.length && end - start > 1 && isHighSurrogate(line.charCodeAt(end - 1))) end--;
      const last = end >= line.length;
      this.pending.push(last && seq !== undefined ? { text: line.slice(start, end), seq, line } : { text: line.slice(start, end) });
      this.produced++;
      start = end;
    } while (start < line.length);
    this.loop ??= this.drain();
  }

  /** Flushes everything still pending; resolves when the last message is posted. */
  async end(): Promise<void> {
    this.ended = true;
    if (this.pending.length > 0) this.loop ??= this.drain();
    await this.loop;
  }

  /** Posts a message of its own (e.g. a summary) after every pending line, keeping the pace. */
  async postLast(content: string): Promise<void> {
    await this.end();
    await sleep(Math.max(0, this.lastPost + this.intervalMs - Date.now()));
    this.lastPost = Date.now();
    await this.post(content, { pieces: 0 });
  }

  /** Posts batches until nothing is pending; only started with something pending. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const wait = this.lastPost + this.intervalMs - Date.now();
      // Give more lines a moment to arrive, so messages are fuller and fewer.
      await sleep(Math.max(wait, this.ended ? 0 : Math.min(this.intervalMs, 300)));
      // Every piece fits alone (push cuts them to maxChars - FENCES); more follow after a newline.
      const batch: Piece[] = [this.pending.shift()!];
      let size = FENCES + batch[0]!.text.length;
      while (this.pending.length > 0 && size + 1 + this.pending[0]!.text.length <= this.maxChars) {
        const next = this.pending.shift()!;
        batch.push(next);
        size += 1 + next.text.length;
      }
      this.lastPost = Date.now();
      const numbered = batch.filter((piece) => piece.seq !== undefined).at(-1);
      try {
        const content = `\`\`\`\n${batch.map((piece) => piece.text).join('\n').replace(/\`\`\`/g, 'ˋˋˋ')}\n\`\`\``;
        await this.post(content, { pieces: batch.length, ...(numbered ? { lastSeq: numbered.seq!, lastLine: numbered.line! } : {}) });
        this.delivered += batch.length;
      } catch (error) {
        // Those lines are lost (the summary's count says so); the rest still streams.
        this.options.onError?.(error);
      }
    }
    this.loop = undefined;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
