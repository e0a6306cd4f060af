import { IsNull, type EntityManager } from 'typeorm';
import { CloudEngineError, invalidInput, notFound, planStale } from '../errors.js';
import type { Database } from '../persistence/database.js';
import { CloudResourceEntity } from '../persistence/entities/cloud-resource.entity.js';
import { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { DeploymentEntity, type DeployedResource } from '../persistence/entities/deployment.entity.js';
import { DueActionEntity } from '../persistence/entities/due-action.entity.js';
import { PlanRecordEntity } from '../persistence/entities/plan-record.entity.js';
import { DeploymentState } from '../sessions/deployment-state.js';
import { RESOURCE_NAME } from '../validation.js';
import { DeploymentStatus } from './deployment-status.js';

const S = DeploymentState;

/** The session states in which a change has ended: its deployment is free for the next one. */
const ENDED: readonly DeploymentState[] = [S.APPLIED, S.FAILED, S.CANCELLED, S.DESTROYED];

/**
 * Reads and writes deployments, and keeps each in step with the sessions
 * that change it: one open change at a time (its lock), the resources and
 * outputs of the last applied change, and a version every change moves.
 */
export class DeploymentStore {
  constructor(private readonly db: Database) {}

  /** A deployment by id; NOT_FOUND naming it. */
  async load(id: string, manager: EntityManager = this.db.manager): Promise<DeploymentEntity> {
    const found = typeof id === 'string' ? await manager.findOneBy(DeploymentEntity, { id }) : null;
    if (!found) throw notFound(`Deployment ${JSON.stringify(id)}`, 'List the deployments of its project to find its id or name.', { field: 'deployment', value: id });
    return found;
  }

  /** A deployment by id, or by name within `projectId`; NOT_FOUND naming what was asked for. */
  async resolve(idOrName: string, projectId?: string): Promise<DeploymentEntity> {
    const found = projectId !== undefined ? await this.find(projectId, idOrName) : typeof idOrName === 'string' ? await this.db.manager.findOneBy(DeploymentEntity, { id: idOrName }) : null;
    if (found) return found;
    throw notFound(
      `Deployment ${JSON.stringify(idOrName)}${projectId !== undefined ? ` in project ${projectId}` : ''}`,
      projectId !== undefined ? 'List the deployments of the project to see their names.' : 'Give its id, or its name with the project.',
      { field: 'deployment', value: idOrName },
    );
  }

  /** A deployment of a project by id or name; null when there is none. */
  async find(projectId: string, idOrName: string, manager: EntityManager = this.db.manager): Promise<DeploymentEntity | null> {
    return (await manager.findOneBy(DeploymentEntity, { projectId, name: idOrName })) ?? (await manager.findOneBy(DeploymentEntity, { projectId, id: idOrName }));
  }

  /** Deployments of some projects (all when `projectIds` is undefined), newest first. */
  async list(filter: { projectIds?: readonly string[]; states?: readonly DeploymentStatus[] }): Promise<DeploymentEntity[]> {
    const rows = await this.db.manager.find(DeploymentEntity, { order: { createdAt: 'DESC', id: 'ASC' } });
    return rows.filter((row) => (!filter.projectIds || filter.projectIds.includes(row.projectId)) && (!filter.states?.length || filter.states.includes(row.state)));
  }

  /**
   * Takes the deployment's one open change for `sessionId`: LOCKED, naming
   * the open session, its owner and since when, when another change is open.
   */
  async lock(manager: EntityManager, deployment: DeploymentEntity, sessionId: string): Promise<void> {
    const result = await manager
      .createQueryBuilder()
      .update(DeploymentEntity)
      .set({ openSessionId: sessionId, updatedAt: new Date() })
      .where('id = :id AND (open_session_id IS NULL OR open_session_id = :sessionId)', { id: deployment.id, sessionId })
      .execute();
    if (result.affected === 1) return;
    const current = await this.load(deployment.id, manager);
    const open = current.openSessionId ? await manager.findOneBy(CloudSessionEntity, { id: current.openSessionId }) : null;
    throw new CloudEngineError(
      'LOCKED',
      `Deployment ${current.name} already has an open change: session ${current.openSessionId}` +
        (open ? ` by ${open.userId}, ${open.state} since ${open.updatedAt.toISOString()}` : '') +
        `. Finish or cancel that one first (a project admin may cancel it: chat /cloud-admin-cancel, command line cloud-engine cancel).`,
      { details: { deploymentId: current.id, openSessionId: current.openSessionId, owner: open?.userId ?? null, since: open?.updatedAt.toISOString() ?? null, state: open?.state ?? null } },
    );
  }

  /**
   * Keeps the deployment in step with a session's state change, inside the
   * transition's transaction: a teardown of the session takes the lock (the
   * session must be the deployment's latest change); a change that ends
   * frees it; APPLIED makes the session's resources and outputs the
   * deployment's; FAILED leaves what terraform's state holds; DESTROYED
   * empties it. Every applied, failed or destroyed change moves the version.
   */
  async follow(manager: EntityManager, before: CloudSessionEntity, after: CloudSessionEntity): Promise<void> {
    const deployment = await this.load(after.deploymentId, manager);
    const now = new Date();
    if (after.state === S.DESTROY_PLANNING && (before.state === S.APPLIED || before.state === S.FAILED)) {
      if (deployment.lastSessionId !== after.id) {
        throw planStale(
          'deployment-changed',
          `Session ${after.id} is no longer the latest change of deployment ${deployment.name} (that is ${deployment.lastSessionId ?? 'none'}), so it cannot be torn down on its own. Tear down the deployment instead.`,
          { deploymentId: deployment.id, lastSessionId: deployment.lastSessionId },
        );
      }
      await this.lock(manager, deployment, after.id);
      return;
    }
    if (!ENDED.includes(after.state) || ENDED.includes(before.state)) {
      // Still open, or a teardown withdrawn back to where it was (APPLIED/FAILED → APPLIED/FAILED).
      if (ENDED.includes(after.state) && deployment.openSessionId === after.id) {
        await manager.update(DeploymentEntity, { id: deployment.id }, { openSessionId: null, updatedAt: now });
      }
      return;
    }
    const free = deployment.openSessionId === after.id ? { openSessionId: null } : {};
    if (after.state === S.CANCELLED) {
      await manager.update(DeploymentEntity, { id: deployment.id }, { ...free, updatedAt: now });
      return;
    }
    const resources = after.state === S.DESTROYED ? [] : await this.resourcesAfter(manager, deployment, after);
    const monthlyCost = after.state === S.DESTROYED || resources.length === 0 ? null : after.state === S.APPLIED ? await this.costAfter(manager, deployment, after) : deployment.monthlyCost;
    const state = resources.length > 0 ? DeploymentStatus.ACTIVE : deployment.state === DeploymentStatus.NEW && after.state === S.FAILED ? DeploymentStatus.NEW : DeploymentStatus.DESTROYED;
    await manager.update(DeploymentEntity, { id: deployment.id }, {
      ...free,
      resources,
      state,
      outputs: after.state === S.APPLIED ? after.outputs : after.state === S.DESTROYED ? null : deployment.outputs,
      version: deployment.version + 1,
      monthlyCost,
      lastSessionId: after.id,
      // A torn-down deployment no longer expires: its reminders and expiry go with it.
      ...(state === DeploymentStatus.DESTROYED ? { expiresAt: null } : {}),
      updatedAt: now,
    });
    if (state === DeploymentStatus.DESTROYED) await manager.delete(DueActionEntity, { deploymentId: deployment.id, state: 'PENDING' });
  }

  /** Refuses an approval when the deployment moved on since the session started (another apply, a teardown). */
  async requireCurrent(session: CloudSessionEntity, manager: EntityManager = this.db.manager): Promise<void> {
    const deployment = await this.load(session.deploymentId, manager);
    const teardown = session.state === S.DESTROY_READY;
    const current = teardown ? deployment.lastSessionId === session.id : deployment.version === session.baseVersion;
    if (current) return;
    throw planStale(
      'deployment-changed',
      `Deployment ${deployment.name} changed since session ${session.id} started (now version ${deployment.version}, the session started on ${session.baseVersion}), so its plan would apply over a newer state. Nothing was applied; start a new change of the deployment.`,
      { deploymentId: deployment.id, version: deployment.version, baseVersion: session.baseVersion },
    );
  }

  /** A fresh deployment named `name` (a generated one when absent) for a project. */
  newDeployment(input: { id: string; projectId: string; provider: string; name?: string; createdBy: string }): DeploymentEntity {
    const name = input.name ?? `d-${input.id}`;
    if (!RESOURCE_NAME.test(name)) {
      throw invalidInput(
        'deployment',
        `${JSON.stringify(name)} is not a deployment name; use 1-63 lowercase letters, digits, dashes and underscores, starting with a letter (e.g. "web-prod")`,
        { value: name },
      );
    }
    const now = new Date();
    return Object.assign(new DeploymentEntity(), {
      id: input.id,
      projectId: input.projectId,
      name,
      provider: input.provider,
      state: DeploymentStatus.NEW,
      version: 0,
      resources: [],
      outputs: null,
      monthlyCost: null,
      lastSessionId: null,
      openSessionId: null,
      expiresAt: null,
      drift: null,
      driftNextAt: null,
      workDir: `deployments/${input.id}`,
      stateKey: input.id,
      createdBy: input.createdBy,
      createdAt: now,
      updatedAt: now,
    } satisfies DeploymentEntity);
  }

  /** Whether a deployment is free of open changes (for listings). */
  async unlocked(id: string): Promise<boolean> {
    return this.db.manager.existsBy(DeploymentEntity, { id, openSessionId: IsNull() });
  }

  /** What the deployment costs a month after an applied change: before, plus the change's monthly delta. */
  private async costAfter(manager: EntityManager, deployment: DeploymentEntity, session: CloudSessionEntity): Promise<number | null> {
    const plan = session.currentPlanId ? await manager.findOne(PlanRecordEntity, { where: { id: session.currentPlanId }, select: { id: true, cost: true } }) : null;
    const delta = plan?.cost?.monthlyDelta;
    if (typeof delta !== 'number') return deployment.monthlyCost;
    return Math.round(((deployment.monthlyCost ?? 0) + delta) * 100) / 100;
  }

  /**
   * The deployment's resources after a session's apply ended: the session's
   * when APPLIED; after a FAILED one, those terraform's state holds (the
   * session's config where it has the resource, else the deployment's),
   * or all of both when the state could not be read.
   */
  private async resourcesAfter(manager: EntityManager, deployment: DeploymentEntity, session: CloudSessionEntity): Promise<DeployedResource[]> {
    const rows = await manager.find(CloudResourceEntity, { where: { sessionId: session.id }, order: { createdAt: 'ASC', name: 'ASC' } });
    const fromSession = rows.map((row) => ({ name: row.name, type: row.type, config: row.config, createdBy: row.createdBy }));
    if (session.state === S.APPLIED) return fromSession;
    const byName = new Map<string, DeployedResource>(deployment.resources.map((resource) => [resource.name, resource]));
    for (const resource of fromSession) byName.set(resource.name, resource);
    const held = session.resourcesInState;
    return [...byName.values()].filter((resource) => held === null || held.includes(resource.name));
  }
}
