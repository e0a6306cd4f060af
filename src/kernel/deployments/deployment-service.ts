import { inject, injectable } from 'inversify';
import { In } from 'typeorm';
import { AccessServiceToken, type AccessService } from '../access/access-service.js';
import { Authorizer } from '../access/authorizer.js';
import { DatabaseToken, type Database } from '../persistence/database.js';
import { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { DueActionEntity } from '../persistence/entities/due-action.entity.js';
import type { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import { ResourceTypeRegistry } from '../plugin/registries.js';
import type { Registry } from '../plugin/registry.js';
import type { ResourceType } from '../plugin/resource-type.js';
import { token } from '../plugin/token.js';
import { hideSecretFields } from '../secrets/secret-fields.js';
import { USER_ID, requirePattern } from '../validation.js';
import { DeploymentStore } from './deployment-store.js';
import { driftView, type DriftRecord } from '../drift/drift-record.js';
import type { DeploymentStatus } from './deployment-status.js';

/** A deployment as the API shows it. */
export interface DeploymentView {
  readonly id: string;
  readonly name: string;
  readonly projectId: string;
  readonly provider: string;
  readonly state: DeploymentStatus;
  /** Moves with every applied change. */
  readonly version: number;
  /** As last applied; secret fields read "(secret)". */
  readonly resources: readonly { readonly name: string; readonly type: string; readonly config: Readonly<Record<string, unknown>> }[];
  readonly outputs: Readonly<Record<string, unknown>> | null;
  /** What its priced resources cost a month, USD (null when nothing was priced). */
  readonly monthlyCost: number | null;
  /** The open change, if any (the deployment's lock). */
  readonly openSessionId: string | null;
  /** When the kernel tears it down by itself (its TTL); null when it does not expire. */
  readonly expiresAt: Date | null;
  /** Set when it expired but its teardown has not happened yet (a change open, a policy, terraform): retried at `retryAt`. */
  readonly expiryFailure: { readonly attempts: number; readonly error: string; readonly retryAt: Date } | null;
  /** Its last drift check (null before the first): NONE, DRIFTED (what differs, per resource) or FAILED. */
  readonly drift: DriftRecord | null;
  /** When its next scheduled drift check is due (project setting `drift.every`); null when none is scheduled. */
  readonly nextDriftCheck: Date | null;
  /** Its sessions (changes), newest first. */
  readonly sessions: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Which deployments `list` returns. */
export interface DeploymentFilter {
  projectId?: string;
  states?: readonly DeploymentStatus[];
}

/** The deployments of the projects a viewer can read: `kernel.deployments`. */
@injectable()
export class DeploymentService {
  private readonly store: DeploymentStore;

  constructor(
    @inject(DatabaseToken) private readonly db: Database,
    @inject(Authorizer) private readonly authorizer: Authorizer,
    @inject(AccessServiceToken) private readonly access: AccessService,
    @inject(ResourceTypeRegistry) private readonly resourceTypes: Registry<ResourceType>,
  ) {
    this.store = new DeploymentStore(db);
  }

  /**
   * Deployments, newest first. With `viewerId`, listing a project needs read
   * on it, and without a project only projects the viewer can read are searched.
   */
  async list(filter: DeploymentFilter = {}, viewerId?: string): Promise<DeploymentView[]> {
    let projectIds: readonly string[] | undefined = filter.projectId !== undefined ? [filter.projectId] : undefined;
    if (viewerId !== undefined) {
      requirePattern(viewerId, USER_ID, 'viewerId', 'a user id');
      if (filter.projectId !== undefined) await this.authorizer.authorize({ userId: viewerId, action: 'session.list', projectId: filter.projectId });
      else if (!this.authorizer.isGlobalAdmin(viewerId)) projectIds = await this.access.projectsFor(viewerId, 'read');
    }
    if (projectIds?.length === 0) return [];
    return this.views(await this.store.list({ projectIds, states: filter.states }));
  }

  /** A deployment by id, or by name within `projectId`. With `viewerId`, only if that user may read its project. */
  async get(idOrName: string, viewerId?: string, projectId?: string): Promise<DeploymentView> {
    if (viewerId !== undefined) requirePattern(viewerId, USER_ID, 'viewerId', 'a user id');
    const deployment = await this.store.resolve(idOrName, projectId);
    if (viewerId !== undefined) await this.authorizer.authorize({ userId: viewerId, action: 'project.view', projectId: deployment.projectId });
    const [view] = await this.views([deployment]);
    return view!;
  }

  private async views(deployments: readonly DeploymentEntity[]): Promise<DeploymentView[]> {
    if (deployments.length === 0) return [];
    const sessions = await this.db.manager.find(CloudSessionEntity, {
      where: { deploymentId: In(deployments.map((deployment) => deployment.id)) },
      select: { id: true, deploymentId: true, createdAt: true },
      order: { createdAt: 'DESC', id: 'ASC' },
    });
    const failures = await this.db.manager.find(DueActionEntity, {
      where: { deploymentId: In(deployments.map((deployment) => deployment.id)), kind: 'expiry', state: In(['PENDING', 'CLAIMED']) },
      select: { id: true, deploymentId: true, attempts: true, lastError: true, dueAt: true },
    });
    const failureOf = (id: string) => {
      const row = failures.find((failure) => failure.deploymentId === id && failure.attempts > 0);
      return row ? { attempts: row.attempts, error: row.lastError ?? '', retryAt: row.dueAt } : null;
    };
    return deployments.map((deployment) => ({
      id: deployment.id,
      name: deployment.name,
      projectId: deployment.projectId,
      provider: deployment.provider,
      state: deployment.state,
      version: deployment.version,
      resources: deployment.resources.map((resource) => ({ name: resource.name, type: resource.type, config: hideSecretFields(resource.config, this.resourceTypes.get(resource.type)) })),
      outputs: deployment.outputs,
      monthlyCost: deployment.monthlyCost,
      openSessionId: deployment.openSessionId,
      expiresAt: deployment.expiresAt ?? null,
      expiryFailure: failureOf(deployment.id),
      drift: driftView(deployment.drift ?? null),
      nextDriftCheck: deployment.driftNextAt ?? null,
      sessions: sessions.filter((session) => session.deploymentId === deployment.id).map((session) => session.id),
      createdAt: deployment.createdAt,
      updatedAt: deployment.updatedAt,
    }));
  }
}
export const DeploymentServiceToken = token<DeploymentService>('kernel.deployments');
