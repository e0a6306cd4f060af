import { In, IsNull, type EntityManager } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.js';
import type { Database } from '../persistence/database.js';
import { ApprovalEntity, type ApprovalEndReason } from '../persistence/entities/approval.entity.js';
import { randomBytes } from 'node:crypto';

/** One approval as views show it. */
export interface GivenApproval {
  readonly userId: string;
  readonly at: Date;
}

/** The plan an approval is for: its id and the configuration hash it was made from. */
export interface ApprovedPlan {
  readonly id: string;
  readonly configHash: string;
}

/** Approvals of the same plan, in the order given. */
const BY_TIME = { createdAt: 'ASC', id: 'ASC' } as const;

/**
 * The `approvals` table: each approval recorded against one plan (id and
 * configuration hash). An approval is live while not revoked, voided or
 * expired; only live approvals of the session's current plan count. Every
 * write is audited in the caller's transaction.
 */
export class ApprovalStore {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
  ) {}

  /** Live approvals of `plan` in its session: not ended, and given after `notBefore` (the expiry's cut-off) when set. */
  async live(sessionId: string, plan: ApprovedPlan, notBefore: Date | undefined, manager: EntityManager = this.db.manager): Promise<ApprovalEntity[]> {
    const rows = await manager.find(ApprovalEntity, { where: { sessionId, planId: plan.id, configHash: plan.configHash, revokedAt: IsNull() }, order: BY_TIME });
    return notBefore ? rows.filter((row) => row.createdAt > notBefore) : rows;
  }

  /**
   * Records `userId`'s approval of `plan` unless they already have a live one
   * (one person counts once): false then. An earlier approval of theirs that
   * expired is ended first, so the new one takes its place.
   */
  async record(args: { sessionId: string; projectId: string; plan: ApprovedPlan; userId: string; now: Date; notBefore: Date | undefined }, manager: EntityManager): Promise<boolean> {
    const { sessionId, plan, userId, now, notBefore } = args;
    const mine = await manager.findOne(ApprovalEntity, { where: { sessionId, planId: plan.id, userId, revokedAt: IsNull() } });
    if (mine && mine.configHash === plan.configHash && (!notBefore || mine.createdAt > notBefore)) return false;
    if (mine) await this.end([mine], mine.configHash === plan.configHash ? 'expired' : 'voided', { actor: userId, projectId: args.projectId, now }, manager);
    const id = randomBytes(12).toString('hex');
    await manager.insert(ApprovalEntity, { id, sessionId, planId: plan.id, configHash: plan.configHash, userId, createdAt: now, revokedAt: null, revokedReason: null });
    await this.audit.record({ actor: userId, action: 'approval.recorded', projectId: args.projectId, sessionId, details: { approvalId: id, planId: plan.id, configHash: plan.configHash } }, manager);
    return true;
  }

  /** Withdraws `userId`'s live approval of the session's plan `planId`; false when they had none. */
  async revoke(args: { sessionId: string; projectId: string; planId: string; userId: string; now: Date }, manager: EntityManager): Promise<boolean> {
    const mine = await manager.find(ApprovalEntity, { where: { sessionId: args.sessionId, planId: args.planId, userId: args.userId, revokedAt: IsNull() } });
    if (mine.length === 0) return false;
    await this.end(mine, 'revoked', { actor: args.userId, projectId: args.projectId, now: args.now }, manager);
    return true;
  }

  /**
   * Voids every live approval of the session that is not of `keepPlanId` (or
   * all of them when null): the session changed, so they are never carried
   * to another plan. Returns how many were voided.
   */
  async voidExcept(args: { sessionId: string; projectId: string; keepPlanId: string | null; actor: string; now: Date; reason: string }, manager: EntityManager): Promise<number> {
    const live = await manager.find(ApprovalEntity, { where: { sessionId: args.sessionId, revokedAt: IsNull() } });
    const voided = live.filter((row) => row.planId !== args.keepPlanId);
    if (voided.length > 0) await this.end(voided, 'voided', { actor: args.actor, projectId: args.projectId, now: args.now, why: args.reason }, manager);
    return voided.length;
  }

  /**
   * For views: each session's approvals, oldest first (live and ended), in
   * one query per 500 sessions.
   */
  async ofSessions(sessionIds: readonly string[]): Promise<Map<string, ApprovalEntity[]>> {
    const out = new Map<string, ApprovalEntity[]>();
    for (let i = 0; i < sessionIds.length; i += 500) {
      const ids = sessionIds.slice(i, i + 500);
      const rows = await this.db.manager.find(ApprovalEntity, { where: { sessionId: ids.length === 1 ? ids[0] : In(ids) }, order: BY_TIME });
      for (const row of rows) {
        const list = out.get(row.sessionId);
        if (list) list.push(row);
        else out.set(row.sessionId, [row]);
      }
    }
    return out;
  }

  private async end(rows: readonly ApprovalEntity[], reason: ApprovalEndReason, by: { actor: string; projectId: string; now: Date; why?: string }, manager: EntityManager): Promise<void> {
    await manager.update(ApprovalEntity, { id: In(rows.map((row) => row.id)), revokedAt: IsNull() }, { revokedAt: by.now, revokedReason: reason });
    for (const row of rows) {
      await this.audit.record(
        {
          actor: by.actor,
          action: `approval.${reason}`,
          projectId: by.projectId,
          sessionId: row.sessionId,
          details: { approvalId: row.id, planId: row.planId, approver: row.userId, givenAt: row.createdAt.toISOString(), ...(by.why ? { reason: by.why } : {}) },
        },
        manager,
      );
    }
  }
}
