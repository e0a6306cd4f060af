import type { Logger } from '../../kernel/logger.js';

/**
 * Work the bot runs after an interaction was answered (lobby edits, plans
 * started by a form): a failure is logged, never thrown at Discord, and
 * shutdown and tests can wait until all of it is done.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly logger: Logger) {}

  track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.logger.error({ err: error }, 'discord interaction failed'));
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  /** Resolves when everything tracked so far, and what it started meanwhile, has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Waits for what is running now (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
