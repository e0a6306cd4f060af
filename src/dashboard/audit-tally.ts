import type { AuditEvent, AuditLog } from '../kernel/audit/audit-log.js';

/** How far back each read looks again: an event committed late (PostgreSQL) with an earlier time is still seen once. */
const LOOK_BACK_MS = 60_000;

/**
 * Counts one audit action recorded since `since`, read at each scrape: for
 * what the kernel audits but announces with no event (a drift check ends as
 * `deployment.driftChecked` in the trail only). Each event is counted once,
 * by id; every process sharing the database counts every event.
 */
export class AuditTally {
  private readSince: Date;
  /** Ids counted in the look-back window, with their time. */
  private readonly counted = new Map<number, number>();

  constructor(
    private readonly audit: Pick<AuditLog, 'list'>,
    private readonly action: string,
    private readonly since: Date = new Date(),
  ) {
    this.readSince = since;
  }

  /** The events recorded since the last call (the first: since `since`), each once. */
  async fresh(now: Date = new Date()): Promise<AuditEvent[]> {
    const events = await this.audit.list({ action: this.action, since: this.readSince });
    const fresh = events.filter((event) => event.at.getTime() >= this.since.getTime() && !this.counted.has(event.id));
    for (const event of fresh) this.counted.set(event.id, event.at.getTime());
    const from = Math.max(this.since.getTime(), now.getTime() - LOOK_BACK_MS);
    this.readSince = new Date(from);
    for (const [id, at] of this.counted) if (at < from) this.counted.delete(id);
    return fresh;
  }
}
