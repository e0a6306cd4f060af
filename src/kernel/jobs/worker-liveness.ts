import { LessThan } from 'typeorm';
import type { Logger } from '../logger.js';
import type { Database } from '../persistence/database.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { KernelProcessEntity } from '../persistence/entities/kernel-process.entity.js';
import { ownerGone, parseOwner } from '../sessions/process-owner.js';
import type { PgBossJobs } from './pg-boss-jobs.js';

/** How often each process says it is alive, and how long unheard before it counts as lost. */
export const LIVENESS = { heartbeatMs: 5_000, lostAfterMs: 20_000 } as const;

/**
 * Heartbeats and the sweep for lost workers, in every process on the job
 * queue. Each writes its `kernel_processes` row every few seconds; each
 * sweeps for sessions busy in a process not heard from for `lostAfterMs`
 * (or, on this host, one whose pid is gone): a plan goes back to be planned
 * again — its job failed, so pg-boss gives it to another worker — and an
 * apply ends FAILED ("worker lost during apply"), its job failed for good.
 * Of several sweepers, the one whose transition wins fails the job.
 */
export class WorkerLiveness {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly ownerId: string,
    private readonly role: string,
    private readonly jobs: PgBossJobs,
    private readonly recoverLost: (lost: (owner: string) => boolean) => Promise<CloudSessionEntity[]>,
    private readonly logger: Logger,
    private readonly timing: { heartbeatMs: number; lostAfterMs: number } = LIVENESS,
  ) {}

  async start(): Promise<void> {
    const now = new Date();
    await this.db.manager.upsert(KernelProcessEntity, { id: this.ownerId, role: this.role, startedAt: now, seenAt: now }, ['id']);
    this.timer = setInterval(() => {
      this.ticking = this.ticking.then(() => this.tick()).catch((error: unknown) => this.logger.warn({ err: error }, 'liveness tick failed'));
    }, this.timing.heartbeatMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await this.db.manager.delete(KernelProcessEntity, { id: this.ownerId }).catch(() => undefined);
  }

  /** Resolves the sessions of lost workers now; returns them. */
  async sweep(now = new Date()): Promise<CloudSessionEntity[]> {
    const rows = await this.db.manager.find(KernelProcessEntity);
    const seen = new Map(rows.map((row) => [row.id, row.seenAt.getTime()]));
    const lost = (owner: string) => {
      const at = seen.get(owner);
      // Unknown (it never heartbeat, or left): lost only when provably gone, a dead pid on this host.
      return at === undefined ? ownerGone(parseOwner(owner)) : at < now.getTime() - this.timing.lostAfterMs;
    };
    const resolved = await this.recoverLost(lost);
    for (const session of resolved) {
      await this.jobs.failRunning(session.id, session.error ?? 'worker lost').catch((error: unknown) => this.logger.error({ err: error, sessionId: session.id }, 'could not fail the lost job'));
      this.logger.warn({ sessionId: session.id, owner: session.operationOwner, state: session.state }, 'worker lost: session resolved');
    }
    // Rows of processes long gone are dropped (an hour: their sessions were resolved long since).
    await this.db.manager.delete(KernelProcessEntity, { seenAt: LessThan(new Date(now.getTime() - 3_600_000).toISOString()) as never });
    return resolved;
  }

  private async tick(): Promise<void> {
    await this.db.manager.update(KernelProcessEntity, { id: this.ownerId }, { seenAt: new Date() });
    await this.sweep();
  }
}
