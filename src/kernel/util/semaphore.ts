interface Waiter {
  priority: number;
  grant: (release: () => void) => void;
  onQueued?: (position: number) => void;
  lastReported: number;
  detach: () => void;
}

/**
 * A counting semaphore: at most `max` holders. A freed slot goes to the waiter with the highest
 * priority, and among equal priorities to the oldest (FIFO), so nobody is overtaken by a peer.
 */
export class Semaphore {
  readonly max: number;
  private held = 0;
  private readonly queue: Waiter[] = [];

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`Semaphore max must be a whole number of at least 1; received ${String(max)}.`);
    }
    this.max = max;
  }

  /** Slots currently held. */
  get active(): number {
    return this.held;
  }

  /** Callers queued for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Waits for a slot and resolves with its release function (safe to call twice).
   * While queued, `onQueued` hears the 1-based position each time it changes;
   * aborting `signal` leaves the queue and rejects with the signal's reason. A waiter with a
   * higher `priority` (default 0) is queued ahead of every waiter with a lower one.
   */
  acquire(signal?: AbortSignal, onQueued?: (position: number) => void, priority = 0): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    // A free slot is only taken when nobody is queued, or a newcomer would overtake older waiters.
    if (this.held < this.max && this.queue.length === 0) {
      this.held += 1;
      return Promise.resolve(this.makeRelease());
    }
    return new Promise<() => void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index === -1) return;
        this.queue.splice(index, 1);
        waiter.detach();
        reject(signal?.reason);
        this.reportPositions(index);
      };
      const waiter: Waiter = {
        priority,
        grant: resolve,
        onQueued,
        lastReported: 0,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Behind every waiter of the same or a higher priority, ahead of the rest.
      let at = this.queue.length;
      while (at > 0 && this.queue[at - 1]!.priority < priority) at -= 1;
      this.queue.splice(at, 0, waiter);
      this.reportPositions(at);
    });
  }

  private makeRelease(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next === undefined) {
        this.held -= 1;
        return;
      }
      // The slot passes straight to the oldest waiter, so `held` is unchanged.
      next.detach();
      next.grant(this.makeRelease());
      this.reportPositions(0);
    };
  }

  /** Tells every waiter from `from` onwards its position, if it moved. */
  private reportPositions(from: number): void {
    for (let i = from; i < this.queue.length; i += 1) {
      const waiter = this.queue[i]!;
      const position = i + 1;
      if (waiter.lastReported === position || waiter.onQueued === undefined) continue;
      waiter.lastReported = position;
      try {
        waiter.onQueued(position);
      } catch {
        // A failing progress callback must not corrupt the queue.
      }
    }
  }
}
