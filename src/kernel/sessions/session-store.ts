import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { In, type EntityManager, type FindOptionsWhere } from 'typeorm';
import type { AuditLog } from '../audit/audit-log.js';
import { CloudEngineError } from '../errors.js';
import type { KernelEvents } from '../events/kernel-events.js';
import type { Database } from '../persistence/database.js';
import { CloudResourceEntity } from '../persistence/entities/cloud-resource.entity.js';
import { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { PlanRecordEntity } from '../persistence/entities/plan-record.entity.js';
import type { Registry } from '../plugin/registry.js';
import type { ResourceType } from '../plugin/resource-type.js';
import type { PlanJson } from '../terraform/plan-json.js';
import { BUSY_STATES, assertTransition, type DeploymentState } from './deployment-state.js';
import type { PlanResult, SessionView } from './session-view.js';

const ID_ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** Short ids people can read aloud and type: no 0/o, 1/l. */
export function newId(length = 10): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += ID_ALPHABET[byte % ID_ALPHABET.length];
  return id;
}

export type SessionPatch = Partial<Pick<CloudSessionEntity, 'error' | 'currentPlanId' | 'outputs' | 'approvedBy' | 'lastChangedBy' | 'operationOwner'>>;

export interface TransitionRequest {
  readonly sessionId: string;
  readonly from: readonly DeploymentState[];
  readonly to: DeploymentState;
  readonly actor: string;
  readonly patch?: SessionPatch;
  readonly details?: Record<string, unknown>;
}

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
  ) {}

  workingDir(sessionId: string): string {
    return join(this.dataDir, 'sessions', sessionId);
  }

  async load(sessionId: string, manager: EntityManager = this.db.manager): Promise<CloudSessionEntity> {
    const entity = typeof sessionId === 'string' ? await manager.findOneBy(CloudSessionEntity, { id: sessionId }) : null;
    if (!entity) {
      throw new CloudEngineError('NOT_FOUND', `Session ${JSON.stringify(sessionId)} does not exist. List your sessions to find its id.`, {
        field: 'sessionId',
        value: sessionId,
      });
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

  async toView(entity: CloudSessionEntity): Promise<SessionView> {
    const [resources, plan] = await Promise.all([
      this.resources(entity.id),
      entity.currentPlanId ? this.db.manager.findOneBy(PlanRecordEntity, { id: entity.currentPlanId }) : null,
    ]);
    return {
      id: entity.id,
      projectId: entity.projectId,
      provider: entity.provider,
      userId: entity.userId,
      state: entity.state,
      resources: resources.map((resource) => ({
        name: resource.name,
        type: resource.type,
        config: resource.config,
        quotaKey: this.resourceTypes.get(resource.type)?.quotaKey ?? 'unknown',
        createdBy: resource.createdBy,
      })),
      plan: plan ? this.toPlanResult(plan) : null,
      error: entity.error,
      outputs: entity.outputs,
      lastChangedBy: entity.lastChangedBy,
      approvedBy: entity.approvedBy,
      workingDir: this.workingDir(entity.id),
      queuePosition: this.queuePosition(entity.id),
      createdAt: entity.createdAt,
      updatedAt: entity.updatedAt,
    };
  }

  toPlanResult(plan: PlanRecordEntity): PlanResult {
    return {
      id: plan.id,
      toAdd: plan.toAdd,
      toChange: plan.toChange,
      toDestroy: plan.toDestroy,
      summary: plan.summary,
      changes: plan.changes,
      planJson: plan.planJson as PlanJson,
      workingDir: this.workingDir(plan.sessionId),
      configHash: plan.configHash,
      createdBy: plan.createdBy,
      createdAt: plan.createdAt,
      cost: (plan.cost ?? undefined) as PlanResult['cost'],
    };
  }

  /** Monthly cost of the project's APPLIED sessions, from their applied plans' priced lines. */
  async appliedMonthlySpend(projectId: string): Promise<number> {
    const applied = await this.db.manager.find(CloudSessionEntity, { where: { projectId, state: 'APPLIED' }, select: { currentPlanId: true } });
    const planIds = applied.map((session) => session.currentPlanId).filter((id): id is string => Boolean(id));
    if (planIds.length === 0) return 0;
    const plans = await this.db.manager.find(PlanRecordEntity, { where: { id: In(planIds) }, select: { id: true, cost: true } });
    return plans.reduce((sum, plan) => sum + (typeof plan.cost?.monthly === 'number' ? plan.cost.monthly : 0), 0);
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
   * Moves a session from one of `from` to `to` with a conditional update, so
   * of two racing callers exactly one wins; the loser gets INVALID_STATE.
   * Writes the audit event and announces the change.
   */
  async transition(request: TransitionRequest, manager?: EntityManager): Promise<CloudSessionEntity> {
    for (const from of request.from) assertTransition(request.sessionId, from, request.to);
    const run = async (tx: EntityManager) => {
      const before = await this.load(request.sessionId, tx);
      const now = new Date();
      const result = await tx
        .createQueryBuilder()
        .update(CloudSessionEntity)
        .set({ state: request.to, updatedAt: now, operationOwner: BUSY_STATES.includes(request.to) ? this.ownerId : null, ...request.patch })
        .where('id = :id AND state IN (:...from)', { id: request.sessionId, from: [...request.from] })
        .execute();
      if (result.affected !== 1) {
        const current = await this.load(request.sessionId, tx);
        throw new CloudEngineError(
          'INVALID_STATE',
          `Session ${request.sessionId} is ${current.state}, not ${request.from.join(' or ')}, so it cannot become ${request.to}` +
            (current.state === request.to ? ' (someone else just did this).' : '.'),
          { details: { sessionId: request.sessionId, state: current.state, expected: request.from, to: request.to } },
        );
      }
      await this.audit.record(
        {
          actor: request.actor,
          action: `session.${request.to.toLowerCase()}`,
          projectId: before.projectId,
          sessionId: request.sessionId,
          details: { from: before.state, to: request.to, ...(request.patch?.error ? { error: request.patch.error } : {}), ...request.details },
        },
        tx,
      );
      return { before, after: { ...before, state: request.to, updatedAt: now, ...request.patch } as CloudSessionEntity };
    };
    const { before, after } = manager ? await run(manager) : await this.db.transaction(run);
    this.events.emit('session.stateChanged', {
      sessionId: request.sessionId,
      projectId: before.projectId,
      from: before.state,
      to: request.to,
      actor: request.actor,
      ...(request.patch?.error ? { error: request.patch.error } : {}),
    });
    return after;
  }
}
