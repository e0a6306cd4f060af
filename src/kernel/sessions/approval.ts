import { CloudEngineError, isCloudEngineError } from '../errors.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { Project } from '../projects/project-service.js';
import { ApprovalSettingsSchema } from '../projects/project-settings.js';
import { systemCall } from '../lifecycle/system-actor.js';
import { DeploymentState } from './deployment-state.js';
import { SessionErrors } from './session-errors.js';
import { authorize, requireUser, type SessionServices } from './session-services.js';
import type { PlanRecordSummary } from './session-store.js';

const S = DeploymentState;

/** The audit actions that change a session's resources, and how a refusal names them. */
const RESOURCE_CHANGES: ReadonlyMap<string, string> = new Map([
  ['resource.added', 'added'],
  ['resource.updated', 'changed'],
  ['resource.removed', 'removed'],
]);

/** Refusals that are audited as such (`action.refused`). */
const REFUSALS: ReadonlySet<string> = new Set(['PERMISSION_DENIED', 'POLICY_VIOLATION', 'QUOTA_EXCEEDED', 'PLAN_STALE']);

/**
 * Who may approve which plan: the session has a ready plan, it is the plan
 * the approver saw, and the project's approval rules (four eyes, approvers)
 * allow this approver. Refusals are audited.
 */
export class Approval {
  constructor(private readonly services: SessionServices) {}

  /**
   * Throws what `approveAndApply` would refuse with before running anything
   * (permission, plan seen, four eyes, approvers, state), so a chat adapter
   * can answer a refused click at once and acknowledge only real work.
   */
  async check(sessionId: string, userId: string, options: { planId?: string } = {}): Promise<void> {
    requireUser(userId);
    const { store, projects } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.approve', session.projectId, session);
    await this.refusalsAudited(userId, session, async () => {
      const plan = await this.approvablePlan(session, options.planId);
      await this.checkRules(session, plan, await projects.get(session.projectId), userId);
    });
  }

  /**
   * The session's current plan, if it can be approved: the session has a
   * ready plan (PLAN_READY, or DESTROY_READY for a teardown) and, when the
   * approver names the plan they saw, it is that one (else PLAN_STALE).
   */
  async approvablePlan(session: CloudSessionEntity, seenPlanId: string | undefined): Promise<PlanRecordSummary> {
    const { store } = this.services;
    if (seenPlanId !== undefined && seenPlanId !== session.currentPlanId) throw await store.planChangedError(session, seenPlanId);
    if ((session.state !== S.PLAN_READY && session.state !== S.DESTROY_READY) || !session.currentPlanId) throw SessionErrors.notApprovable(session);
    const plan = await store.currentPlan(session);
    if (!plan) throw SessionErrors.planMissing(session);
    return plan;
  }

  /**
   * Four-eyes and approver rules from the project's `settings.approval`.
   * Under four eyes nobody who shaped the plan approves it: the session's
   * owner, whoever planned it (a teardown too), whoever last changed it, and
   * whoever added, changed or removed one of its resources in this session
   * (not whoever made the deployment's resources in an earlier change).
   */
  async checkRules(session: CloudSessionEntity, plan: PlanRecordSummary, project: Project, userId: string): Promise<void> {
    // The one exemption: the system's own TTL teardown (a plan that only removes) is not held up by four eyes
    // or approver rules; users never are exempt, and policies still judge it.
    if (systemCall(userId) === 'ttl' && plan.toAdd === 0 && plan.toChange === 0) return;
    const rules = ApprovalSettingsSchema.parse(project.settings.approval ?? {});
    if (rules.requireDistinctApprover) {
      const roles: [string | null, string][] = [
        [session.userId, 'owns'],
        [plan.createdBy, plan.toDestroy > 0 && plan.toAdd === 0 ? 'planned the teardown of' : 'made the plan of'],
        [session.lastChangedBy, 'made the last change to'],
      ];
      for (const event of await this.services.audit.list({ sessionId: session.id })) {
        const verb = RESOURCE_CHANGES.get(event.action);
        if (verb) roles.push([event.actor, `${verb} ${String(event.details.name)} in`]);
      }
      const role = roles.find(([author]) => author === userId);
      if (role) {
        throw new CloudEngineError(
          'PERMISSION_DENIED',
          `Project ${project.id} requires four eyes: ${userId} ${role[1]} session ${session.id} and cannot approve it. Ask another member with deploy access.`,
          { details: { rule: 'requireDistinctApprover', role: role[1], owner: session.userId, plannedBy: plan.createdBy, lastChangedBy: session.lastChangedBy } },
        );
      }
    }
    if (rules.approvers === 'admin' && !(await this.services.access.check(userId, project.id, 'admin'))) {
      throw new CloudEngineError('PERMISSION_DENIED', `Only admins of project ${project.id} may approve deployments; ${userId} is not one.`, {
        details: { rule: 'approvers', needed: 'admin' },
      });
    }
  }

  /**
   * Runs `work`; a refusal it throws (PERMISSION_DENIED, POLICY_VIOLATION,
   * QUOTA_EXCEEDED, PLAN_STALE) is audited with the actor and the reason
   * before it reaches the caller.
   */
  async refusalsAudited<T>(actor: string, session: CloudSessionEntity, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isCloudEngineError(error) && REFUSALS.has(error.code)) {
        await this.services.audit.refused({ actor, action: 'session.approve', projectId: session.projectId, sessionId: session.id, error });
      }
      throw error;
    }
  }
}
