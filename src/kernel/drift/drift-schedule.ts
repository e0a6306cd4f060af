import { createHash } from 'node:crypto';
import { IsNull, LessThanOrEqual, Not } from 'typeorm';
import { DeploymentStatus } from '../deployments/deployment-status.js';
import type { Logger } from '../logger.js';
import type { Database } from '../persistence/database.js';
import { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import type { ProjectService } from '../projects/project-service.js';
import type { DriftRecord } from './drift-record.js';
import { driftEvery } from './drift-settings.js';

/** A scheduled check that finds a change open waits at most this long before trying again. */
const BUSY_RETRY_MS = 15 * 60_000;

/** A drift check still to come, as `kernel.lifecycle.pending` lists it. */
export interface ScheduledDriftCheck {
  readonly deploymentId: string;
  readonly projectId: string;
  readonly dueAt: Date;
}

/** What one scheduled round did. */
export interface DriftRound {
  readonly checked: number;
  readonly skipped: number;
}

/**
 * Scheduled drift checks (project setting `drift.every`): every ACTIVE
 * deployment of such a project has its next check's due time on its row
 * (`drift_next_at`). The first is spread over one interval by the
 * deployment's id, so a project's deployments do not all check at once; a
 * kernel takes a due check by moving that time on with a conditional update,
 * so of several kernels on one database exactly one checks. A deployment with
 * a change open is not checked (tried again within 15 minutes). A round runs
 * as many checks at once as terraform has slots.
 */
export class DriftSchedule {
  constructor(
    private readonly db: Database,
    private readonly projects: ProjectService,
    private readonly check: (deploymentId: string) => Promise<DriftRecord>,
    private readonly logger: Logger,
    /** How many checks run at once (the terraform cap). */
    private readonly parallel = 1,
  ) {}

  /** Schedules what settings ask for, then runs the checks due at `now`, one at a time. */
  async runDue(now: Date): Promise<DriftRound> {
    const every = await this.schedule(now);
    let checked = 0;
    let skipped = 0;
    const due = await this.db.manager.find(DeploymentEntity, { where: { state: DeploymentStatus.ACTIVE, driftNextAt: LessThanOrEqual(now.toISOString()) as never }, order: { driftNextAt: 'ASC', id: 'ASC' } });
    const claimed: string[] = [];
    for (const deployment of due) {
      const interval = every.get(deployment.projectId);
      if (interval === undefined || deployment.driftNextAt === null) continue;
      const busy = deployment.openSessionId !== null;
      const next = new Date(now.getTime() + (busy ? Math.min(interval, BUSY_RETRY_MS) : interval));
      if (!(await this.claim(deployment, next))) continue;
      if (busy) skipped += 1;
      else claimed.push(deployment.id);
    }
    // As many at once as terraform has slots (checks queue behind interactive work there), one after another in each lane.
    const lane = async () => {
      for (let id = claimed.shift(); id !== undefined; id = claimed.shift()) {
        try {
          await this.check(id);
          checked += 1;
        } catch (error) {
          // A change opened meanwhile (LOCKED), or applied (PLAN_STALE): the next round checks again.
          skipped += 1;
          this.logger.info({ err: error, deploymentId: id }, 'scheduled drift check skipped');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(this.parallel, claimed.length)) }, lane));
    return { checked, skipped };
  }

  /** The scheduled checks still to come, earliest first. */
  async pending(deploymentId?: string): Promise<ScheduledDriftCheck[]> {
    const rows = await this.db.manager.find(DeploymentEntity, {
      where: { state: DeploymentStatus.ACTIVE, driftNextAt: Not(IsNull()), ...(deploymentId !== undefined ? { id: deploymentId } : {}) },
      order: { driftNextAt: 'ASC', id: 'ASC' },
    });
    return rows.map((row) => ({ deploymentId: row.id, projectId: row.projectId, dueAt: row.driftNextAt as Date }));
  }

  /**
   * Gives every ACTIVE deployment of a project with `drift.every` its first
   * due time and takes it from those of projects without; returns each
   * scheduling project's interval.
   */
  private async schedule(now: Date): Promise<Map<string, number>> {
    const every = new Map<string, number>();
    for (const project of await this.projects.list()) {
      const interval = driftEvery(project.settings.drift);
      if (interval !== undefined) every.set(project.id, interval);
    }
    const rows = await this.db.manager.find(DeploymentEntity, { select: { id: true, projectId: true, state: true, driftNextAt: true } });
    for (const row of rows) {
      const interval = row.state === DeploymentStatus.ACTIVE ? every.get(row.projectId) : undefined;
      if (interval !== undefined && row.driftNextAt === null) {
        const first = new Date(now.getTime() + spread(row.id, interval));
        await this.db.manager.update(DeploymentEntity, { id: row.id, driftNextAt: IsNull() }, { driftNextAt: first });
      } else if (interval === undefined && row.driftNextAt !== null) {
        // Torn down, or its project stopped scheduling checks.
        await this.db.manager.update(DeploymentEntity, { id: row.id }, { driftNextAt: null });
      }
    }
    return every;
  }

  /** Moves a due check on to `next`; false when another kernel took it first. */
  private async claim(deployment: DeploymentEntity, next: Date): Promise<boolean> {
    const result = await this.db.manager
      .createQueryBuilder()
      .update(DeploymentEntity)
      .set({ driftNextAt: next })
      .where('id = :id AND drift_next_at = :seen', { id: deployment.id, seen: (deployment.driftNextAt as Date).toISOString() })
      .execute();
    return result.affected === 1;
  }
}

/** Where in the first interval a deployment's first check falls: fixed by its id, spread evenly. */
function spread(deploymentId: string, interval: number): number {
  return createHash('sha256').update(deploymentId).digest().readUInt32BE(0) % interval;
}
