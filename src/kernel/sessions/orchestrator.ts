import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { inject, injectable } from 'inversify';
import { In, type EntityManager } from 'typeorm';
import { AccessServiceToken, type AccessService } from '../access/access-service.js';
import { Authorizer, type Action } from '../access/authorizer.js';
import { AuditLogToken, type AuditLog } from '../audit/audit-log.js';
import { EngineConfig } from '../config/engine-config.js';
import { CloudEngineError, isCloudEngineError } from '../errors.js';
import { KernelEventsToken, type KernelEvents } from '../events/kernel-events.js';
import { Logger } from '../logger.js';
import type { JsonObject } from '../persistence/columns.js';
import { DatabaseToken, type Database } from '../persistence/database.js';
import { CloudResourceEntity } from '../persistence/entities/cloud-resource.entity.js';
import { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { PlanRecordEntity } from '../persistence/entities/plan-record.entity.js';
import type { CostEstimator } from '../plugin/cost-estimator.js';
import type { PolicyValidator, PolicyViolation } from '../plugin/policy-validator.js';
import {
  CostEstimatorRegistry,
  PolicyValidatorRegistry,
  ProviderRegistry,
  ResourceTypeRegistry,
} from '../plugin/registries.js';
import type { Registry } from '../plugin/registry.js';
import type { CloudProvider } from '../plugin/cloud-provider.js';
import type { ResourceType } from '../plugin/resource-type.js';
import { token } from '../plugin/token.js';
import { ProjectServiceToken, type Project, type ProjectService } from '../projects/project-service.js';
import { QuotaServiceToken, quotaError, type QuotaService } from '../quotas/quota-service.js';
import { ApprovalSettingsSchema } from '../projects/project-settings.js';
import { StackSynthesizer, type SynthesisResult } from '../synth/stack-synthesizer.js';
import { summarizePlan, type PlanJson } from '../terraform/plan-json.js';
import { capText, type TerraformEvent } from '../terraform/terraform-events.js';
import { TerraformError, TerraformRunner } from '../terraform/terraform-runner.js';
import type { ProviderPoolMetrics } from '../terraform/provider-pool.js';
import { RESOURCE_NAME, USER_ID, jsonSize, parseInput, requirePattern } from '../validation.js';
import { BUSY_STATES, DONE_STATES, DeploymentState, EDITABLE_STATES } from './deployment-state.js';
import { OutputRecorder, readOutput, type OutputLine } from './output-recorder.js';
import { RedactorToken, sensitiveValues, type Redactor } from '../secrets/redactor.js';
import { SealedBoxToken, type SealedBox } from '../secrets/sealed-box.js';
import { redactPlan } from '../secrets/redact-plan.js';
import { SessionLocks } from './session-lock.js';
import { SessionChangedError, SessionStore, newId, stateError, type PlanRecordSummary } from './session-store.js';
import type { PlanCost, PlanResult, SessionView } from './session-view.js';
import { estimateCost } from './cost.js';

export const TerraformRunnerToken = token<TerraformRunner>('kernel.terraform-runner');
export const StackSynthesizerToken = token<StackSynthesizer>('kernel.stack-synthesizer');
export const SessionLocksToken = token<SessionLocks>('kernel.session-locks');

/** Limits that keep one session from exhausting the machine or flooding chat. */
export const LIMITS = {
  resourcesPerSession: 200,
  configBytes: 64 * 1024,
} as const;

export interface ResourceInput {
  type: string;
  name: string;
  config?: Record<string, unknown>;
}

export interface RunOptions {
  /** Receives every human-readable line terraform prints, in order, as it happens. */
  onOutput?: (line: string) => void;
}

/** Options of an approval: the plan the approver saw, and where the apply's lines go. */
export interface ApproveOptions extends RunOptions {
  /**
   * The id of the plan the approver was shown. When given and no longer the
   * session's current plan, the approval is refused (PLAN_STALE) saying what
   * changed. Without it, the current plan is approved.
   */
  planId?: string;
}

export interface ValidationResult {
  readonly ok: boolean;
  readonly violations: readonly PolicyViolation[];
}

export interface SessionFilter {
  userId?: string;
  projectId?: string;
  states?: readonly DeploymentState[];
  limit?: number;
}

export interface EngineStats {
  readonly sessions: number;
  readonly byState: Readonly<Record<string, number>>;
  readonly byProject: Readonly<Record<string, number>>;
  readonly resourcesApplied: number;
  readonly plans: number;
  /** This process's terraform work right now, and its provider pool (null when the pool is off). */
  readonly terraform: {
    readonly running: number;
    readonly queued: number;
    readonly cap: number;
    readonly pool: (ProviderPoolMetrics & { readonly processes: number; readonly idle: number }) | null;
  };
}

const S = DeploymentState;

/** States a plan may start from. */
const PLANNABLE: readonly DeploymentState[] = [S.DRAFT, S.PLAN_READY, S.PLAN_FAILED];
/** How often a plan re-reads a session that another process changed while it was being validated. */
const PLAN_START_ATTEMPTS = 3;

/** Takes deployment sessions from DRAFT to APPLIED: the one place the flow lives. */
@injectable()
export class Orchestrator {
  private readonly store: SessionStore;
  /** Abort handles of running terraform work, so cancel can stop it. */
  private readonly running = new Map<string, { controller: AbortController; operation: 'plan' | 'apply'; done: Promise<unknown> }>();

  constructor(
    @inject(DatabaseToken) private readonly db: Database,
    @inject(EngineConfig) private readonly config: EngineConfig,
    @inject(Logger) private readonly logger: Logger,
    @inject(ProjectServiceToken) private readonly projects: ProjectService,
    @inject(Authorizer) private readonly authorizer: Authorizer,
    @inject(AuditLogToken) private readonly audit: AuditLog,
    @inject(KernelEventsToken) private readonly events: KernelEvents,
    @inject(ResourceTypeRegistry) private readonly resourceTypes: Registry<ResourceType>,
    @inject(ProviderRegistry) private readonly providers: Registry<CloudProvider>,
    @inject(PolicyValidatorRegistry) private readonly policies: Registry<PolicyValidator>,
    @inject(CostEstimatorRegistry) private readonly estimators: Registry<CostEstimator>,
    @inject(TerraformRunnerToken) private readonly runner: TerraformRunner,
    @inject(StackSynthesizerToken) private readonly synthesizer: StackSynthesizer,
    @inject(SessionLocksToken) private readonly locks: SessionLocks,
    @inject(QuotaServiceToken) private readonly quotas: QuotaService,
    @inject(AccessServiceToken) private readonly access: AccessService,
    @inject(RedactorToken) private readonly redactor: Redactor,
    @inject(SealedBoxToken) private readonly box: SealedBox,
  ) {
    this.store = new SessionStore(db, audit, events, resourceTypes, config.dataDir, this.ownerId, (sessionId) => this.queued.get(sessionId) ?? null);
  }

  /** Sessions whose terraform waits for a free slot, and their place in the FIFO queue. */
  private readonly queued = new Map<string, number>();

  /** This process, as recorded on the sessions it is running: `host:pid:boot`. */
  readonly ownerId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  /** Starts a session in DRAFT for a project; `provider` must match the project's if given. */
  async startSession(userId: string, projectId: string, provider?: string): Promise<SessionView> {
    requireUser(userId);
    const project = await this.projects.get(projectId);
    if (provider !== undefined && provider !== project.provider) {
      throw new CloudEngineError(
        'INVALID_INPUT',
        `Invalid provider: project ${project.id} deploys to ${project.provider}, not ${JSON.stringify(provider)}. Use provider ${project.provider} or another project.`,
        { field: 'provider', value: provider },
      );
    }
    await this.authorize(userId, 'session.start', project.id);
    const now = new Date();
    const entity = Object.assign(new CloudSessionEntity(), {
      id: newId(),
      projectId: project.id,
      provider: project.provider,
      userId,
      state: S.DRAFT,
      error: null,
      lastChangedBy: null,
      currentPlanId: null,
      outputs: null,
      approvedBy: null,
      operationOwner: null,
      resourcesInState: null,
      createdAt: now,
      updatedAt: now,
    } satisfies CloudSessionEntity);
    await this.db.transaction(async (manager) => {
      await manager.insert(CloudSessionEntity, entity);
      await this.audit.record({ actor: userId, action: 'session.started', projectId: project.id, sessionId: entity.id, details: { provider: project.provider } }, manager);
    });
    this.events.emit('session.created', { sessionId: entity.id, projectId: project.id, userId });
    return this.store.viewOf(entity, [], null);
  }

  /** Adds a resource; a session with a plan goes back to DRAFT (the plan no longer matches). */
  async addResource(sessionId: string, userId: string, input: ResourceInput): Promise<SessionView> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.change', session.projectId, session);
    const { type, name, config } = this.validateResource(session, input);
    return this.locks.run(sessionId, 'add resource', userId, async () => {
      await this.db.transaction(async (manager) => {
        const current = await this.store.load(sessionId, manager);
        requireEditable(current);
        const existing = await this.store.resources(sessionId, manager);
        if (existing.some((resource) => resource.name === name)) {
          throw new CloudEngineError('INVALID_INPUT', `Invalid name: session ${sessionId} already has a resource named "${name}"; pick another name or remove that one first.`, {
            field: 'name',
            value: name,
          });
        }
        if (existing.length >= LIMITS.resourcesPerSession) {
          throw new CloudEngineError(
            'INVALID_INPUT',
            `Session ${sessionId} already has ${existing.length} resources, the most one session may hold (${LIMITS.resourcesPerSession}). Deploy these first, then start another session.`,
            { field: 'name', details: { limit: LIMITS.resourcesPerSession } },
          );
        }
        await manager.insert(CloudResourceEntity, {
          id: newId(12),
          sessionId,
          name,
          type: type.type,
          config: config as JsonObject,
          createdBy: userId,
          createdAt: new Date(),
        });
        await this.audit.record({ actor: userId, action: 'resource.added', projectId: current.projectId, sessionId, details: { name, type: type.type } }, manager);
        await this.invalidatePlan(current, userId, manager);
      });
      this.events.emit('session.resourcesChanged', { sessionId, actor: userId });
      return this.store.view(sessionId);
    });
  }

  /** Removes a resource by name; like any change, it invalidates the plan. */
  async removeResource(sessionId: string, userId: string, name: string): Promise<SessionView> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.change', session.projectId, session);
    return this.locks.run(sessionId, 'remove resource', userId, async () => {
      await this.db.transaction(async (manager) => {
        const current = await this.store.load(sessionId, manager);
        requireEditable(current);
        const result = await manager.delete(CloudResourceEntity, { sessionId, name });
        if (result.affected !== 1) {
          throw new CloudEngineError('NOT_FOUND', `Session ${sessionId} has no resource named ${JSON.stringify(name)}.`, { field: 'name', value: name });
        }
        await this.audit.record({ actor: userId, action: 'resource.removed', projectId: current.projectId, sessionId, details: { name } }, manager);
        await this.invalidatePlan(current, userId, manager);
      });
      this.events.emit('session.resourcesChanged', { sessionId, actor: userId });
      return this.store.view(sessionId);
    });
  }

  /** Runs every pre-plan check (permission, resources, policies) without changing the session. */
  async validateSession(sessionId: string, userId: string): Promise<ValidationResult> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.plan', session.projectId, session);
    const project = await this.projects.get(session.projectId);
    // As planning checks it: configs as stored (secret fields too), no plan.
    const view = this.store.viewOf(session, await this.store.resources(sessionId), null);
    const violations = [...(await this.quotaViolations(view)), ...(await this.collectSessionViolations(view, project, userId))];
    return { ok: violations.length === 0, violations };
  }

  /**
   * Validates, synthesizes and runs `terraform plan`, saving the plan file
   * that `approveAndApply` will apply. Throws (and leaves the session
   * PLAN_FAILED with the reason) when validation or terraform fails.
   */
  async runPlan(sessionId: string, userId: string, options: RunOptions = {}): Promise<PlanResult> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.plan', session.projectId, session);
    const resources = await this.store.resources(sessionId);
    if (resources.length === 0) {
      throw new CloudEngineError('INVALID_STATE', `Session ${sessionId} has no resources yet; add at least one, then plan.`, { details: { state: session.state } });
    }
    return this.locks.run(sessionId, 'plan', userId, () => this.track(sessionId, 'plan', (signal) => this.plan(session, resources, userId, options, signal)));
  }

  /**
   * Applies exactly the plan that was shown. Refuses unless PLAN_READY, and
   * with PLAN_STALE if the resources no longer synthesize to the planned
   * configuration. Returns the final session: APPLIED, or FAILED with the
   * reason when terraform fails.
   */
  async approveAndApply(sessionId: string, userId: string, options: ApproveOptions = {}): Promise<SessionView> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.approve', session.projectId, session);
    return this.locks.run(sessionId, 'apply', userId, () => this.track(sessionId, 'apply', (signal) => this.apply(sessionId, userId, options, signal)));
  }

  /**
   * Plans the teardown of a deployed session (APPLIED, or FAILED part-way):
   * `terraform plan -destroy`, shown like any plan (its cost delta is
   * negative) and approved with `approveAndApply` under the same permissions,
   * four-eyes rules and locks; the session then ends DESTROYED and its
   * resources stop counting against quotas.
   */
  async destroySession(sessionId: string, userId: string, options: RunOptions = {}): Promise<PlanResult> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.plan', session.projectId, session);
    return this.locks.run(sessionId, 'destroy plan', userId, () => this.track(sessionId, 'plan', (signal) => this.planDestroy(session, userId, options, signal)));
  }

  /**
   * Throws what `approveAndApply` would refuse with before running anything
   * (permission, four eyes, approvers, state), so a chat adapter can answer
   * a refused click at once and acknowledge only real work.
   */
  async checkApproval(sessionId: string, userId: string, options: { planId?: string } = {}): Promise<void> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.approve', session.projectId, session);
    await this.refusalsAudited(userId, session, 'session.approve', async () => {
      const plan = await this.approvablePlan(session, options.planId);
      await this.checkApprovalRules(session, plan, await this.projects.get(session.projectId), userId);
    });
  }

  /**
   * Cancels a session. During a plan the plan is stopped; during an apply
   * terraform gets SIGINT so it saves state, and the session ends FAILED.
   */
  async cancelSession(sessionId: string, userId: string): Promise<SessionView> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.cancel', session.projectId, session);
    const work = this.running.get(sessionId);
    if (work) {
      await this.audit.record({ actor: userId, action: 'session.cancel_requested', projectId: session.projectId, sessionId, details: { during: work.operation } });
      work.controller.abort(new CloudEngineError('INVALID_STATE', `cancelled by ${userId}`));
      await work.done.catch(() => undefined);
      return this.store.view(sessionId);
    }
    if (DONE_STATES.includes(session.state)) {
      throw new CloudEngineError('INVALID_STATE', `Session ${sessionId} is already ${session.state}; there is nothing to cancel.`, { details: { state: session.state } });
    }
    if (BUSY_STATES.includes(session.state)) return this.cancelOrphaned(session, userId);
    return this.locks.run(sessionId, 'cancel', userId, async () => {
      if (session.state === S.DESTROY_READY) {
        // Withdrawing a planned teardown leaves the deployment as it was.
        await this.store.transition({ sessionId, from: [S.DESTROY_READY], to: S.APPLIED, actor: userId, patch: { currentPlanId: null }, details: { reason: 'teardown withdrawn' } });
        return this.store.view(sessionId);
      }
      await this.store.transition({ sessionId, from: EDITABLE_STATES, to: S.CANCELLED, actor: userId, patch: { currentPlanId: null } });
      return this.store.view(sessionId);
    });
  }

  /** The Terraform JSON the session's resources synthesize to, without running terraform. */
  async synthesize(sessionId: string, userId: string): Promise<{ config: Record<string, unknown>; hash: string }> {
    requireUser(userId);
    const session = await this.store.load(sessionId);
    await this.authorize(userId, 'session.view', session.projectId, session);
    const synthesis = this.synthesizeView(await this.projects.get(session.projectId), this.store.viewOf(session, await this.store.resources(sessionId), null));
    return { config: synthesis.config, hash: synthesis.hash };
  }

  /**
   * Everything terraform printed for a session, redacted, as persisted while
   * it streamed (also after a crash). With `viewerId`, read access is checked.
   */
  async getOutput(sessionId: string, options: { viewerId?: string; afterSeq?: number } = {}): Promise<OutputLine[]> {
    const session = await this.store.load(sessionId);
    if (options.viewerId !== undefined) {
      requireUser(options.viewerId);
      await this.authorize(options.viewerId, 'session.view', session.projectId, session);
    }
    return readOutput(this.db, sessionId, options.afterSeq);
  }

  /**
   * Resolves sessions left busy by a process that is gone (run at start-up):
   * a plan becomes PLAN_FAILED and an apply FAILED with reason "interrupted",
   * their output kept; terraform processes still running in the session's
   * working dir are stopped and a stale local state lock removed. Sessions
   * owned by a live process, or by another host, are left alone.
   */
  async recoverInterrupted(): Promise<string[]> {
    const recovered: string[] = [];
    const busy = await this.store.list({ states: BUSY_STATES });
    for (const session of busy) {
      const owner = parseOwner(session.operationOwner);
      if (owner && owner.host !== hostname()) {
        this.logger.warn({ sessionId: session.id, owner: session.operationOwner }, 'session busy on another host; left alone');
        continue;
      }
      if (owner && owner.id !== this.ownerId && processAlive(owner.pid)) continue;
      const workingDir = this.store.workingDir(session.id);
      const stopped = await stopTerraformIn(workingDir);
      const lockRemoved = await removeStaleLocalLock(workingDir);
      const applying = session.state === S.APPROVED || session.state === S.APPLYING || session.state === S.DESTROYING;
      const tearingDownPlan = session.state === S.DESTROY_PLANNING;
      const project = await this.projects.get(session.projectId).catch(() => undefined);
      const backend = (project?.settings.backend as { type?: string } | undefined)?.type ?? 'local';
      // A remote backend's lock is not ours to break blindly: say how to release it.
      const unlock =
        backend === 'local'
          ? ''
          : ` If terraform then reports the state is locked, release it with \`terraform force-unlock <LOCK ID>\` in ${workingDir}, using the project's ${backend} backend credentials.`;
      const reason =
        (applying
          ? `interrupted: the process applying this session (${session.operationOwner ?? 'unknown'}) stopped before terraform finished. Terraform's state keeps what it did; start a new session to plan the rest, or destroy this one.`
          : `interrupted: the process planning this session (${session.operationOwner ?? 'unknown'}) stopped. Plan again.`) + unlock;
      // What the interrupted apply left in terraform's state keeps counting against quotas.
      const resourcesInState = applying && project ? await this.stateOf(session, project) : null;
      try {
        await this.store.transition({
          sessionId: session.id,
          from: [session.state],
          to: applying ? S.FAILED : tearingDownPlan ? S.APPLIED : S.PLAN_FAILED,
          actor: 'system',
          patch: { error: reason, ...(applying ? { resourcesInState } : {}) },
          details: { recovered: true, owner: session.operationOwner, terraformStopped: stopped, lockRemoved, ...(applying ? { resourcesInState } : {}) },
        });
        recovered.push(session.id);
        if (applying) this.events.emit('apply.finished', { sessionId: session.id, state: S.FAILED, error: reason });
      } catch (error) {
        // Another process may have resolved it first.
        this.logger.warn({ err: error, sessionId: session.id }, 'could not recover session');
      }
    }
    return recovered;
  }

  /** A session; with `viewerId`, only if that user may read its project. */
  /**
   * Cancels a session recorded as busy while nothing runs for it here: its
   * operation's end could not be written (the database failed), or the
   * process running it is gone. A live process elsewhere keeps it: LOCKED.
   */
  private async cancelOrphaned(session: CloudSessionEntity, userId: string): Promise<SessionView> {
    const owner = parseOwner(session.operationOwner);
    const ownedHere = session.operationOwner === this.ownerId;
    const ownerGone = owner !== undefined && owner.host === hostname() && !processAlive(owner.pid);
    if (!ownedHere && !ownerGone && owner !== undefined) {
      throw new CloudEngineError('LOCKED', `Session ${session.id} is ${session.state}, run by another process (${session.operationOwner}). Cancel it there, or wait for it to finish.`, {
        details: { owner: session.operationOwner, state: session.state },
      });
    }
    const to =
      session.state === S.VALIDATING || session.state === S.PLANNING
        ? S.CANCELLED
        : session.state === S.DESTROY_PLANNING
          ? S.APPLIED
          : S.FAILED;
    await this.store.transition({
      sessionId: session.id,
      from: [session.state],
      to,
      actor: userId,
      patch: to === S.FAILED ? { error: `cancelled by ${userId}: its ${session.state.toLowerCase()} was no longer running` } : {},
      details: { orphaned: true, owner: session.operationOwner },
    });
    return this.store.view(session.id);
  }

  /**
   * A session: its resources and its current plan's summary (`plan`, without
   * the plan JSON: see `getPlanJson`). With `viewerId`, only if that user may
   * read its project.
   */
  async getSession(sessionId: string, viewerId?: string): Promise<SessionView> {
    return this.store.toView(await this.readableSession(sessionId, viewerId));
  }

  /**
   * The plan JSON (`terraform show -json`, sensitive values and secrets
   * redacted, as stored) of a session's current plan, or null when it has
   * none. With `viewerId`, the same access check as `getSession`.
   */
  async getPlanJson(sessionId: string, viewerId?: string): Promise<PlanJson | null> {
    return this.store.planJson(await this.readableSession(sessionId, viewerId));
  }

  private async readableSession(sessionId: string, viewerId: string | undefined): Promise<CloudSessionEntity> {
    if (viewerId !== undefined) requireUser(viewerId);
    const session = await this.store.load(sessionId);
    if (viewerId !== undefined) await this.authorize(viewerId, 'session.view', session.projectId, session);
    return session;
  }

  /**
   * Sessions matching the filter, newest first. With `viewerId`, listing a
   * project needs read on it, and without a project only projects the viewer
   * can read are searched.
   */
  async listSessions(filter: SessionFilter = {}, viewerId?: string): Promise<SessionView[]> {
    let projectIds: string[] | undefined;
    if (viewerId !== undefined) {
      requireUser(viewerId);
      if (filter.projectId) await this.authorize(viewerId, 'session.list', filter.projectId);
      else if (!this.authorizer.isGlobalAdmin(viewerId)) projectIds = await this.access.projectsFor(viewerId, 'read');
    }
    if (projectIds?.length === 0) return [];
    const rows = await this.store.list({ ...filter, projectIds });
    // Two queries for all of them (resources, plan summaries); never the plan JSON.
    return this.store.toViews(rows);
  }

  /** Counts across every project; with `viewerId`, only for global admins. */
  async stats(viewerId?: string): Promise<EngineStats> {
    if (viewerId !== undefined && !this.authorizer.isGlobalAdmin(viewerId)) {
      throw new CloudEngineError('PERMISSION_DENIED', `Statistics across all projects are for global admins; ${viewerId} is not one.`, {
        details: { needed: 'global admin' },
      });
    }
    const sessions = await this.db.manager.find(CloudSessionEntity, { select: { id: true, state: true, projectId: true } });
    // Null-prototype maps: a project may be called "constructor".
    const byState: Record<string, number> = Object.create(null) as Record<string, number>;
    const byProject: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const session of sessions) {
      byState[session.state] = (byState[session.state] ?? 0) + 1;
      byProject[session.projectId] = (byProject[session.projectId] ?? 0) + 1;
    }
    const applied = sessions.filter((session) => session.state === S.APPLIED).map((session) => session.id);
    const resourcesApplied = applied.length ? await this.db.manager.countBy(CloudResourceEntity, { sessionId: In(applied) }) : 0;
    const plans = await this.db.manager.count(PlanRecordEntity);
    const pool = this.runner.providerPool;
    const processes = pool?.list() ?? [];
    const terraform = {
      running: this.runner.running,
      queued: this.runner.queued,
      cap: this.runner.maxConcurrent,
      pool: pool ? { ...pool.metrics, processes: processes.length, idle: processes.filter((proc) => proc.state === 'idle').length } : null,
    };
    return { sessions: sessions.length, byState, byProject, resourcesApplied, plans, terraform };
  }

  /** Waits for running terraform work to stop (used by kernel.close). */
  async shutdown(): Promise<void> {
    for (const work of this.running.values()) work.controller.abort(new CloudEngineError('INVALID_STATE', 'the kernel is shutting down'));
    await Promise.allSettled([...this.running.values()].map((work) => work.done));
  }

  // ---- the flow ----

  /**
   * Validates with what `runPlan` read (session, resources) and the project,
   * read once, then moves DRAFT/PLAN_READY/PLAN_FAILED → VALIDATING →
   * PLANNING in one transaction (both steps audited) on condition that the
   * session is unchanged since it was read. A session another process changed
   * meanwhile is read again and validated again.
   */
  private async plan(read: CloudSessionEntity, readResources: CloudResourceEntity[], userId: string, options: RunOptions, signal: AbortSignal): Promise<PlanResult> {
    const sessionId = read.id;
    let session = read;
    let resources = readResources;
    if (!PLANNABLE.includes(session.state)) {
      // Read before the lock was taken: an operation that just ended may have moved it since.
      session = await this.store.load(sessionId);
      if (!PLANNABLE.includes(session.state)) throw stateError(session, PLANNABLE, [S.VALIDATING, S.PLANNING]);
      resources = await this.store.resources(sessionId);
    }
    const project = await this.projects.get(session.projectId);
    let started: { view: SessionView; planning: CloudSessionEntity };
    for (let attempt = 1; ; attempt++) {
      try {
        started = await this.validateAndStartPlanning(session, resources, project, userId, signal);
        break;
      } catch (error) {
        if (!(error instanceof SessionChangedError) || attempt >= PLAN_START_ATTEMPTS) throw error;
        session = error.current;
        resources = await this.store.resources(sessionId);
      }
    }
    let recorder: OutputRecorder | undefined;
    try {
      recorder = await this.recorder(sessionId, 'plan');
      return await this.makePlan({ ...started, project, userId, options, signal, recorder, operation: 'apply', to: S.PLAN_READY });
    } catch (error) {
      await recorder?.close();
      throw await this.failPlan(sessionId, userId, S.PLANNING, error, signal);
    }
  }

  /**
   * The checks before a plan (quotas, resources, policies' `validateSession`),
   * on the session as it will be while VALIDATING; then `→ VALIDATING →
   * PLANNING`, or `→ VALIDATING → PLAN_FAILED` (`CANCELLED` if cancelled).
   * Throws SessionChangedError when the session changed since `session` was read.
   */
  private async validateAndStartPlanning(
    session: CloudSessionEntity,
    resources: readonly CloudResourceEntity[],
    project: Project,
    userId: string,
    signal: AbortSignal,
  ): Promise<{ view: SessionView; planning: CloudSessionEntity }> {
    const sessionId = session.id;
    const view = this.store.viewOf({ ...session, state: S.VALIDATING, error: null, currentPlanId: null }, resources, null);
    try {
      const violations = [...(await this.quotaViolations(view)), ...(await this.collectSessionViolations(view, project, userId))];
      if (violations.length > 0) throw violationsError(sessionId, violations, 'before planning');
      signal.throwIfAborted();
    } catch (error) {
      throw await this.failPlan(sessionId, userId, S.VALIDATING, error, signal, session);
    }
    const planning = await this.store.transition({
      sessionId,
      from: PLANNABLE,
      via: [S.VALIDATING],
      to: S.PLANNING,
      actor: userId,
      patch: { currentPlanId: null, error: null },
      seen: session,
    });
    return { view, planning };
  }

  private async apply(sessionId: string, userId: string, options: ApproveOptions, signal: AbortSignal): Promise<SessionView> {
    const session = await this.store.load(sessionId);
    const destroying = session.state === S.DESTROY_READY;
    const plan = await this.refusalsAudited(userId, session, 'session.approve', () => this.approvablePlan(session, options.planId));
    const project = await this.projects.get(session.projectId);
    // The resources are read once, for the hash and the quota check; the approval's conditional update catches a change since.
    const view = this.store.viewOf(session, await this.store.resources(sessionId), null);
    const synthesis = this.synthesizeView(project, view);
    if (synthesis.hash !== plan.configHash) {
      throw new CloudEngineError(
        'PLAN_STALE',
        `The plan of session ${sessionId} no longer matches its configuration (planned ${plan.configHash.slice(0, 12)}, now ${synthesis.hash.slice(0, 12)}), so it will not be applied. Run the plan again and approve the new one.`,
        { details: { planId: plan.id, plannedHash: plan.configHash, currentHash: synthesis.hash } },
      );
    }
    if (!(await exists(plan.planFile))) {
      throw new CloudEngineError('PLAN_STALE', `The saved plan file of session ${sessionId} is gone (${plan.planFile}). Run the plan again and approve the new one.`, {
        details: { planId: plan.id },
      });
    }

    // The plan's sensitive values, sealed with it: whichever process planned, this one hides them.
    const redactor = this.redactor.with(this.box.unseal(plan.sealedSecrets));
    await this.refusalsAudited(userId, session, 'session.approve', async () => {
      await this.checkApprovalRules(session, plan, project, userId);
      // Today's policies, for today's approver: a rule tightened since the plan still holds.
      const violations = await this.collectSessionViolations(view, project, userId);
      if (violations.length > 0) throw violationsError(sessionId, violations, 'at approval', 'approved');
    });
    if (destroying) return this.applyDestroy(session, plan, synthesis, userId, options, signal, redactor);
    await this.refusalsAudited(userId, session, 'session.approve', () =>
      this.db.transaction(async (manager) => {
        // Re-checked inside the approval's transaction, which the database
        // serializes across processes, so sessions that each fit cannot together exceed a limit.
        const excess = await this.quotas.excess(project.id, this.quotas.requested(view.resources), manager);
        if (excess.length > 0) throw quotaError(excess, `approving session ${sessionId}`);
        // Conditional on the plan approved: a session re-planned meanwhile (elsewhere) is PLAN_STALE, never this plan applied.
        await this.store.transition(
          { sessionId, from: [S.PLAN_READY], planId: plan.id, to: S.APPROVED, actor: userId, patch: { approvedBy: userId }, details: { planId: plan.id, summary: plan.summary } },
          manager,
        );
      }),
    );
    const started = Date.now();
    const recorder = await this.recorder(sessionId, 'apply');
    try {
      await this.store.transition({ sessionId, from: [S.APPROVED], to: S.APPLYING, actor: userId });
      const workingDir = this.store.workingDir(sessionId);
      const context = this.terraformContext(sessionId, workingDir, synthesis, 'apply', options, signal, recorder, redactor);
      // A session planned before a restart may have lost .terraform; init is a no-op otherwise.
      await this.runner.init(context);
      await this.runner.apply({ ...context, planFile: plan.planFile });
      const outputs = await this.runner.output(context).catch((error: unknown) => {
        this.logger.warn({ err: error, sessionId }, 'reading terraform outputs failed');
        return {};
      });
      const shown = redactor.redactDeep(Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.sensitive ? '(sensitive)' : output.value])));
      await recorder.close();
      await this.store.transition({ sessionId, from: [S.APPLYING], to: S.APPLIED, actor: userId, patch: { outputs: shown }, details: { planId: plan.id, durationMs: Date.now() - started } });
      this.events.emit('apply.finished', { sessionId, state: S.APPLIED, outputs: shown });
    } catch (error) {
      await recorder.close();
      const message = capText(redactor.redact(signal.aborted ? `cancelled during apply (${reasonText(signal.reason)}); terraform saved the state of what it finished` : errorText(error)));
      // Terraform saying no is the session's outcome, not our failure: no stack trace.
      if (error instanceof TerraformError || signal.aborted) this.logger.warn({ sessionId, reason: message }, 'apply failed');
      else this.logger.error({ err: error, sessionId }, 'apply failed');
      const resourcesInState = await this.resourcesInState(sessionId, synthesis);
      await this.store
        .transition({ sessionId, from: [S.APPROVED, S.APPLYING], to: S.FAILED, actor: userId, patch: { error: message, resourcesInState }, details: { planId: plan.id, durationMs: Date.now() - started, resourcesInState } })
        .catch((transitionError: unknown) => this.logger.error({ err: transitionError, sessionId }, 'could not record the failed apply'));
      this.events.emit('apply.finished', { sessionId, state: S.FAILED, error: message });
    }
    return this.store.view(sessionId);
  }

  /**
   * The planning both flows share: synthesize into the working dir, run
   * `init`, `plan -out` (`-destroy` for a teardown) and `show -json`; price
   * and check the real plan; store the redacted one and move `from → to`.
   */
  private async makePlan(args: {
    view: SessionView;
    project: Project;
    userId: string;
    options: RunOptions;
    signal: AbortSignal;
    recorder: OutputRecorder;
    operation: 'apply' | 'destroy';
    /** The session as its last transition left it (PLANNING or DESTROY_PLANNING): not read again. */
    planning: CloudSessionEntity;
    to: DeploymentState;
  }): Promise<PlanResult> {
    const { view, project, userId, recorder, operation } = args;
    const sessionId = view.id;
    // Synthesis is synchronous (up to ~100 ms for a big session): let waiting work (a click to acknowledge) go first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const synthesis = this.synthesizeView(project, view);
    const workingDir = this.store.workingDir(sessionId);
    await mkdir(join(workingDir, 'plans'), { recursive: true });
    await writeFile(join(workingDir, 'main.tf.json'), synthesis.text);
    const planId = newId(12);
    const planFile = join(workingDir, 'plans', `${planId}${operation === 'destroy' ? '.destroy' : ''}.tfplan`);
    const context = this.terraformContext(sessionId, workingDir, synthesis, 'plan', args.options, args.signal, recorder, this.redactor);
    await this.runner.init(context);
    await this.runner.plan({ ...context, planFile, destroy: operation === 'destroy' });
    const rawPlan = await this.runner.show({ ...context, planFile });
    // What the plan marks sensitive, and what the types call secret: hidden in the plan and, sealed with it, in its apply.
    const secrets = [...sensitiveValues(rawPlan), ...this.secretFieldValues(view)];
    const redactor = this.redactor.with(secrets);
    // Policies and estimators see the real plan; what is stored and shown is redacted (one pass over the document).
    const planJson = redactPlan(rawPlan, redactor);
    const summary = summarizePlan(planJson);
    let cost: PlanCost | undefined;
    try {
      cost = await this.estimate(project, rawPlan);
      const violations = await this.collectPlanViolations(view, project, userId, rawPlan, cost, operation);
      if (violations.length > 0) throw violationsError(sessionId, violations, operation === 'destroy' ? 'in the teardown plan' : 'in the plan');
    } catch (error) {
      // A plugin's message may quote the plan's sensitive values.
      throw isCloudEngineError(error) ? this.redactError(error, redactor) : error;
    }

    const record = planRecord({ id: planId, sessionId, userId, summary, planJson, planFile, configHash: synthesis.hash, cost, sealedSecrets: this.box.seal(secrets) });
    await recorder.close();
    await this.db.transaction(async (manager) => {
      await manager.insert(PlanRecordEntity, record);
      await this.store.transition(
        {
          sessionId,
          from: [args.planning.state],
          to: args.to,
          actor: userId,
          patch: { currentPlanId: planId },
          seen: args.planning,
          details: {
            planId,
            summary: summary.summary,
            hash: synthesis.hash,
            policies: this.policies.keys(),
            monthly: cost?.monthly ?? null,
            ...(operation === 'destroy' ? { destroy: true } : {}),
          },
        },
        manager,
      );
    });
    const result = this.store.toPlanResult(record);
    this.events.emit('plan.ready', { sessionId, plan: result });
    return result;
  }

  private async planDestroy(session: CloudSessionEntity, userId: string, options: RunOptions, signal: AbortSignal): Promise<PlanResult> {
    const sessionId = session.id;
    const back = session.state === S.FAILED ? S.FAILED : S.APPLIED;
    const planning = await this.store.transition({
      sessionId,
      from: [S.APPLIED, S.FAILED, S.DESTROY_READY],
      to: S.DESTROY_PLANNING,
      actor: userId,
      patch: { error: null, currentPlanId: null },
    });
    const recorder = await this.recorder(sessionId, 'plan');
    try {
      const project = await this.projects.get(session.projectId);
      // A deployed session's resources no longer change: read once, with the session as the transition left it.
      const view = this.store.viewOf(planning, await this.store.resources(sessionId), null);
      return await this.makePlan({ view, project, userId, options, signal, recorder, operation: 'destroy', planning, to: S.DESTROY_READY });
    } catch (error) {
      await recorder.close();
      const failure = this.redactError(toUserError(sessionId, error), this.redactor);
      // The deployment is untouched by a failed teardown plan: it goes back to what it was.
      await this.store
        .transition({ sessionId, from: [S.DESTROY_PLANNING], to: back, actor: userId, patch: { error: signal.aborted ? null : failure.message }, details: { code: failure.code, destroy: true } })
        .catch((transitionError: unknown) => this.logger.error({ err: transitionError, sessionId }, 'could not record the failed teardown plan'));
      throw failure;
    }
  }

  private async applyDestroy(
    session: CloudSessionEntity,
    plan: PlanRecordSummary,
    synthesis: SynthesisResult,
    userId: string,
    options: RunOptions,
    signal: AbortSignal,
    redactor: Redactor,
  ): Promise<SessionView> {
    const sessionId = session.id;
    const started = Date.now();
    await this.store.transition({
      sessionId,
      from: [S.DESTROY_READY],
      planId: plan.id,
      to: S.DESTROYING,
      actor: userId,
      patch: { approvedBy: userId },
      details: { planId: plan.id, summary: plan.summary },
    });
    const recorder = await this.recorder(sessionId, 'apply');
    try {
      const workingDir = this.store.workingDir(sessionId);
      const context = this.terraformContext(sessionId, workingDir, synthesis, 'apply', options, signal, recorder, redactor);
      await this.runner.init(context);
      await this.runner.apply({ ...context, planFile: plan.planFile });
      await recorder.close();
      await this.store.transition({ sessionId, from: [S.DESTROYING], to: S.DESTROYED, actor: userId, patch: { outputs: null, resourcesInState: [] }, details: { planId: plan.id, durationMs: Date.now() - started } });
      this.events.emit('apply.finished', { sessionId, state: S.DESTROYED });
    } catch (error) {
      await recorder.close();
      const message = capText(redactor.redact(signal.aborted ? `teardown cancelled (${reasonText(signal.reason)}); terraform saved the state of what it destroyed` : errorText(error)));
      const resourcesInState = await this.resourcesInState(sessionId, synthesis);
      await this.store
        .transition({ sessionId, from: [S.DESTROYING], to: S.FAILED, actor: userId, patch: { error: message, resourcesInState }, details: { planId: plan.id, destroy: true, resourcesInState } })
        .catch((transitionError: unknown) => this.logger.error({ err: transitionError, sessionId }, 'could not record the failed teardown'));
      this.events.emit('apply.finished', { sessionId, state: S.FAILED, error: message });
    }
    return this.store.view(sessionId);
  }

  /**
   * Records a failed (or cancelled) plan and returns the error to throw. With
   * `seen` (failed while validating, before any transition) the session moves
   * `→ VALIDATING → PLAN_FAILED/CANCELLED` from the state it was read in, and
   * SessionChangedError passes through for the caller to retry.
   */
  private async failPlan(sessionId: string, userId: string, phase: DeploymentState, error: unknown, signal: AbortSignal, seen?: CloudSessionEntity): Promise<CloudEngineError> {
    const from = seen ? { from: PLANNABLE, via: [S.VALIDATING], seen } : { from: [phase] };
    const unrecorded = (what: string) => (transitionError: unknown) => {
      if (transitionError instanceof SessionChangedError) throw transitionError;
      this.logger.error({ err: transitionError, sessionId }, what);
    };
    if (signal.aborted) {
      await this.store
        .transition({ sessionId, ...from, to: S.CANCELLED, actor: userId, ...(seen ? { patch: { currentPlanId: null, error: null } } : {}), details: { during: 'plan', reason: reasonText(signal.reason) } })
        .catch(unrecorded('could not record the cancelled plan'));
      return new CloudEngineError('INVALID_STATE', `The plan of session ${sessionId} was stopped: ${reasonText(signal.reason)}.`, { cause: error });
    }
    const failure = this.redactError(toUserError(sessionId, error), this.redactor);
    if (!isCloudEngineError(error)) this.logger.error({ err: error, sessionId }, 'plan failed');
    await this.store
      .transition({ sessionId, ...from, to: S.PLAN_FAILED, actor: userId, patch: { ...(seen ? { currentPlanId: null } : {}), error: failure.message }, details: { code: failure.code, ...failure.details } })
      .catch(unrecorded('could not record the failed plan'));
    return failure;
  }

  // ---- helpers ----

  private async track<T>(sessionId: string, operation: 'plan' | 'apply', work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const done = work(controller.signal);
    this.running.set(sessionId, { controller, operation, done });
    try {
      return await done;
    } finally {
      this.running.delete(sessionId);
      this.queued.delete(sessionId);
    }
  }

  private terraformContext(
    sessionId: string,
    cwd: string,
    synthesis: SynthesisResult,
    operation: 'plan' | 'apply',
    options: RunOptions,
    signal: AbortSignal,
    recorder: OutputRecorder,
    redactor: Redactor,
  ) {
    const redactLine = redactor.lines();
    return {
      cwd,
      env: synthesis.environment,
      signal,
      onQueued: (position: number) => {
        this.queued.set(sessionId, position);
        this.events.emit('terraform.queued', { sessionId, position });
      },
      onEvent: (event: TerraformEvent) => {
        // Terraform speaking means it got its slot.
        if (this.queued.delete(sessionId)) this.events.emit('terraform.queued', { sessionId, position: 0 });
        // Routine init chatter would flood chat; its warnings and errors still show.
        if (event.type === 'version' || event.message === '' || (event.command === 'init' && event.level === 'info')) return;
        // terraform apply repeats the plan's "Plan to create" lines; they were shown with the plan.
        if (event.command === 'apply' && event.type === 'planned_change') return;
        // Redacted before anything sees it (chat, listeners, the database), then cut as stored, so all see one text.
        const line = recorder.add(redactLine(event.message), event.level);
        this.events.emit('output.line', { sessionId, operation, line, level: event.level });
        if (options.onOutput) {
          try {
            options.onOutput(line);
          } catch (error) {
            this.logger.warn({ err: error, sessionId }, 'onOutput callback threw');
          }
        }
      },
    };
  }

  private recorder(sessionId: string, operation: 'plan' | 'apply'): Promise<OutputRecorder> {
    return OutputRecorder.open(this.db, sessionId, operation, (error) => this.logger.error({ err: error, sessionId }, 'could not persist output'));
  }

  /** The error with secrets redacted and its text bounded (terraform's diagnostics can be megabytes). */
  private redactError(error: CloudEngineError, redactor: Redactor): CloudEngineError {
    const message = capText(redactor.redact(error.message));
    if (message === error.message) return error;
    return new CloudEngineError(error.code, message, { field: error.field, details: redactor.redactDeep(error.details), cause: error });
  }

  /** The string values of the session's secret fields (each type's `secretFields`). */
  private secretFieldValues(view: SessionView): string[] {
    return view.resources.flatMap((resource) => {
      const fields = this.resourceTypes.get(resource.type)?.secretFields ?? [];
      return fields.map((field) => resource.config[field]).filter((value): value is string => typeof value === 'string');
    });
  }

  private synthesizeView(project: Project, view: SessionView): SynthesisResult {
    return this.synthesizer.synthesize({
      sessionId: view.id,
      project,
      resources: view.resources.map((resource) => ({ name: resource.name, type: resource.type, config: resource.config })),
    });
  }

  private async invalidatePlan(session: CloudSessionEntity, userId: string, manager: EntityManager): Promise<void> {
    if (session.state === S.DRAFT) {
      await manager.update(CloudSessionEntity, { id: session.id }, { lastChangedBy: userId, updatedAt: new Date() });
      return;
    }
    await this.store.transition(
      { sessionId: session.id, from: [session.state], to: S.DRAFT, actor: userId, patch: { currentPlanId: null, lastChangedBy: userId, error: null }, details: { reason: 'resources changed' } },
      manager,
    );
  }

  private validateResource(session: CloudSessionEntity, input: ResourceInput): { type: ResourceType; name: string; config: Record<string, unknown> } {
    if (input === null || typeof input !== 'object') {
      throw new CloudEngineError('INVALID_INPUT', 'Invalid resource: expected { type, name, config }.', { field: 'resource' });
    }
    const name = requirePattern(input.name, RESOURCE_NAME, 'name', '1-63 lowercase letters, digits, dashes and underscores, starting with a letter or underscore (e.g. "web-1")');
    const type = this.resourceTypes.get(input.type);
    const ofProvider = this.resourceTypes.list().filter((candidate) => candidate.provider === session.provider).map((candidate) => candidate.type);
    if (!type) {
      throw new CloudEngineError('INVALID_INPUT', `Invalid type: ${JSON.stringify(input.type)} is not a known resource type; for ${session.provider} use one of ${ofProvider.join(', ') || '(none loaded)'}.`, {
        field: 'type',
        value: input.type,
      });
    }
    if (type.provider !== session.provider) {
      throw new CloudEngineError(
        'INVALID_INPUT',
        `Invalid type: ${type.type} belongs to the ${type.provider} provider, but session ${session.id} deploys to ${session.provider}; use one of ${ofProvider.join(', ') || '(none loaded)'}.`,
        { field: 'type', value: input.type },
      );
    }
    const raw = input.config ?? {};
    const size = jsonSize(raw);
    if (size === undefined) {
      throw new CloudEngineError('INVALID_INPUT', 'Invalid config: it must be plain JSON (strings, numbers, booleans, lists and objects).', { field: 'config' });
    }
    if (size > LIMITS.configBytes) {
      throw new CloudEngineError('INVALID_INPUT', `Invalid config: it is ${size} bytes, more than the ${LIMITS.configBytes} bytes one resource may hold. Trim it.`, {
        field: 'config',
        details: { limit: LIMITS.configBytes, size },
      });
    }
    let config: Record<string, unknown>;
    try {
      config = parseInput(type.schema, raw, 'config', `See the fields of ${type.type}.`) as Record<string, unknown>;
    } catch (error) {
      const secret = type.secretFields?.find((field) => isCloudEngineError(error) && (error.field === `config.${field}` || error.field?.startsWith(`config.${field}.`)));
      if (!secret || !isCloudEngineError(error)) throw error;
      // A secret field's value is never repeated back, not even in its own error.
      const issue = (error.details.issues as { message: string }[] | undefined)?.[0]?.message ?? 'invalid value';
      throw new CloudEngineError('INVALID_INPUT', `Invalid ${error.field}: ${issue} (the value is secret, so it is not repeated). See the fields of ${type.type}.`, { field: error.field });
    }
    return { type, name, config };
  }

  /**
   * The session's current plan, if it can be approved: the session has a
   * ready plan (PLAN_READY, or DESTROY_READY for a teardown) and, when the
   * approver names the plan they saw, it is that one (else PLAN_STALE).
   */
  private async approvablePlan(session: CloudSessionEntity, seenPlanId: string | undefined): Promise<PlanRecordSummary> {
    const ready = session.state === S.PLAN_READY || session.state === S.DESTROY_READY;
    if (seenPlanId !== undefined && seenPlanId !== session.currentPlanId) throw await this.store.planChangedError(session, seenPlanId);
    if (!ready || !session.currentPlanId) {
      throw new CloudEngineError(
        'INVALID_STATE',
        `Session ${session.id} is ${session.state}; only a session with a ready plan (PLAN_READY, or DESTROY_READY for a teardown) can be approved. Run a plan first.`,
        { details: { state: session.state } },
      );
    }
    const plan = await this.store.currentPlan(session);
    if (!plan) {
      throw new CloudEngineError('PLAN_STALE', `The plan of session ${session.id} is gone. Run the plan again and approve the new one.`, {
        details: { planId: session.currentPlanId, reason: 'plan-missing' },
      });
    }
    return plan;
  }

  /**
   * Four-eyes and approver rules from the project's `settings.approval`.
   * Under four eyes nobody who shaped the plan approves it: the session's
   * owner, whoever planned it (a teardown too), whoever last changed it, and
   * whoever added one of its resources.
   */
  private async checkApprovalRules(session: CloudSessionEntity, plan: PlanRecordSummary, project: Project, userId: string): Promise<void> {
    const rules = ApprovalSettingsSchema.parse(project.settings.approval ?? {});
    if (rules.requireDistinctApprover) {
      const roles: [string | null, string][] = [
        [session.userId, 'owns'],
        [plan.createdBy, plan.toDestroy > 0 && plan.toAdd === 0 ? 'planned the teardown of' : 'made the plan of'],
        [session.lastChangedBy, 'made the last change to'],
      ];
      for (const resource of await this.store.resources(session.id)) roles.push([resource.createdBy, `added ${resource.name} to`]);
      const role = roles.find(([author]) => author === userId);
      if (role) {
        throw new CloudEngineError(
          'PERMISSION_DENIED',
          `Project ${project.id} requires four eyes: ${userId} ${role[1]} session ${session.id} and cannot approve it. Ask another member with deploy access.`,
          { details: { rule: 'requireDistinctApprover', role: role[1], owner: session.userId, plannedBy: plan.createdBy, lastChangedBy: session.lastChangedBy } },
        );
      }
    }
    if (rules.approvers === 'admin' && !(await this.access.check(userId, project.id, 'admin'))) {
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
  private async refusalsAudited<T>(actor: string, session: CloudSessionEntity, action: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isCloudEngineError(error) && REFUSALS.has(error.code)) await this.audit.refused({ actor, action, projectId: session.projectId, sessionId: session.id, error });
      throw error;
    }
  }

  /**
   * Which of the session's resources terraform's state holds after a failed
   * apply or teardown (`terraform state list`, mapped through the addresses
   * each resource synthesized to); null when the state cannot be read, so
   * every resource keeps counting against quotas.
   */
  private async resourcesInState(sessionId: string, synthesis: SynthesisResult): Promise<string[] | null> {
    try {
      const held = new Set(await this.runner.stateList({ cwd: this.store.workingDir(sessionId), env: synthesis.environment }));
      return Object.entries(synthesis.addresses)
        .filter(([, addresses]) => addresses.some((address) => held.has(address)))
        .map(([name]) => name);
    } catch (error) {
      this.logger.warn({ err: error, sessionId }, 'could not read terraform state after a failed apply; every resource keeps counting');
      return null;
    }
  }

  /** `resourcesInState` for a session read from the database (synthesized again for its addresses); null when unknown. */
  private async stateOf(session: CloudSessionEntity, project: Project): Promise<string[] | null> {
    try {
      const synthesis = this.synthesizeView(project, this.store.viewOf(session, await this.store.resources(session.id), null));
      return await this.resourcesInState(session.id, synthesis);
    } catch (error) {
      this.logger.warn({ err: error, sessionId: session.id }, 'could not synthesize an interrupted session to read its state; every resource keeps counting');
      return null;
    }
  }

  private async quotaViolations(view: SessionView): Promise<PolicyViolation[]> {
    const excess = await this.quotas.excess(view.projectId, this.quotas.requested(view.resources));
    return excess.map((item) => ({
      code: 'QUOTA_EXCEEDED',
      message: `quota ${item.quotaKey}: requested ${item.requested}, used ${item.used}${item.reserved ? ` + ${item.reserved} reserved` : ''}, limit ${item.limit}`,
    }));
  }

  private async collectSessionViolations(view: SessionView, project: Project, userId: string): Promise<PolicyViolation[]> {
    const violations: PolicyViolation[] = [];
    if (view.resources.length === 0) {
      violations.push({ code: 'NO_RESOURCES', message: 'The session has no resources yet; add at least one before planning.' });
    }
    for (const resource of view.resources) {
      const type = this.resourceTypes.get(resource.type);
      if (!type) {
        violations.push({ code: 'UNKNOWN_TYPE', message: `Resource type ${resource.type} is no longer loaded; remove the resource or load its plugin.`, address: resource.name });
      } else if (!type.schema.safeParse(resource.config).success) {
        violations.push({ code: 'INVALID_CONFIG', message: `The config of ${resource.name} is no longer valid for ${resource.type}; remove and re-add it.`, address: resource.name });
      }
    }
    for (const validator of this.policies.list()) {
      if (!validator.validateSession) continue;
      const check = validator.validateSession.bind(validator);
      const settings = policySettings(project, validator);
      violations.push(...(await this.runPlugin(`policy ${validator.id}`, this.policies.pluginOf(validator.id), () => check({ session: view, project, userId, settings }))));
    }
    return violations;
  }

  private async collectPlanViolations(
    view: SessionView,
    project: Project,
    userId: string,
    plan: PlanJson,
    cost: PlanCost | undefined,
    operation: 'apply' | 'destroy' = 'apply',
  ): Promise<PolicyViolation[]> {
    const validators = this.policies.list().filter((validator) => validator.validatePlan);
    if (validators.length === 0) return [];
    const projectMonthlySpend = await this.store.appliedMonthlySpend(project.id);
    const violations: PolicyViolation[] = [];
    for (const validator of validators) {
      const check = validator.validatePlan!.bind(validator);
      const settings = policySettings(project, validator);
      violations.push(
        ...(await this.runPlugin(`policy ${validator.id}`, this.policies.pluginOf(validator.id), () =>
          check({ session: view, project, userId, settings, plan, cost, projectMonthlySpend, operation }),
        )),
      );
    }
    return violations;
  }

  private async estimate(project: Project, plan: PlanJson): Promise<PlanCost | undefined> {
    const estimators = this.estimators.list();
    if (estimators.length === 0) return undefined;
    return estimateCost(plan, estimators, (estimator) =>
      this.runPlugin(`cost estimator ${estimator.id}`, this.estimators.pluginOf(estimator.id), () => estimator.estimate({ plan, project })),
    );
  }

  /** Runs plugin code with a time limit; a throw or hang names the plugin. */
  private async runPlugin<T>(what: string, pluginId: string | undefined, work: () => T | Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(work),
        new Promise<never>((_resolve, reject) => {
          const limit = this.config.timeouts.plugin;
          timer = setTimeout(() => reject(new Error(`did not answer within ${limit / 1000}s`)), limit);
        }),
      ]);
    } catch (error) {
      this.logger.error({ err: error, pluginId, what }, 'plugin failed');
      throw new CloudEngineError('PLUGIN_FAILED', `The ${what} (plugin "${pluginId ?? 'unknown'}") failed: ${(error as Error)?.message ?? String(error)}. Fix or unload the plugin.`, {
        cause: error,
        details: { pluginId },
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private async authorize(userId: string, action: Action, projectId: string, session?: CloudSessionEntity): Promise<void> {
    await this.authorizer.authorize({ userId, action, projectId, session: session ? { id: session.id, userId: session.userId } : undefined });
  }
}
export const OrchestratorToken = token<Orchestrator>('kernel.orchestrator');

function parseOwner(owner: string | null): { host: string; pid: number; id: string } | undefined {
  const match = owner ? /^(.*):(\d+):([0-9a-f]+)$/.exec(owner) : null;
  return match ? { host: match[1]!, pid: Number(match[2]), id: owner! } : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops processes still running in a session's working dir — terraform and
 * its provisioners' children outlive a killed parent — provably ours, since
 * the dir is the session's. Linux only (/proc); elsewhere nothing is stopped.
 */
async function stopTerraformIn(workingDir: string): Promise<number[]> {
  const stopped: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return stopped;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if ((await readlink(`/proc/${entry}/cwd`)) !== workingDir) continue;
      process.kill(Number(entry), 'SIGKILL');
      stopped.push(Number(entry));
    } catch {
      // The process ended meanwhile, or is not ours to inspect.
    }
  }
  if (stopped.length) await new Promise((resolve) => setTimeout(resolve, 200));
  return stopped;
}

/** The local backend's lock info file, left behind by a terraform that died; the OS lock itself died with it. */
async function removeStaleLocalLock(workingDir: string): Promise<boolean> {
  const lock = join(workingDir, '.terraform.tfstate.lock.info');
  if (!(await exists(lock))) return false;
  await rm(lock, { force: true });
  return true;
}

/** The stored record of a plan: what was shown, and the file that will be applied. */
function planRecord(input: {
  id: string;
  sessionId: string;
  userId: string;
  summary: ReturnType<typeof summarizePlan>;
  planJson: PlanJson;
  planFile: string;
  configHash: string;
  cost: PlanCost | undefined;
  sealedSecrets: string | null;
}): PlanRecordEntity {
  return Object.assign(new PlanRecordEntity(), {
    id: input.id,
    sessionId: input.sessionId,
    createdBy: input.userId,
    summary: input.summary.summary,
    toAdd: input.summary.toAdd,
    toChange: input.summary.toChange,
    toDestroy: input.summary.toDestroy,
    changes: input.summary.changes.map((change) => ({ address: change.address, type: change.type, actions: [...change.actions] })),
    planJson: input.planJson as Record<string, unknown>,
    planFile: input.planFile,
    configHash: input.configHash,
    cost: (input.cost ?? null) as Record<string, unknown> | null,
    sealedSecrets: input.sealedSecrets,
    createdAt: new Date(),
  } satisfies PlanRecordEntity);
}

/** A validator's settings from `settings.policies[<id>]`, parsed (defaults applied) when it has a schema. */
function policySettings(project: Project, validator: PolicyValidator): unknown {
  const raw = (project.settings.policies as Record<string, unknown> | undefined)?.[validator.id];
  if (!validator.settingsSchema) return raw;
  // Configured values were validated when the project was saved; an unconfigured
  // validator whose schema requires settings simply gets none.
  const parsed = validator.settingsSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

function requireUser(userId: unknown): void {
  requirePattern(userId, USER_ID, 'userId', 'a user id of 1-64 letters, digits and ._@:-');
}

function requireEditable(session: CloudSessionEntity): void {
  if (!EDITABLE_STATES.includes(session.state)) {
    throw new CloudEngineError(
      'INVALID_STATE',
      `Session ${session.id} is ${session.state}; resources can only change in ${EDITABLE_STATES.join(', ')}.` +
        (DONE_STATES.includes(session.state) ? ' Start a new session.' : ' Wait for the current operation to finish.'),
      { details: { state: session.state } },
    );
  }
}

/** Refusals that are audited as such. */
const REFUSALS: ReadonlySet<string> = new Set(['PERMISSION_DENIED', 'POLICY_VIOLATION', 'QUOTA_EXCEEDED', 'PLAN_STALE']);

function violationsError(sessionId: string, violations: readonly PolicyViolation[], when: string, what = 'planned'): CloudEngineError {
  const lines = violations.map((violation) => `- ${violation.address ? `${violation.address}: ` : ''}${violation.message} [${violation.code}]`);
  const code = violations.some((violation) => violation.code === 'QUOTA_EXCEEDED') ? 'QUOTA_EXCEEDED' : 'POLICY_VIOLATION';
  const fix = code === 'QUOTA_EXCEEDED' ? ' Remove resources or ask a project admin to raise the quota.' : ' Change the resources, or ask a project admin about the policy.';
  return new CloudEngineError(code, `Session ${sessionId} cannot be ${what}; ${violations.length} problem${violations.length > 1 ? 's' : ''} ${when}:\n${lines.join('\n')}\n${fix.trim()}`, {
    details: { violations },
  });
}

function toUserError(sessionId: string, error: unknown): CloudEngineError {
  if (isCloudEngineError(error)) return error;
  if (error instanceof TerraformError) {
    return new CloudEngineError('TERRAFORM_FAILED', `${error.message}`, {
      cause: error,
      details: { command: error.command, exitCode: error.exitCode, timedOut: error.timedOut },
    });
  }
  // Database failures arrive already explained (persistence/database.ts); these are the working dir's.
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  const text = (error as Error)?.message ?? String(error);
  if (code === 'ENOSPC') {
    return new CloudEngineError('INTERNAL', `Planning session ${sessionId} failed: no space left in the data directory (${text}). Free space in CLOUD_ENGINE_DATA_DIR, then plan again.`, { cause: error });
  }
  if (code === 'EACCES' || code === 'EROFS') {
    return new CloudEngineError('INTERNAL', `Planning session ${sessionId} failed: the data directory refused a write (${text}). Check that CLOUD_ENGINE_DATA_DIR is writable, then plan again.`, { cause: error });
  }
  return new CloudEngineError('INTERNAL', `Planning session ${sessionId} failed unexpectedly: ${text}.`, { cause: error });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason ?? 'cancelled');
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

