import { In } from 'typeorm';
import type { Clock } from '../lifecycle/clock.js';
import type { Database } from '../persistence/database.js';
import type { ApprovalEntity } from '../persistence/entities/approval.entity.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { ProjectEntity } from '../persistence/entities/project.entity.js';
import type { ApprovalsView } from '../sessions/session-view.js';
import { approvalRules, type ApprovalRules } from './approval-settings.js';
import type { ApprovalStore, ApprovedPlan } from './approval-store.js';

/** A session's approvals before any is given, under today's defaults (views made without reading approvals). */
export const NO_APPROVALS: ApprovalsView = { required: 1, given: [], approvers: 'deploy', cleared: 0, expired: 0 };

/** States in which an approval can still be given: the `expiresAfter` cut-off applies to these only. */
const WAITING = new Set(['PLAN_READY', 'DESTROY_READY']);

/**
 * The approvals part of a session view, from its approval rows: live
 * approvals of the current plan (and, while it waits, not expired), and what
 * the last change voided.
 */
export function approvalsView(rows: readonly ApprovalEntity[], rules: ApprovalRules, session: Pick<CloudSessionEntity, 'state'>, plan: ApprovedPlan | null, now: Date): ApprovalsView {
  const cutoff = rules.expiresAfterMs !== undefined && WAITING.has(session.state) ? new Date(now.getTime() - rules.expiresAfterMs) : undefined;
  const ofPlan = plan ? rows.filter((row) => row.revokedAt === null && row.planId === plan.id && row.configHash === plan.configHash) : [];
  const given = ofPlan.filter((row) => !cutoff || row.createdAt > cutoff);
  const lastVoid = rows.filter((row) => row.revokedReason === 'voided').reduce<Date | null>((latest, row) => (latest && latest >= row.revokedAt! ? latest : row.revokedAt), null);
  const cleared = given.length === 0 && lastVoid ? rows.filter((row) => row.revokedReason === 'voided' && row.revokedAt!.getTime() === lastVoid.getTime()).length : 0;
  return {
    required: rules.required,
    given: given.map((row) => ({ userId: row.userId, at: row.createdAt })),
    approvers: rules.approvers,
    cleared,
    expired: ofPlan.length - given.length,
  };
}

/** Builds the approvals of many session views with two queries: their approvals and their projects' rules. */
export class ApprovalViews {
  constructor(
    private readonly db: Database,
    private readonly approvals: ApprovalStore,
    private readonly clock: Clock,
  ) {}

  async of(sessions: readonly CloudSessionEntity[], plans: ReadonlyMap<string, ApprovedPlan>): Promise<Map<string, ApprovalsView>> {
    const projectIds = [...new Set(sessions.map((session) => session.projectId))];
    const [rows, projects] = await Promise.all([
      this.approvals.ofSessions(sessions.map((session) => session.id)),
      this.db.manager.find(ProjectEntity, { where: { id: projectIds.length === 1 ? projectIds[0] : In(projectIds) }, select: { id: true, settings: true } }),
    ]);
    const rules = new Map(projects.map((project) => [project.id, approvalRules((project.settings as Record<string, unknown> | null)?.approval)]));
    const now = this.clock.now();
    return new Map(
      sessions.map((session) => {
        const plan = session.currentPlanId ? (plans.get(session.currentPlanId) ?? null) : null;
        return [session.id, approvalsView(rows.get(session.id) ?? [], rules.get(session.projectId) ?? approvalRules(undefined), session, plan, now)];
      }),
    );
  }
}
