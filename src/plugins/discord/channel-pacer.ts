export interface ChannelPacerOptions {
  /** Message creates and edits allowed per channel per window (Discord: 5). */
  readonly limit?: number;
  /** Length of the window (Discord: 5000 ms). */
  readonly windowMs?: number;
  /** Added to every wait, for the time between Discord counting a write and us hearing back. */
  readonly marginMs?: number;
}

export interface PacedWrite {
  /**
   * Writes queued under the same key replace one another until one starts: only the newest
   * runs, and every caller waits for it. Use it for a message whose content is built when
   * its write starts (a lobby edit), so a burst of changes costs one write.
   */
  readonly key?: string;
}

interface Job {
  readonly key: string | undefined;
  write: () => Promise<unknown>;
  readonly done: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface Lane {
  readonly queue: Job[];
  /** When each write of the last window finished (a write counts until then: Discord saw it by that time). */
  readonly finished: number[];
  running: boolean;
}

/**
 * Keeps what the bot writes to each channel (posts and edits, threads being channels of
 * their own) under Discord's per-channel limit of 5 per 5 s, by counting rather than by
 * reading rate-limit headers: a strict server may not send them, and several processes
 * sharing one token share one bucket. Writes to one channel run one at a time, in order.
 */
export class ChannelPacer {
  private readonly lanes = new Map<string, Lane>();
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly marginMs: number;

  constructor(options: ChannelPacerOptions = {}) {
    this.limit = Math.max(1, options.limit ?? 5);
    this.windowMs = options.windowMs ?? 5000;
    this.marginMs = options.marginMs ?? 100;
  }

  /** Runs `write` once the channel has room; resolves or rejects with its outcome (or with that of the newer write that replaced it). */
  send<T>(channelId: string, write: () => Promise<T>, options: PacedWrite = {}): Promise<T> {
    this.forgetIdleLanes();
    let lane = this.lanes.get(channelId);
    if (!lane) {
      lane = { queue: [], finished: [], running: false };
      this.lanes.set(channelId, lane);
    }
    const waiting = options.key === undefined ? undefined : lane.queue.find((job) => job.key === options.key);
    if (waiting) {
      // Not started yet, so nothing older than this write will reach Discord after it.
      waiting.write = write;
      return waiting.done as Promise<T>;
    }
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<unknown>((res, rej) => ((resolve = res), (reject = rej)));
    lane.queue.push({ key: options.key, write, done, resolve, reject });
    if (!lane.running) void this.drain(lane);
    return done as Promise<T>;
  }

  /** Writes waiting or running, over all channels. */
  get pending(): number {
    let count = 0;
    for (const lane of this.lanes.values()) count += lane.queue.length + (lane.running ? 1 : 0);
    return count;
  }

  private async drain(lane: Lane): Promise<void> {
    lane.running = true;
    try {
      while (lane.queue.length > 0) {
        await sleep(this.wait(lane));
        const job = lane.queue.shift()!;
        try {
          job.resolve(await job.write());
        } catch (error) {
          job.reject(error);
        } finally {
          // A failed write counts too: Discord may have taken it before the failure reached us.
          lane.finished.push(Date.now());
        }
      }
    } finally {
      lane.running = false;
    }
  }

  /** How long until one more write fits in the channel's window. */
  private wait(lane: Lane): number {
    const now = Date.now();
    while (lane.finished.length > 0 && now - lane.finished[0]! >= this.windowMs + this.marginMs) lane.finished.shift();
    if (lane.finished.length < this.limit) return 0;
    return lane.finished[lane.finished.length - this.limit]! + this.windowMs + this.marginMs - now;
  }

  private forgetIdleLanes(): void {
    const now = Date.now();
    for (const [channelId, lane] of this.lanes) {
      const last = lane.finished.at(-1);
      if (!lane.running && lane.queue.length === 0 && (last === undefined || now - last >= this.windowMs + this.marginMs)) this.lanes.delete(channelId);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
