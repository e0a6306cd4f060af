import type { EntityManager } from 'typeorm';
import { CloudEngineError, invalidInput, invalidValue } from '../errors.js';
import { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import type { JsonObject } from '../persistence/columns.js';
import { CloudResourceEntity } from '../persistence/entities/cloud-resource.entity.js';
import { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { DeploymentState, EDITABLE_STATES } from './deployment-state.js';
import type { Registry } from '../plugin/registry.js';
import type { ResourceType } from '../plugin/resource-type.js';
import { dependentsOf, referenceProblems } from '../synth/reference-graph.js';
import { checkResourceInput } from './resource-input.js';
import { SessionErrors } from './session-errors.js';
import { LIMITS, type ResourceInput } from './session-inputs.js';
import { authorize, requireUser, type SessionServices } from './session-services.js';
import { newId } from './session-store.js';
import type { SessionView } from './session-view.js';

const S = DeploymentState;

/** Starting a session and changing its resources: every change invalidates the plan. */
export class Editing {
  constructor(private readonly services: SessionServices) {}

  /**
   * Starts a session in DRAFT for a project; `provider` must match the
   * project's if given. The session is a change of a deployment: the one
   * `deployment` names (id or name, starting with its current resources) or
   * a new one of that name (a generated name without it). A deployment with
   * a change already open is LOCKED, naming it.
   */
  async startSession(userId: string, projectId: string, provider?: string, options: StartOptions = {}): Promise<SessionView> {
    requireUser(userId);
    const { projects, db, audit, events, store, deployments } = this.services;
    const project = await projects.get(projectId);
    if (provider !== undefined && provider !== project.provider) {
      throw invalidInput('provider', `project ${project.id} deploys to ${project.provider}, not ${JSON.stringify(provider)}. Use provider ${project.provider} or another project`, {
        value: provider,
      });
    }
    await authorize(this.services, userId, 'session.start', project.id);
    const wanted = options.deployment === undefined ? undefined : requireDeploymentRef(options.deployment);
    const now = new Date();
    const sessionId = newId();
    const found = wanted === undefined ? null : await deployments.find(project.id, wanted);
    const deployment = found ?? deployments.newDeployment({ id: newId(), projectId: project.id, provider: project.provider, name: wanted, createdBy: userId });
    const entity = Object.assign(new CloudSessionEntity(), {
      id: sessionId,
      projectId: project.id,
      deploymentId: deployment.id,
      baseVersion: deployment.version,
      workDir: deployment.workDir,
      stateKey: deployment.stateKey,
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
      teardownFrom: null,
      createdAt: now,
      updatedAt: now,
    } satisfies CloudSessionEntity);
    const isNew = found === null;
    const current = deployment;
    const resources = current.resources.map((resource) =>
      Object.assign(new CloudResourceEntity(), { id: newId(12), sessionId, name: resource.name, type: resource.type, config: resource.config, createdBy: resource.createdBy, createdAt: now }),
    );
    await db.transaction(async (manager) => {
      if (isNew) await manager.insert(DeploymentEntity, current);
      await deployments.lock(manager, current, sessionId);
      await manager.insert(CloudSessionEntity, entity);
      if (resources.length > 0) await manager.insert(CloudResourceEntity, resources);
      await audit.record(
        {
          actor: userId,
          action: 'session.started',
          projectId: project.id,
          sessionId,
          details: { provider: project.provider, deploymentId: current.id, deployment: current.name, version: current.version, ...(isNew ? { newDeployment: true } : {}) },
        },
        manager,
      );
    });
    events.emit('session.created', { sessionId, projectId: project.id, userId });
    return store.viewOf(entity, resources, null, current.name);
  }

  /** New config for one of the session's resources (same type); like any change, it invalidates the plan. */
  async updateResource(sessionId: string, userId: string, input: { name: string; config?: Record<string, unknown> }): Promise<SessionView> {
    const { store, resourceTypes } = this.services;
    const session = await this.changeable(sessionId, userId);
    const resources = await store.resources(sessionId);
    const existing = resources.find((resource) => resource.name === input?.name);
    if (!existing) throw noSuchResource(sessionId, input?.name);
    // A secret field left out keeps its value: it is never shown back, so nobody can be asked to retype it.
    const kept = Object.fromEntries((resourceTypes.get(existing.type)?.secretFields ?? []).filter((field) => input.config?.[field] === undefined && existing.config[field] !== undefined).map((field) => [field, existing.config[field]]));
    const given = input.config ?? {};
    const merged = given !== null && typeof given === 'object' && !Array.isArray(given) ? { ...kept, ...given } : given;
    const { config } = checkResourceInput(resourceTypes, session, { type: existing.type, name: existing.name, config: merged });
    requireReferences(
      resources.map((resource) => (resource.name === existing.name ? { ...resource, config } : resource)),
      existing.name,
      resourceTypes,
    );
    return this.change(sessionId, userId, 'update resource', async (manager) => {
      const result = await manager.update(CloudResourceEntity, { sessionId, name: existing.name }, { config: config as JsonObject });
      if (result.affected !== 1) throw noSuchResource(sessionId, existing.name);
      return { action: 'resource.updated', details: { name: existing.name, type: existing.type } };
    });
  }

  /** Adds a resource; a session with a plan goes back to DRAFT (the plan no longer matches). */
  async addResource(sessionId: string, userId: string, input: ResourceInput): Promise<SessionView> {
    const { store, resourceTypes } = this.services;
    const session = await this.changeable(sessionId, userId);
    const { type, name, config } = checkResourceInput(resourceTypes, session, input);
    return this.change(sessionId, userId, 'add resource', async (manager) => {
      const existing = await store.resources(sessionId, manager);
      if (existing.some((resource) => resource.name === name)) {
        throw invalidInput('name', `session ${sessionId} already has a resource named "${name}"; pick another name or remove that one first`, { value: name });
      }
      requireReferences([...existing, { name, type: type.type, config }], name, resourceTypes);
      if (existing.length >= LIMITS.resourcesPerSession) {
        throw new CloudEngineError(
          'INVALID_INPUT',
          `Session ${sessionId} already has ${existing.length} resources, the most one session may hold (${LIMITS.resourcesPerSession}). Deploy these first, then start another session.`,
          { field: 'name', details: { limit: LIMITS.resourcesPerSession } },
        );
      }
      await manager.insert(CloudResourceEntity, { id: newId(12), sessionId, name, type: type.type, config: config as JsonObject, createdBy: userId, createdAt: new Date() });
      return { action: 'resource.added', details: { name, type: type.type } };
    });
  }

  /** Removes a resource by name; like any change, it invalidates the plan. A resource others refer to stays. */
  async removeResource(sessionId: string, userId: string, name: string): Promise<SessionView> {
    const { store, resourceTypes } = this.services;
    await this.changeable(sessionId, userId);
    return this.change(sessionId, userId, 'remove resource', async (manager) => {
      const dependents = dependentsOf(name, await store.resources(sessionId, manager), resourceTypes);
      if (dependents.length > 0) {
        throw invalidInput(
          'name',
          `${JSON.stringify(name)} cannot be removed while ${dependents.join(', ')} ${dependents.length > 1 ? 'refer' : 'refers'} to it. Change or remove ${dependents.length > 1 ? 'them' : 'it'} first`,
          { value: name, details: { dependents } },
        );
      }
      const result = await manager.delete(CloudResourceEntity, { sessionId, name });
      if (result.affected !== 1) throw noSuchResource(sessionId, name);
      return { action: 'resource.removed', details: { name } };
    });
  }

  /** The session, once `userId` (a valid user id) may change it. */
  private async changeable(sessionId: string, userId: string): Promise<CloudSessionEntity> {
    requireUser(userId);
    const session = await this.services.store.load(sessionId);
    await authorize(this.services, userId, 'session.change', session.projectId, session);
    return session;
  }

  /**
   * One change of a session's resources: under the session's lock, in one
   * transaction with the session still editable, `work` changes the rows and
   * says what to audit; the plan is invalidated; the change is announced.
   */
  private async change(
    sessionId: string,
    userId: string,
    operation: string,
    work: (manager: EntityManager, current: CloudSessionEntity) => Promise<{ action: string; details: Record<string, unknown> }>,
  ): Promise<SessionView> {
    const { store, locks, db, audit, events } = this.services;
    return locks.run(sessionId, operation, userId, async () => {
      await db.transaction(async (manager) => {
        const current = await store.load(sessionId, manager);
        requireEditable(current);
        const done = await work(manager, current);
        await audit.record({ actor: userId, action: done.action, projectId: current.projectId, sessionId, details: done.details }, manager);
        await this.invalidatePlan(current, userId, manager);
      });
      events.emit('session.resourcesChanged', { sessionId, actor: userId });
      return store.view(sessionId);
    });
  }

  /** Records who changed the session; a session with a plan goes back to DRAFT. */
  private async invalidatePlan(session: CloudSessionEntity, userId: string, manager: EntityManager): Promise<void> {
    if (session.state === S.DRAFT) {
      await manager.update(CloudSessionEntity, { id: session.id }, { lastChangedBy: userId, updatedAt: new Date() });
      return;
    }
    await this.services.store.transition(
      { sessionId: session.id, from: [session.state], to: S.DRAFT, actor: userId, patch: { currentPlanId: null, lastChangedBy: userId, error: null }, details: { reason: 'resources changed' } },
      manager,
    );
  }
}

/** How a session starts: as a change of which deployment. */
export interface StartOptions {
  /** Id or name of a deployment of the project, or the name of a new one; a new deployment with a generated name when absent. */
  deployment?: string;
  /**
   * When a new deployment expires ("15m", "2h", "7d", or ms): set at its first
   * change, within the project's `lifecycle.maxTtl`; the project's
   * `lifecycle.defaultTtl` applies without it. Existing deployments: `setTtl`.
   */
  ttl?: string | number;
}

function requireDeploymentRef(value: unknown): string {
  if (typeof value !== 'string' || !/^[a-z0-9_][a-z0-9_-]{0,62}$/.test(value)) {
    throw invalidValue('deployment', 'the id or name of a deployment (1-63 lowercase letters, digits, dashes and underscores)', value);
  }
  return value;
}

/** INVALID_INPUT naming the field when the references among `resources` do not hold (for the resource `changed`, first). */
function requireReferences(resources: readonly { name: string; type: string; config: Readonly<Record<string, unknown>> }[], changed: string, types: Registry<ResourceType>): void {
  const problems = referenceProblems(resources, types);
  const problem = problems.find((candidate) => candidate.name === changed) ?? problems[0];
  if (!problem) return;
  const field = problem.field ? `config.${problem.field}` : 'config';
  throw invalidInput(field, `${problem.name} ${problem.message}`, { details: { problems } });
}

function noSuchResource(sessionId: string, name: unknown): CloudEngineError {
  return new CloudEngineError('NOT_FOUND', `Session ${sessionId} has no resource named ${JSON.stringify(name)}.`, { field: 'name', value: name });
}

function requireEditable(session: CloudSessionEntity): void {
  if (!EDITABLE_STATES.includes(session.state)) throw SessionErrors.notEditable(session);
}
