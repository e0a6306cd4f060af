import type { EntityManager } from 'typeorm';
import { currentMemberRoles } from '../access/member-roles.js';
import { approvalRules, type ApprovalRules } from '../approvals/approval-settings.js';
import { ApprovalStore, type GivenApproval } from '../approvals/approval-store.js';
import { CloudEngineError, isCloudEngineError, wrongState } from '../errors.js';
import { systemClock, type Clock } from '../lifecycle/clock.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { Project } from '../projects/project-service.js';
import { systemCall } from '../lifecycle/system-actor.js';
import { DeploymentState } from './deployment-state.js';
import { SessionErrors } from './session-errors.js';
import { authorize, requireUser, type SessionServices } from './session-services.js';
import type { PlanRecordSummary } from './session-store.js';
import type { SessionView } from './session-view.js';

const S = DeploymentState;

/** Where a plan's approvals stand after one was recorded (or found already there). */
export interface ApprovalTally {
  readonly required: number;
  /** Live approvals of the plan, oldest first. */
  readonly given: readonly GivenApproval[];
  /** The count is complete: the plan may be applied now. */
  readonly complete: boolean;
  /** This call recorded a new approval (false: the approver's earlier one still counts, or an exempt system teardown). */
  readonly added: boolean;
}

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
 * allow this approver. Each approval is recorded against one plan; the plan
 * applies once `approval.required` distinct eligible approvers gave one.
 * Refusals, approvals and revocations are audited.
 */
export class Approval {
  constructor(
    private readonly services: SessionServices,
    private readonly approvals: ApprovalStore = new ApprovalStore(services.db, services.audit),
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Records `userId`'s approval of the session's current plan without
   * applying it, even when it completes the count (`approveAndApply` is what
   * applies). Same checks as `check`; returns the session with its approvals.
   */
  async approve(sessionId: string, userId: string, options: { planId?: string } = {}): Promise<SessionView> {
    requireUser(userId);
    const { store, projects, db } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.approve', session.projectId, session);
    await this.refusalsAudited(userId, session, async () => {
      const plan = await this.approvablePlan(session, options.planId);
      const project = await projects.get(session.projectId);
      await this.checkRules(session, plan, project, userId);
      const tally = await db.transaction((manager) => this.record(manager, session, plan, project, userId));
      this.announce(session, userId, plan, tally);
    });
    return store.view(sessionId);
  }

  /**
   * Withdraws `userId`'s own approval of the session's current plan, before
   * the apply starts; INVALID_STATE once it has, NOT_FOUND when they gave none.
   */
  async revoke(sessionId: string, userId: string): Promise<SessionView> {
    requireUser(userId);
    const { store, db, events } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.view', session.projectId, session);
    const result = await db.transaction(async (manager) => {
      const current = await store.load(sessionId, manager);
      if ((current.state !== S.PLAN_READY && current.state !== S.DESTROY_READY) || !current.currentPlanId) {
        throw wrongState(
          `Session ${sessionId} is ${current.state}: approvals can only be withdrawn while its plan waits for them (PLAN_READY or DESTROY_READY); nothing was changed.`,
          current.state,
          { sessionId },
        );
      }
      const revoked = await this.approvals.revoke({ sessionId, projectId: current.projectId, planId: current.currentPlanId, userId, now: this.clock.now() }, manager);
      if (!revoked) {
        throw new CloudEngineError('NOT_FOUND', `${userId} has no approval of session ${sessionId}'s plan ${current.currentPlanId} to withdraw; nothing was changed.`, {
          details: { sessionId, planId: current.currentPlanId },
        });
      }
      return current;
    });
    const view = await store.view(sessionId);
    events.emit('session.approvalRevoked', { sessionId, projectId: result.projectId, userId, given: view.approvals.given.length, required: view.approvals.required });
    return view;
  }

  /**
   * Inside the caller's transaction (which the database serializes across
   * processes): checks the session still waits on `plan`, records `userId`'s
   * approval of it (once per person) and counts the plan's live approvals.
   * The system's own TTL teardown is complete at once, whatever `required` is.
   */
  async record(manager: EntityManager, session: CloudSessionEntity, plan: PlanRecordSummary, project: Project, userId: string): Promise<ApprovalTally> {
    const { store } = this.services;
    const current = await store.load(session.id, manager);
    if (current.currentPlanId !== plan.id) throw await store.planChangedError(current, plan.id, manager);
    if (current.state !== S.PLAN_READY && current.state !== S.DESTROY_READY) {
      throw wrongState(
        `Session ${session.id} is ${current.state}: its plan ${plan.id} was already approved${current.approvedBy ? ` (the count completed with ${current.approvedBy})` : ''}, so your approval was not recorded.`,
        current.state,
        { sessionId: session.id, expected: [S.PLAN_READY, S.DESTROY_READY] },
      );
    }
    const rules = this.rules(project);
    const now = this.clock.now();
    const notBefore = rules.expiresAfterMs === undefined ? undefined : new Date(now.getTime() - rules.expiresAfterMs);
    const approved = { id: plan.id, configHash: plan.configHash };
    const exempt = exemptTeardown(userId, plan);
    const added = exempt ? false : await this.approvals.record({ sessionId: session.id, projectId: session.projectId, plan: approved, userId, now, notBefore }, manager);
    const given = (await this.approvals.live(session.id, approved, notBefore, manager)).map((row) => ({ userId: row.userId, at: row.createdAt }));
    return { required: rules.required, given, complete: exempt || given.length >= rules.required, added };
  }

  /** Tells adapters an approval was recorded (after its transaction committed). */
  announce(session: CloudSessionEntity, userId: string, plan: PlanRecordSummary, tally: ApprovalTally): void {
    if (!tally.added) return;
    this.services.events.emit('session.approved', { sessionId: session.id, projectId: session.projectId, userId, planId: plan.id, given: tally.given.length, required: tally.required });
  }

  /** The project's approval rules (`settings.approval`). */
  rules(project: Project): ApprovalRules {
    return approvalRules(project.settings.approval);
  }

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
    if (exemptTeardown(userId, plan)) return;
    const rules = this.rules(project);
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
    if (Array.isArray(rules.approvers)) {
      const listed = rules.approvers as readonly string[];
      // A listed chat role counts only when the chat says the approver holds it at this click.
      if (!listed.includes(userId) && !currentMemberRoles(userId).some((role) => listed.includes(role))) {
        throw new CloudEngineError(
          'PERMISSION_DENIED',
          `Project ${project.id} takes approvals only from ${listed.join(', ')} (settings.approval.approvers); ${userId} is not one of them. Ask one of them to approve.`,
          { details: { rule: 'approvers', approvers: listed } },
        );
      }
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

/** The system's own TTL teardown (a plan that only removes): not held up by four eyes, approvers or the count. */
function exemptTeardown(userId: string, plan: PlanRecordSummary): boolean {
  return systemCall(userId) === 'ttl' && plan.toAdd === 0 && plan.toChange === 0;
}
