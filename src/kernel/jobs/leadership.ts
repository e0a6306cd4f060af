import pg from 'pg';
import type { Logger } from '../logger.js';

/** How often a standby asks for the lead: a leader that died is replaced within this (and its connection's end). */
export const CAMPAIGN_INTERVAL_MS = 5_000;

/**
 * One leader among the processes on one database for each named duty (the
 * Discord gateway connection): a session-level PostgreSQL advisory lock, held
 * on a connection of its own for as long as the process leads. When the
 * leader dies its connection ends and the lock with it, and a standby, asking
 * every few seconds, takes over.
 */
export class Leadership {
  private readonly clients = new Set<pg.Client>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly intervalMs = CAMPAIGN_INTERVAL_MS,
  ) {}

  /** Runs `lead` once this process holds the lead for `duty`; asks again every few seconds until it does. Returns at once. */
  campaign(duty: string, lead: () => Promise<void>): void {
    const attempt = async () => {
      if (this.closed) return;
      const client = new pg.Client({ connectionString: this.url, application_name: `cloud-engine-lead:${duty}`.slice(0, 63) });
      try {
        await client.connect();
        const [row] = (await client.query<{ led: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS led', [`cloud-engine:lead:${duty}`])).rows;
        if (!row?.led || this.closed) {
          await client.end();
          return this.later(attempt);
        }
        this.clients.add(client);
        client.on('error', (error) => this.logger.error({ err: error, duty }, 'lost the connection that holds the lead; another process may take it over'));
        this.logger.info({ duty }, 'leading');
        await lead();
      } catch (error) {
        this.clients.delete(client);
        await client.end().catch(() => undefined);
        this.logger.warn({ err: error, duty }, 'could not take the lead; trying again');
        this.later(attempt);
      }
    };
    void attempt();
  }

  /** Gives up every lead held (the locks go with their connections) and stops asking. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.clients].map((client) => client.end().catch(() => undefined)));
    this.clients.clear();
  }

  private later(attempt: () => Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void attempt();
    }, this.intervalMs);
    timer.unref();
    this.timers.add(timer);
  }
}
