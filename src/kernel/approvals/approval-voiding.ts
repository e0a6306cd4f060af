import type { EntityManager } from 'typeorm';
import type { Clock } from '../lifecycle/clock.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { ApprovalStore } from './approval-store.js';

/**
 * States in which a session's current plan keeps its approvals: waiting for
 * more, being applied, or done with them (they stay as the record of who
 * approved). Any other state means the session changed: its plan is gone.
 */
const KEEPS_APPROVALS: ReadonlySet<string> = new Set(['PLAN_READY', 'DESTROY_READY', 'APPROVED', 'APPLYING', 'APPLIED', 'DESTROYING', 'DESTROYED', 'FAILED']);

/**
 * Runs inside every session transition's transaction (SessionStore's
 * `follow`): when the session leaves its plan (a change sends it back to
 * DRAFT, a re-plan, a cancel, a failed plan), every live approval of that
 * plan is voided and audited, so none is ever carried to another plan.
 */
export function voidApprovalsOnChange(approvals: ApprovalStore, clock: Clock): (manager: EntityManager, before: CloudSessionEntity, after: CloudSessionEntity) => Promise<void> {
  return async (manager, before, after) => {
    if (!before.currentPlanId) return;
    const keep = KEEPS_APPROVALS.has(after.state) ? after.currentPlanId : null;
    if (keep === before.currentPlanId) return;
    await approvals.voidExcept(
      {
        sessionId: after.id,
        projectId: after.projectId,
        keepPlanId: keep,
        actor: after.lastChangedBy ?? after.userId,
        now: clock.now(),
        reason: `plan changed: the session became ${after.state}`,
      },
      manager,
    );
  };
}
