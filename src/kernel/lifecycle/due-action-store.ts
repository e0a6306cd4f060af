import { randomBytes } from 'node:crypto';
import { In, LessThanOrEqual, type EntityManager } from 'typeorm';
import type { Database } from '../persistence/database.js';
import { DueActionEntity } from '../persistence/entities/due-action.entity.js';

/** A claim older than this is taken over: the kernel that held it stopped mid-way. */
export const CLAIM_LEASE_MS = 30 * 60_000;

/**
 * The persisted due times of deployments' lifecycles. Each action is taken by
 * one kernel only: a conditional update from PENDING (or a lapsed claim) to
 * CLAIMED, which on one database succeeds for exactly one of them.
 */
export class DueActionStore {
  constructor(private readonly db: Database) {}

  /**
   * Replaces a deployment's pending actions with those of a new expiry: a
   * reminder at each offset still ahead of `now`, and the expiry itself.
   */
  async schedule(manager: EntityManager, input: { deploymentId: string; projectId: string; expiresAt: Date; reminders: readonly number[]; now: Date }): Promise<DueActionEntity[]> {
    await this.clear(manager, input.deploymentId);
    const base = { deploymentId: input.deploymentId, projectId: input.projectId, expiresAt: input.expiresAt, state: 'PENDING' as const, claimedBy: null, claimedAt: null, attempts: 0, lastError: null, doneAt: null, createdAt: input.now };
    const rows: DueActionEntity[] = input.reminders
      .filter((offset) => input.expiresAt.getTime() - offset > input.now.getTime())
      .map((offset) => Object.assign(new DueActionEntity(), { ...base, id: newActionId(), kind: 'reminder' as const, offsetMs: offset, dueAt: new Date(input.expiresAt.getTime() - offset) }));
    rows.push(Object.assign(new DueActionEntity(), { ...base, id: newActionId(), kind: 'expiry' as const, offsetMs: null, dueAt: input.expiresAt }));
    await manager.insert(DueActionEntity, rows);
    return rows;
  }

  /** Removes a deployment's pending actions (its TTL was cleared or replaced, or it is gone). */
  async clear(manager: EntityManager, deploymentId: string): Promise<void> {
    await manager.delete(DueActionEntity, { deploymentId, state: 'PENDING' });
  }

  /** Actions due at `now` (pending, or claimed longer ago than the lease), earliest first. */
  async due(now: Date): Promise<DueActionEntity[]> {
    const rows = await this.db.manager.find(DueActionEntity, { where: { state: In(['PENDING', 'CLAIMED']), dueAt: LessThanOrEqual(now.toISOString()) as never }, order: { dueAt: 'ASC', id: 'ASC' } });
    const lapsed = now.getTime() - CLAIM_LEASE_MS;
    return rows.filter((row) => row.state === 'PENDING' || (row.claimedAt !== null && row.claimedAt.getTime() < lapsed));
  }

  /** Takes `action` for `owner`; false when another kernel took it first. */
  async claim(action: DueActionEntity, owner: string, now: Date): Promise<boolean> {
    const lapsed = new Date(now.getTime() - CLAIM_LEASE_MS).toISOString();
    const result = await this.db.manager
      .createQueryBuilder()
      .update(DueActionEntity)
      .set({ state: 'CLAIMED', claimedBy: owner, claimedAt: now })
      .where("id = :id AND (state = 'PENDING' OR (state = 'CLAIMED' AND claimed_at < :lapsed))", { id: action.id, lapsed })
      .execute();
    return result.affected === 1;
  }

  /** The action happened (or had nothing left to do: SKIPPED). */
  async finish(id: string, now: Date, state: 'DONE' | 'SKIPPED' = 'DONE', error: string | null = null): Promise<void> {
    await this.db.manager.update(DueActionEntity, { id }, { state, doneAt: now, ...(error !== null ? { lastError: error } : {}) });
  }

  /** The action failed: pending again at `retryAt`, the failure counted and kept. */
  async retryLater(id: string, attempts: number, retryAt: Date, error: string): Promise<void> {
    await this.db.manager.update(DueActionEntity, { id }, { state: 'PENDING', claimedBy: null, claimedAt: null, attempts, dueAt: retryAt, lastError: error });
  }

  /** A deployment's actions still to come, earliest first. */
  async pending(deploymentId?: string): Promise<DueActionEntity[]> {
    return this.db.manager.find(DueActionEntity, { where: { state: In(['PENDING', 'CLAIMED']), ...(deploymentId !== undefined ? { deploymentId } : {}) }, order: { dueAt: 'ASC', id: 'ASC' } });
  }
}

function newActionId(): string {
  return randomBytes(12).toString('hex');
}
