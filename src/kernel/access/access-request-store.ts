import { randomBytes } from 'node:crypto';
import { Between, In, IsNull, LessThanOrEqual, type EntityManager } from 'typeorm';
import type { Database } from '../persistence/database.js';
import { AccessGrantEntity } from '../persistence/entities/access-grant.entity.js';
import { AccessRequestEntity, type AccessRequestState } from '../persistence/entities/access-request.entity.js';

/**
 * The persisted access requests. A request leaves PENDING by a conditional
 * update (`WHERE state = 'PENDING'`), which on one database succeeds for
 * exactly one caller: of two admins clicking at once, one decides.
 */
export class AccessRequestStore {
  constructor(private readonly db: Database) {}

  async insert(row: Omit<AccessRequestEntity, 'id'>): Promise<AccessRequestEntity> {
    const entity = Object.assign(new AccessRequestEntity(), { ...row, id: randomBytes(8).toString('hex') });
    await this.db.manager.insert(AccessRequestEntity, entity);
    return entity;
  }

  async get(id: string, manager: EntityManager = this.db.manager): Promise<AccessRequestEntity | null> {
    return manager.findOneBy(AccessRequestEntity, { id });
  }

  /** A project's requests (of one user), newest first. */
  async list(projectId: string, filter: { userId?: string; states?: readonly AccessRequestState[] } = {}): Promise<AccessRequestEntity[]> {
    return this.db.manager.find(AccessRequestEntity, {
      where: { projectId, ...(filter.userId ? { userId: filter.userId } : {}), ...(filter.states ? { state: In([...filter.states]) } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
  }

  /** The user's pending request for this project and level, if one is open. */
  async pendingOf(projectId: string, userId: string, level: string): Promise<AccessRequestEntity | null> {
    return this.db.manager.findOneBy(AccessRequestEntity, { projectId, userId, level: level as AccessRequestEntity['level'], state: 'PENDING' });
  }

  /** Moves a pending request to its decision; false when it was no longer pending (another decision won). */
  async decide(manager: EntityManager, id: string, change: { state: AccessRequestState; decidedBy: string | null; decidedAt: Date; grantedMs?: number; grantExpiresAt?: Date }): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(AccessRequestEntity)
      .set({ state: change.state, decidedBy: change.decidedBy, decidedAt: change.decidedAt, grantedMs: change.grantedMs ?? null, grantExpiresAt: change.grantExpiresAt ?? null })
      .where("id = :id AND state = 'PENDING'", { id })
      .execute();
    return result.affected === 1;
  }

  /** Pending requests whose day has passed at `now`. */
  async lapsed(now: Date): Promise<AccessRequestEntity[]> {
    return this.db.manager.find(AccessRequestEntity, { where: { state: 'PENDING', expiresAt: LessThanOrEqual(now.toISOString()) as never }, order: { expiresAt: 'ASC', id: 'ASC' } });
  }

  /** Timed grants not yet announced that end between `now` and `horizon`. */
  async grantsEndingBetween(now: Date, horizon: Date): Promise<AccessGrantEntity[]> {
    return this.db.manager.find(AccessGrantEntity, { where: { expiresAt: Between(now.toISOString(), horizon.toISOString()) as never, expiryNoticeAt: IsNull() }, order: { expiresAt: 'ASC' } });
  }

  /** Claims the expiry notice of one grant (the very grant: same end) for this caller; false when another kernel took it. */
  async claimNotice(grant: AccessGrantEntity, now: Date): Promise<boolean> {
    const result = await this.db.manager
      .createQueryBuilder()
      .update(AccessGrantEntity)
      .set({ expiryNoticeAt: now })
      .where('project_id = :projectId AND user_id = :userId AND expires_at = :expiresAt AND expiry_notice_at IS NULL', {
        projectId: grant.projectId,
        userId: grant.userId,
        expiresAt: grant.expiresAt!.toISOString(),
      })
      .execute();
    return result.affected === 1;
  }
}
