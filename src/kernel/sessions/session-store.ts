import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { In, type EntityManager, type FindOptionsSelect, type FindOptionsWhere } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.js';
import { CloudEngineError, planStale, sessionNotFound, wrongState } from '../errors.js';
import type { KernelEvents } from '../events/kernel-events.js';
import type { Database } from '../persistence/database.js';
import { CloudResourceEntity } from '../persistence/entities/cloud-resource.entity.js';
import { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import { PlanRecordEntity } from '../persistence/entities/plan-record.entity.js';
import type { Registry } from '../plugin/registry.js';
import type { ResourceType } from '../plugin/resource-type.js';
import { hideSecretFields } from '../secrets/secret-fields.js';
import type { PlanJson } from '../terraform/plan-json.js';
import { BUSY_STATES, assertTransition, type DeploymentState } from './deployment-state.js';
import type { ApprovalsView, PlanCost, PlanResult, PlanSummary, SessionResource, SessionView } from './session-view.js';
import { NO_APPROVALS } from '../approvals/approval-views.js';

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** Short ids people can read aloud and type: no 0/o, 1/l. */
export function newId(length = 10): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export type SessionPatch = Partial<Pick<CloudSessionEntity, 'error' | 'currentPlanId' | 'outputs' | 'approvedBy' | 'lastChangedBy' | 'operationOwner' | 'resourcesInState' | 'teardownFrom'>>;

export interface TransitionRequest {
  readonly sessionId: string;
  readonly from: readonly DeploymentState[];
  readonly to: DeploymentState;
  /**
   * States passed through on the way to `to`, in order (e.g. DRAFT → VALIDATING
   * → PLANNING): one conditional update, but every step is checked against the
   * transition table, audited and announced as its own change.
   */
  readonly via?: readonly DeploymentState[];
  readonly actor: string;
  readonly patch?: SessionPatch;
  /** Audit details of the last step (`to`). */
  readonly details?: Record<string, unknown>;
  /**
   * The session as the caller read it. The session is then not read again,
   * and the update also requires it unchanged since (same state and
   * `updated_at`, which every state or resource change moves), so a change
   * made meanwhile, by another process, fails the transition
   * (`SessionChangedError`) instead of going unnoticed.
   */
  readonly seen?: CloudSessionEntity;
  /**
   * The plan the move is for: the update also requires it to be the
   * session's current plan, so an approval never applies a plan other than
   * the one approved (PLAN_STALE when the session was re-planned meanwhile).
   */
  readonly planId?: string;
}

/**
 * A transition with `seen` found the session changed since it was read; the
 * caller may read it again and retry. `current` is the session now.
 */
export class SessionChangedError extends CloudEngineError {
  constructor(
    readonly current: CloudSessionEntity,
    to: DeploymentState,
  ) {
    super('INVALID_STATE', `Session ${current.id} changed while it was being read (its state or resources were changed elsewhere), so it did not become ${to}. Try again.`, {
      details: { sessionId: current.id, state: current.state, to, changed: true },
    });
  }
}

/** The plan columns a view shows: all but `plan_json` and the plan file, which can be hundreds of KB to read and parse. */
const PLAN_SUMMARY_COLUMNS = {
  id: true,
  sessionId: true,
  createdBy: true,
  summary: true,
  toAdd: true,
  toChange: true,
  toDestroy: true,
  changes: true,
  planFile: true,
  configHash: true,
  cost: true,
  sealedSecrets: true,
  createdAt: true,
} as const satisfies FindOptionsSelect<PlanRecordEntity>;

/** A plan record without its plan JSON. */
export type PlanRecordSummary = Omit<PlanRecordEntity, 'planJson' | 'planFileData'>;

/** Ids per `IN (…)` query: far below SQLite's and Postgres's limits on bound parameters. */
const IN_BATCH = 500;

/** Reads and writes sessions; every state change goes through `transition`. */
export class SessionStore {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly events: KernelEvents,
    private readonly resourceTypes: Registry<ResourceType>,
    private readonly dataDir: string,
    /** This process (`host:pid:boot`), recorded on sessions while it runs their operation. */
    private readonly ownerId: string,
    /** Where a session's terraform waits in the process's queue, if it does. */
    private readonly queuePosition: (sessionId: string) => number | null = () => null,
    /** Runs inside every transition's transaction: keeps the session's deployment in step (DeploymentStore.follow). */
    private readonly follow: (manager: EntityManager, before: CloudSessionEntity, after: CloudSessionEntity) => Promise<void> = async () => {},
    /** The approvals of many views, from their sessions and current plans (ApprovalViews.of); none read without it. */
    private readonly approvalsOf?: (sessions: readonly CloudSessionEntity[], plans: ReadonlyMap<string, PlanRecordSummary>) => Promise<Map<string, ApprovalsView>>,
  ) {}

  /** Where the session's terraform runs: its deployment's working dir. */
  workingDir(session: Pick<CloudSessionEntity, 'workDir'>): string {
    return join(this.dataDir, session.workDir);
  }

  async load(sessionId: string, manager: EntityManager = this.db.manager): Promise<CloudSessionEntity> {
    const entity = typeof sessionId === 'string' ? await manager.findOneBy(CloudSessionEntity, { id: sessionId }) : null;
    if (!entity) {
      throw sessionNotFound(sessionId);
    }
    return entity;
  }

  async resources(sessionId: string, manager: EntityManager = this.db.manager): Promise<CloudResourceEntity[]> {
    return manager.find(CloudResourceEntity, { where: { sessionId }, order: { createdAt: 'ASC', name: 'ASC' } });
  }

  async view(sessionId: string): Promise<SessionView> {
    const entity = await this.load(sessionId);
    return this.toView(entity);
  }

  /** The session as the API shows it: its resources and its current plan's summary (never the plan JSON). */
  async toView(entity: CloudSessionEntity): Promise<SessionView> {
    const [view] = await this.toViews([entity]);
    return view!;
  }

  /**
   * Views of many sessions with three queries, whatever their number (per 500
   * sessions): one for all their resources, one for their current plans'
   * summaries, without `plan_json`, one for their deployments' names. Views are shown to people: resource
   * types' secret fields read "(secret)".
   */
  async toViews(entities: readonly CloudSessionEntity[]): Promise<SessionView[]> {
    if (entities.length === 0) return [];
    const sessionIds = entities.map((entity) => entity.id);
    const planIds = entities.map((entity) => entity.currentPlanId).filter((id): id is string => Boolean(id));
    const deploymentIds = [...new Set(entities.map((entity) => entity.deploymentId))];
    const [resources, plans, names] = await Promise.all([this.resourcesOf(sessionIds), this.planSummaries(planIds), this.deploymentNames(deploymentIds)]);
    const bySession = new Map<string, CloudResourceEntity[]>();
    for (const resource of resources) {
      const list = bySession.get(resource.sessionId);
      if (list) list.push(resource);
      else bySession.set(resource.sessionId, [resource]);
    }
    const byId = new Map(plans.map((plan) => [plan.id, plan]));
    const approvals = this.approvalsOf ? await this.approvalsOf(entities, byId) : undefined;
    return entities.map((entity) => {
      const plan = entity.currentPlanId ? byId.get(entity.currentPlanId) : undefined;
      const shown = (bySession.get(entity.id) ?? []).map((resource) => ({ ...resource, config: hideSecretFields(resource.config, this.resourceTypes.get(resource.type)) }));
      return this.viewOf(entity, shown, plan ? this.toPlanSummary(plan, this.workingDir(entity)) : null, names.get(entity.deploymentId), approvals?.get(entity.id));
    });
  }

  /** Names of deployments by id. */
  private async deploymentNames(ids: readonly string[]): Promise<Map<string, string>> {
    const batches = await Promise.all(chunks(ids).map((batch) => this.db.manager.find(DeploymentEntity, { where: { id: In(batch) }, select: { id: true, name: true } })));
    return new Map(batches.flat().map((row) => [row.id, row.name]));
  }

  /** A view from what the caller already read: no query. Configs as stored, secret fields included: for synthesis and plugins, not for people. */
  viewOf(entity: CloudSessionEntity, resources: readonly CloudResourceEntity[], plan: PlanSummary | null, deploymentName = '', approvals: ApprovalsView = NO_APPROVALS): SessionView {
    return {
      id: entity.id,
      projectId: entity.projectId,
      deploymentId: entity.deploymentId,
      deploymentName,
      provider: entity.provider,
      userId: entity.userId,
      state: entity.state,
      resources: resources.map((resource) => this.toSessionResource(resource)),
      plan,
      error: entity.error,
      outputs: entity.outputs,
      lastChangedBy: entity.lastChangedBy,
      approvedBy: entity.approvedBy,
      approvals,
      workingDir: this.workingDir(entity),
      queuePosition: this.queuePosition(entity.id),
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    };
  }

  /** A session's current plan without its plan JSON; null when it has none. */
  async currentPlan(entity: CloudSessionEntity): Promise<PlanRecordSummary | null> {
    if (!entity.currentPlanId) return null;
    const [plan] = await this.planSummaries([entity.currentPlanId]);
    return plan ?? null;
  }

  /** The stored (redacted) plan JSON of a session's current plan; null when it has none. */
  async planJson(entity: CloudSessionEntity): Promise<PlanJson | null> {
    if (!entity.currentPlanId) return null;
    const plan = await this.db.manager.findOne(PlanRecordEntity, { where: { id: entity.currentPlanId }, select: { id: true, planJson: true } });
    return (plan?.planJson as PlanJson | undefined) ?? null;
  }

  /** A plan as views show it; `workingDir` is its session's. */
  toPlanSummary(plan: PlanRecordSummary, workingDir: string): PlanSummary {
    return {
      id: plan.id,
      toAdd: plan.toAdd,
      toChange: plan.toChange,
      toDestroy: plan.toDestroy,
      summary: plan.summary,
      changes: plan.changes,
      workingDir,
      configHash: plan.configHash,
      createdBy: plan.createdBy,
      createdAt: plan.createdAt,
      cost: (plan.cost ?? undefined) as PlanCost | undefined,
    };
  }

  /** A plan just made, with the plan JSON the caller holds. */
  toPlanResult(plan: PlanRecordEntity, workingDir: string): PlanResult {
    return { ...this.toPlanSummary(plan, workingDir), planJson: plan.planJson as PlanJson };
  }

  private toSessionResource(resource: CloudResourceEntity): SessionResource {
    return {
      name: resource.name,
      type: resource.type,
      config: resource.config,
      quotaKey: this.resourceTypes.get(resource.type)?.quotaKey ?? 'unknown',
      createdBy: resource.createdBy,
    };
  }

  /** Resources of these sessions, each session's in the order they were added. */
  private async resourcesOf(sessionIds: readonly string[]): Promise<CloudResourceEntity[]> {
    if (sessionIds.length === 1) return this.resources(sessionIds[0]!);
    const batches = await Promise.all(
      chunks(sessionIds).map((ids) => this.db.manager.find(CloudResourceEntity, { where: { sessionId: In(ids) }, order: { createdAt: 'ASC', name: 'ASC' } })),
    );
    return batches.flat();
  }

  private async planSummaries(planIds: readonly string[]): Promise<PlanRecordSummary[]> {
    if (planIds.length === 0) return [];
    const batches = await Promise.all(
      chunks(planIds).map((ids) =>
        this.db.manager.find(PlanRecordEntity, { where: ids.length === 1 ? { id: ids[0] } : { id: In(ids) }, select: PLAN_SUMMARY_COLUMNS }),
      ),
    );
    return batches.flat();
  }

  /** Monthly cost of the project's APPLIED sessions, from their applied plans' priced lines. */
  async appliedMonthlySpend(projectId: string): Promise<number> {
    const applied = await this.db.manager.find(CloudSessionEntity, { where: { projectId, state: 'APPLIED' }, select: { currentPlanId: true } });
    const planIds = applied.map((session) => session.currentPlanId).filter((id): id is string => Boolean(id));
    if (planIds.length === 0) return 0;
    const plans = await this.db.manager.find(PlanRecordEntity, { where: { id: In(planIds) }, select: { id: true, cost: true } });
    return plans.reduce((sum, plan) => sum + (typeof plan.cost?.monthly === 'number' ? plan.cost.monthly : 0), 0);
  }

  /** PLAN_STALE: the approver saw plan `seenPlanId`, which is no longer the session's; says what it is now. */
  async planChangedError(session: CloudSessionEntity, seenPlanId: string, manager: EntityManager = this.db.manager): Promise<CloudEngineError> {
    const current = session.currentPlanId
      ? await manager.findOne(PlanRecordEntity, { where: { id: session.currentPlanId }, select: { id: true, summary: true, createdBy: true, createdAt: true } })
      : null;
    const now = current
      ? `its plan is now ${current.id} (${current.summary}), made by ${current.createdBy} at ${current.createdAt.toISOString()}`
      : `it has no ready plan now (${session.state}${session.lastChangedBy ? `, last changed by ${session.lastChangedBy}` : ''})`;
    return planStale(
      'plan-changed',
      `The plan you approved (${seenPlanId}) is no longer the plan of session ${session.id}: ${now}. Nothing was applied; review the current plan and approve that one.`,
      { seenPlanId, currentPlanId: session.currentPlanId, state: session.state },
    );
  }

  async list(filter: { userId?: string; projectId?: string; projectIds?: readonly string[]; states?: readonly DeploymentState[]; limit?: number }): Promise<CloudSessionEntity[]> {
    const where: FindOptionsWhere<CloudSessionEntity> = {};
    if (filter.userId) where.userId = filter.userId;
    if (filter.projectId) where.projectId = filter.projectId;
    else if (filter.projectIds) where.projectId = In([...filter.projectIds]);
    if (filter.states?.length) where.state = In([...filter.states]);
    return this.db.manager.find(CloudSessionEntity, { where, order: { createdAt: 'DESC', id: 'ASC' }, take: filter.limit });
  }

  /**
   * Moves a session from one of `from` to `to` (through `via`) with a
   * conditional update, so of two racing callers exactly one wins; the loser
   * gets INVALID_STATE. Writes an audit event per step, in the same
   * transaction, and announces each step.
   */
  async transition(request: TransitionRequest, manager?: EntityManager): Promise<CloudSessionEntity> {
    const steps = [...(request.via ?? []), request.to];
    const { seen } = request;
    if (seen && !request.from.includes(seen.state)) throw stateError(seen, request.from, steps);
    for (const from of seen ? [seen.state] : request.from) assertTransition(request.sessionId, from, steps[0]!);
    for (let i = 1; i < steps.length; i++) assertTransition(request.sessionId, steps[i - 1]!, steps[i]!);
    const run = async (tx: EntityManager) => {
      const before = seen ?? (await this.load(request.sessionId, tx));
      const now = new Date();
      const update = tx
        .createQueryBuilder()
        .update(CloudSessionEntity)
        .set({ state: request.to, updatedAt: now, operationOwner: BUSY_STATES.includes(request.to) ? this.ownerId : null, ...request.patch });
      const where = seen
        ? update.where('id = :id AND state = :state AND updated_at = :updatedAt', { id: request.sessionId, state: seen.state, updatedAt: seen.updatedAt.toISOString() })
        : update.where('id = :id AND state IN (:...from)', { id: request.sessionId, from: [...request.from] });
      if (request.planId !== undefined) where.andWhere('current_plan_id = :planId', { planId: request.planId });
      const result = await where.execute();
      if (result.affected !== 1) {
        const current = await this.load(request.sessionId, tx);
        if (request.planId !== undefined && current.currentPlanId !== request.planId) throw await this.planChangedError(current, request.planId, tx);
        // Changed meanwhile, but still able to make the move: the caller may read it again and retry.
        if (seen && request.from.includes(current.state)) throw new SessionChangedError(current, steps[0]!);
        throw stateError(current, request.from, steps);
      }
      let from = before.state;
      for (const [index, to] of steps.entries()) {
        const last = index === steps.length - 1;
        await this.audit.record(
          {
            actor: request.actor,
            action: `session.${to.toLowerCase()}`,
            projectId: before.projectId,
            sessionId: request.sessionId,
            details: { from, to, ...(last ? { ...(request.patch?.error ? { error: request.patch.error } : {}), ...request.details } : {}) },
          },
          tx,
        );
        from = to;
      }
      const after = { ...before, state: request.to, updatedAt: now, operationOwner: BUSY_STATES.includes(request.to) ? this.ownerId : null, ...request.patch } as CloudSessionEntity;
      await this.follow(tx, before, after);
      return { before, after };
    };
    const { before, after } = manager ? await run(manager) : await this.db.transaction(run);
    let from = before.state;
    for (const [index, to] of steps.entries()) {
      const last = index === steps.length - 1;
      this.events.emit('session.stateChanged', {
        sessionId: request.sessionId,
        projectId: before.projectId,
        from,
        to,
        actor: request.actor,
        ...(last && request.patch?.error ? { error: request.patch.error } : {}),
      });
      from = to;
    }
    return after;
  }
}

/** INVALID_STATE: the session is not in a state it could leave for `steps` (its next state first). */
export function stateError(current: CloudSessionEntity, expected: readonly DeploymentState[], steps: readonly DeploymentState[]): CloudEngineError {
  const to = steps[0]!;
  return wrongState(
    `Session ${current.id} is ${current.state}, not ${expected.join(' or ')}, so it cannot become ${to}` + (steps.includes(current.state) ? ' (someone else just did this).' : '.'),
    current.state,
    { sessionId: current.id, expected, to },
  );
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_BATCH) out.push(items.slice(i, i + IN_BATCH));
  return out;
}
