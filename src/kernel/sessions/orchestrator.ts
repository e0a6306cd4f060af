import { inject, injectable } from 'inversify';
import { AccessServiceToken, type AccessService } from '../access/access-service.js';
import { Authorizer } from '../access/authorizer.js';
import { AuditLogToken, type AuditLog } from '../audit/audit-log.js';
import { EngineConfig } from '../config/engine-config.js';
import { KernelEventsToken, type KernelEvents } from '../events/kernel-events.js';
import { Logger } from '../logger.js';
import { DatabaseToken, type Database } from '../persistence/database.js';
import type { CostEstimator } from '../plugin/cost-estimator.js';
import type { PolicyValidator } from '../plugin/policy-validator.js';
import { CostEstimatorRegistry, PolicyValidatorRegistry, ResourceTypeRegistry } from '../plugin/registries.js';
import type { Registry } from '../plugin/registry.js';
import type { ResourceType } from '../plugin/resource-type.js';
import { token } from '../plugin/token.js';
import { ProjectServiceToken, type ProjectService } from '../projects/project-service.js';
import { QuotaServiceToken, type QuotaService } from '../quotas/quota-service.js';
import { RedactorToken, type Redactor } from '../secrets/redactor.js';
import { SealedBoxToken, type SealedBox } from '../secrets/sealed-box.js';
import { StackSynthesizerToken, type StackSynthesizer } from '../synth/stack-synthesizer.js';
import type { PlanJson } from '../terraform/plan-json.js';
import { TerraformRunnerToken, type TerraformRunner } from '../terraform/terraform-runner.js';
import { Applying } from './applying.js';
import { Approval } from './approval.js';
import { ApprovalStore } from '../approvals/approval-store.js';
import { ApprovalViews } from '../approvals/approval-views.js';
import { voidApprovalsOnChange } from '../approvals/approval-voiding.js';
import { Cancellation } from './cancellation.js';
import { Editing } from './editing.js';
import { Operations } from './operations.js';
import type { OutputLine } from './output-recorder.js';
import { Planning } from './planning.js';
import { Queries } from './queries.js';
import { Recovery } from './recovery.js';
import { SessionChecks } from './session-checks.js';
import type { ApproveOptions, EngineStats, ResourceInput, RunOptions, SessionFilter, ValidationResult } from './session-inputs.js';
import { DeploymentStore } from '../deployments/deployment-store.js';
import type { StartOptions } from './editing.js';
import { SessionLocksToken, type SessionLocks } from './session-lock.js';
import type { SessionServices } from './session-services.js';
import { SessionStore } from './session-store.js';
import type { PlanResult, SessionView } from './session-view.js';
import { StateReader } from './state-reader.js';
import { inReferenceOrder } from '../synth/reference-graph.js';
import { ClockToken, type Clock } from '../lifecycle/clock.js';
import { DueActionStore } from '../lifecycle/due-action-store.js';
import { Ttl, type TtlView } from '../lifecycle/ttl.js';
import type { DurationInput } from '../lifecycle/lifecycle-settings.js';
import { invalidInput } from '../errors.js';
import { Drift } from '../drift/drift.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { JobDispatchToken, type JobDispatch } from '../jobs/job-dispatch.js';
import { QueuedOperations, type LocalOperations } from '../jobs/queued-operations.js';
import type { DriftRecord } from '../drift/drift-record.js';

export type { ApproveOptions, EngineStats, ResourceInput, RunOptions, SessionFilter, ValidationResult } from './session-inputs.js';
export type { StartOptions } from './editing.js';
export type { TtlView } from '../lifecycle/ttl.js';
export type { DriftRecord } from '../drift/drift-record.js';
export { LIMITS } from './session-inputs.js';
export { SessionLocksToken } from './session-lock.js';
export { StackSynthesizerToken } from '../synth/stack-synthesizer.js';
export { TerraformRunnerToken } from '../terraform/terraform-runner.js';

/**
 * Takes deployment sessions from DRAFT to APPLIED (and torn down again): the
 * kernel's session API. A thin front: each flow lives in its own file —
 * editing, planning, approval, applying, cancellation, recovery, queries,
 * TTL, drift, the job queue's dispatch — and every "which state next" rule
 * in deployment-state.ts. It is over 400 lines because it is the documented
 * public API: one delegating method per operation, each with its TSDoc.
 */
@injectable()
export class Orchestrator {
  /** This process, as recorded on the sessions it is running: `host:pid:boot`. */
  readonly ownerId: string;
  private readonly operations: Operations;
  private readonly editing: Editing;
  private readonly planning: Planning;
  private readonly approval: Approval;
  private readonly applying: Applying;
  private readonly cancellation: Cancellation;
  private readonly recovery: Recovery;
  private readonly queries: Queries;
  private readonly deploymentStore: DeploymentStore;
  private readonly ttl: Ttl;
  private readonly drift: Drift;
  /** The terraform operations as this process runs them; with the job queue, what a worker's jobs call. */
  readonly local: LocalOperations;
  /** The same operations as offered: here, or as jobs on the queue. */
  private readonly terraform: QueuedOperations;
  private readonly projects: ProjectService;
  private readonly resourceTypes: Registry<ResourceType>;
  /** The terraform runner (its provider pool); tests look at it. */
  private readonly runner: TerraformRunner;

  constructor(
    @inject(DatabaseToken) db: Database,
    @inject(EngineConfig) config: EngineConfig,
    @inject(Logger) logger: Logger,
    @inject(ProjectServiceToken) projects: ProjectService,
    @inject(Authorizer) authorizer: Authorizer,
    @inject(AuditLogToken) audit: AuditLog,
    @inject(KernelEventsToken) events: KernelEvents,
    @inject(ResourceTypeRegistry) resourceTypes: Registry<ResourceType>,
    @inject(PolicyValidatorRegistry) policies: Registry<PolicyValidator>,
    @inject(CostEstimatorRegistry) estimators: Registry<CostEstimator>,
    @inject(TerraformRunnerToken) runner: TerraformRunner,
    @inject(StackSynthesizerToken) synthesizer: StackSynthesizer,
    @inject(SessionLocksToken) locks: SessionLocks,
    @inject(QuotaServiceToken) quotas: QuotaService,
    @inject(AccessServiceToken) access: AccessService,
    @inject(RedactorToken) redactor: Redactor,
    @inject(SealedBoxToken) box: SealedBox,
    @inject(ClockToken) clock: Clock,
    @inject(JobDispatchToken) private readonly jobs: JobDispatch,
  ) {
    const operations = new Operations(db, events, logger);
    // Places in queues of other processes (the job queue's, a worker's), as they announce them.
    events.on('terraform.queued', (event) => operations.noteQueued(event.sessionId, event.position));
    const deployments = new DeploymentStore(db);
    const approvals = new ApprovalStore(db, audit);
    const voidApprovals = voidApprovalsOnChange(approvals, clock);
    const approvalViews = new ApprovalViews(db, approvals, clock);
    const store = new SessionStore(
      db,
      audit,
      events,
      resourceTypes,
      config.dataDir,
      operations.ownerId,
      (sessionId) => operations.queuePosition(sessionId),
      async (manager, before, after) => {
        await deployments.follow(manager, before, after);
        await voidApprovals(manager, before, after);
      },
      (sessions, plans) => approvalViews.of(sessions, plans),
    );
    const services: SessionServices = {
      db,
      config,
      logger,
      projects,
      authorizer,
      audit,
      events,
      resourceTypes,
      policies,
      estimators,
      runner,
      synthesizer,
      locks,
      quotas,
      access,
      redactor,
      box,
      store,
      deployments,
      operations,
    };
    const checks = new SessionChecks(services);
    const state = new StateReader(services);
    this.ownerId = operations.ownerId;
    this.operations = operations;
    this.deploymentStore = deployments;
    this.resourceTypes = resourceTypes;
    this.runner = runner;
    this.editing = new Editing(services);
    this.planning = new Planning(services, checks);
    this.approval = new Approval(services, approvals, clock);
    this.applying = new Applying(services, this.approval, checks, state);
    this.cancellation = new Cancellation(services);
    this.recovery = new Recovery(services, state);
    this.queries = new Queries(services);
    this.ttl = new Ttl(services, clock, new DueActionStore(db));
    this.drift = new Drift(services, clock, async (deploymentId, userId) => {
      const deployment = await deployments.load(deploymentId);
      const session = await this.editing.startSession(userId, deployment.projectId, undefined, { deployment: deployment.id });
      await this.runPlan(session.id, userId);
      return this.queries.getSession(session.id);
    });
    this.local = {
      runPlan: (sessionId, userId, options) => this.planning.runPlan(sessionId, userId, options),
      destroySession: (sessionId, userId, options) => this.planning.destroySession(sessionId, userId, options),
      approveAndApply: (sessionId, userId, options) => this.applying.approveAndApply(sessionId, userId, options),
      checkDrift: (deploymentId, userId, options) => this.drift.check(deploymentId, userId, options),
    };
    this.terraform = new QueuedOperations(this.local, jobs, {
      currentPlan: (sessionId) => this.queries.currentPlan(sessionId),
      session: (sessionId) => this.queries.getSession(sessionId),
      deploymentId: async (idOrName, projectId) => (await deployments.resolve(idOrName, projectId)).id,
      drift: (deploymentId) => this.drift.record(deploymentId),
    });
    this.projects = projects;
  }

  /**
   * Starts a session in DRAFT for a project; `provider` must match the
   * project's if given. The session is one change of a deployment: the one
   * `options.deployment` names (id or name; the session starts with its
   * current resources) or a new one of that name, a new one with a generated
   * name without it. A deployment with an open change is LOCKED.
   * `options.ttl` (or the project's `lifecycle.defaultTtl`) makes a new
   * deployment expire: the kernel tears it down by itself then.
   */
  async startSession(userId: string, projectId: string, provider?: string, options: StartOptions = {}): Promise<SessionView> {
    const { ttl, ...start } = options;
    const project = ttl === undefined ? undefined : await this.projects.get(projectId);
    // Checked before anything is made: a bad TTL starts nothing.
    if (project && ttl !== undefined) {
      this.ttl.initialTtl(project, ttl);
      const existing = typeof start.deployment === 'string' ? await this.deploymentStore.find(project.id, start.deployment) : null;
      if (existing) {
        throw invalidInput('ttl', `deployment ${existing.name} already exists and a TTL is set at a deployment's first change; use setTtl or extendTtl for it`, { value: ttl });
      }
    }
    const session = await this.editing.startSession(userId, projectId, provider, start);
    const deployment = await this.deploymentStore.load(session.deploymentId);
    if (deployment.version === 0 && deployment.lastSessionId === null && deployment.expiresAt === null && deployment.createdBy === userId) {
      const ttlMs = this.ttl.initialTtl(project ?? (await this.projects.get(projectId)), ttl);
      if (ttlMs !== undefined) await this.ttl.start(deployment.id, userId, ttlMs);
    }
    return session;
  }

  /**
   * Sets when a deployment expires, from now (`"2h"`, `"7d"`, or ms), within
   * the project's `lifecycle.maxTtl`; `null` makes it never expire. Needs
   * deploy access; replaces its reminders and expiry.
   */
  setTtl(deploymentId: string, userId: string, ttl: DurationInput | null): Promise<TtlView> {
    return this.ttl.set(deploymentId, userId, ttl);
  }

  /**
   * Moves a deployment's expiry later by `by` (the project's
   * `lifecycle.defaultTtl` when absent); INVALID_INPUT naming the maximum
   * when it would pass `lifecycle.maxTtl`. Needs deploy access.
   */
  extendTtl(deploymentId: string, userId: string, by?: DurationInput): Promise<TtlView> {
    return this.ttl.extend(deploymentId, userId, by);
  }

  /** Adds a resource; a session with a plan goes back to DRAFT (the plan no longer matches). */
  /**
   * Runs a refresh-only plan of what the deployment declares and keeps what
   * differs on it: NONE, DRIFTED (per resource, the attributes old → new) or
   * FAILED. Needs deploy access and no change open. `background` queues the
   * terraform run behind everything someone waits for (scheduled checks).
   */
  checkDrift(deploymentId: string, userId: string, options: { projectId?: string; background?: boolean } = {}): Promise<DriftRecord> {
    return this.terraform.checkDrift(deploymentId, userId, options);
  }

  /** Opens a change of the deployment with its current resources, planned at once: its apply puts the cloud back to what is declared. */
  reconcileDrift(deploymentId: string, userId: string, options: { projectId?: string } = {}): Promise<SessionView> {
    return this.drift.reconcile(deploymentId, userId, options);
  }

  /** Acknowledges the deployment's current drift; a different drift found later is announced again. */
  dismissDrift(deploymentId: string, userId: string, options: { projectId?: string } = {}): Promise<DriftRecord> {
    return this.drift.dismiss(deploymentId, userId, options);
  }

  addResource(sessionId: string, userId: string, input: ResourceInput): Promise<SessionView> {
    return this.editing.addResource(sessionId, userId, input);
  }

  /** New config for one of the session's resources (same type); like any change, it invalidates the plan. */
  updateResource(sessionId: string, userId: string, input: { name: string; config?: Record<string, unknown> }): Promise<SessionView> {
    return this.editing.updateResource(sessionId, userId, input);
  }

  /** Removes a resource by name; like any change, it invalidates the plan. */
  removeResource(sessionId: string, userId: string, name: string): Promise<SessionView> {
    return this.editing.removeResource(sessionId, userId, name);
  }

  /** Runs every pre-plan check (permission, resources, policies) without changing the session. */
  validateSession(sessionId: string, userId: string): Promise<ValidationResult> {
    return this.planning.validateSession(sessionId, userId);
  }

  /**
   * Validates, synthesizes and runs `terraform plan`, saving the plan file
   * that `approveAndApply` will apply. Throws (and leaves the session
   * PLAN_FAILED with the reason) when validation or terraform fails.
   */
  runPlan(sessionId: string, userId: string, options: RunOptions = {}): Promise<PlanResult> {
    return this.terraform.runPlan(sessionId, userId, options);
  }

  /**
   * Approves and applies exactly the plan that was shown (`planId`: the one
   * the approver saw). Refuses unless PLAN_READY (DESTROY_READY for a
   * teardown), and with PLAN_STALE if the plan changed or the resources no
   * longer synthesize to it. The approval is recorded against the plan; when
   * the project needs more (`settings.approval.required`), the session comes
   * back PLAN_READY with `approvals` so far, and the approval that completes
   * the count applies. Returns the final session: APPLIED (DESTROYED), or
   * FAILED with the reason when terraform fails.
   */
  approveAndApply(sessionId: string, userId: string, options: ApproveOptions = {}): Promise<SessionView> {
    return this.terraform.approveAndApply(sessionId, userId, options);
  }

  /**
   * Records `userId`'s approval of the session's current plan (`planId`: the
   * one they saw) without applying it, even when it completes the count of
   * `settings.approval.required`; `approveAndApply` (by any eligible
   * approver, again by one who approved too) applies it then. Returns the
   * session with `approvals`.
   */
  approve(sessionId: string, userId: string, options: { planId?: string } = {}): Promise<SessionView> {
    return this.approval.approve(sessionId, userId, options);
  }

  /** Withdraws `userId`'s own approval of the session's current plan while it still waits (PLAN_READY, DESTROY_READY). */
  revokeApproval(sessionId: string, userId: string): Promise<SessionView> {
    return this.approval.revoke(sessionId, userId);
  }

  /**
   * Plans the teardown of a deployed session (APPLIED, or FAILED part-way):
   * `terraform plan -destroy`, shown like any plan (its cost delta is
   * negative) and approved with `approveAndApply` under the same permissions,
   * four-eyes rules and locks; the session then ends DESTROYED and its
   * resources stop counting against quotas.
   */
  destroySession(sessionId: string, userId: string, options: RunOptions = {}): Promise<PlanResult> {
    return this.terraform.destroySession(sessionId, userId, options);
  }

  /**
   * Plans the teardown of a deployment (id, or name within `projectId`): a
   * change that removes every resource, planned at once and approved like
   * any other; once applied the deployment is DESTROYED.
   */
  async destroyDeployment(deploymentId: string, userId: string, options: RunOptions & { projectId?: string } = {}): Promise<PlanResult> {
    const deployment = await this.deploymentStore.resolve(deploymentId, options.projectId);
    const session = await this.editing.startSession(userId, deployment.projectId, undefined, { deployment: deployment.id });
    // Those that refer to others go first: a resource others still refer to cannot be removed.
    for (const resource of inReferenceOrder(session.resources, this.resourceTypes).reverse()) await this.editing.removeResource(session.id, userId, resource.name);
    // A plan refused (a policy, terraform) leaves the change open with the reason, to fix and plan again, or cancel.
    return this.runPlan(session.id, userId, { onOutput: options.onOutput });
  }

  /**
   * Throws what `approveAndApply` would refuse with before running anything
   * (permission, plan seen, four eyes, approvers, state), so a chat adapter
   * can answer a refused click at once and acknowledge only real work.
   */
  checkApproval(sessionId: string, userId: string, options: { planId?: string } = {}): Promise<void> {
    return this.approval.check(sessionId, userId, options);
  }

  /**
   * Cancels a session. During a plan the plan is stopped; during an apply
   * terraform gets SIGINT so it saves state, and the session ends FAILED.
   */
  cancelSession(sessionId: string, userId: string): Promise<SessionView> {
    return this.cancellation.cancelSession(sessionId, userId);
  }

  /** The Terraform JSON the session's resources synthesize to, without running terraform. */
  synthesize(sessionId: string, userId: string): Promise<{ config: Record<string, unknown>; hash: string }> {
    return this.queries.synthesize(sessionId, userId);
  }

  /**
   * Everything terraform printed for a session, redacted, as persisted while
   * it streamed (also after a crash). With `viewerId`, read access is checked.
   */
  getOutput(sessionId: string, options: { viewerId?: string; afterSeq?: number } = {}): Promise<OutputLine[]> {
    return this.queries.getOutput(sessionId, options);
  }

  /**
   * Resolves sessions left busy by a process that is gone (run at start-up):
   * a plan becomes PLAN_FAILED and an apply FAILED with reason "interrupted",
   * their output kept; terraform left running in their working dirs is stopped.
   */
  recoverInterrupted(): Promise<string[]> {
    return this.recovery.recoverInterrupted();
  }

  /** Resolves sessions busy in worker processes that stopped answering (the job queue's sweep). */
  recoverLost(lost: (owner: string) => boolean): Promise<CloudSessionEntity[]> {
    return this.recovery.recoverLost(lost);
  }

  /**
   * A session: its resources and its current plan's summary (`plan`, without
   * the plan JSON: see `getPlanJson`). With `viewerId`, only if that user may
   * read its project.
   */
  getSession(sessionId: string, viewerId?: string): Promise<SessionView> {
    return this.queries.getSession(sessionId, viewerId);
  }

  /**
   * The plan JSON (`terraform show -json`, sensitive values and secrets
   * redacted, as stored) of a session's current plan, or null when it has
   * none. With `viewerId`, the same access check as `getSession`.
   */
  getPlanJson(sessionId: string, viewerId?: string): Promise<PlanJson | null> {
    return this.queries.getPlanJson(sessionId, viewerId);
  }

  /**
   * Sessions matching the filter, newest first. With `viewerId`, listing a
   * project needs read on it, and without a project only projects the viewer
   * can read are searched.
   */
  listSessions(filter: SessionFilter = {}, viewerId?: string): Promise<SessionView[]> {
    return this.queries.listSessions(filter, viewerId);
  }

  /** Counts across every project; with `viewerId`, only for global admins. */
  async stats(viewerId?: string): Promise<EngineStats> {
    const [stats, jobs] = await Promise.all([this.queries.stats(viewerId), this.jobs.depth()]);
    return { ...stats, jobs };
  }

  /** Waits for running terraform work to stop (used by kernel.close). */
  shutdown(): Promise<void> {
    return this.operations.shutdown();
  }
}
export const OrchestratorToken = token<Orchestrator>('kernel.orchestrator');

export type { LocalOperations } from '../jobs/queued-operations.js';
