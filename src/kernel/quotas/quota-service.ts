import { inject, injectable } from 'inversify';
import { In, type EntityManager } from 'typeorm';
import { AccessServiceToken, type AccessService } from '../access/access-service.js';
import { levelAtLeast } from '../access/authorizer.js';
import { DeploymentStatus } from '../deployments/deployment-status.js';
import { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import { AuditLogToken, type AuditLog } from '../audit/audit-log.js';
import { CloudEngineError, invalidValue, projectNotFound } from '../errors.js';
import { DatabaseToken, type Database } from '../persistence/database.js';
import { CloudResourceEntity } from '../persistence/entities/cloud-resource.entity.js';
import { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { ProjectEntity } from '../persistence/entities/project.entity.js';
import { QuotaEntity } from '../persistence/entities/quota.entity.js';
import { ResourceTypeRegistry } from '../plugin/registries.js';
import type { Registry } from '../plugin/registry.js';
import type { QuotaCounts, ResourceType } from '../plugin/resource-type.js';
import { token } from '../plugin/token.js';
import { PROJECT_ID, USER_ID, requirePattern } from '../validation.js';

/** Usage of one quota key in a project. */
export interface QuotaUsage {
  readonly quotaKey: string;
  /** Resources that exist: every live deployment's current resources (after a failed change, what terraform's state holds). */
  readonly used: number;
  /** What changes approved or applying right now add to their deployments (their net effect, where positive). */
  readonly reserved: number;
  /** null when no limit is set for the key. */
  readonly limit: number | null;
  /** (used + reserved) / limit, in whole percent; null without a limit. */
  readonly percent: number | null;
}

/** One key a session would push over its limit. */
export interface QuotaExcess {
  readonly quotaKey: string;
  readonly requested: number;
  readonly used: number;
  readonly reserved: number;
  readonly limit: number;
}

const QUOTA_KEY = /^[a-z][a-z0-9_]{0,31}$/;

/** A resource as quotas count it: its type and its (validated) config. */
export interface QuotaCounted {
  readonly type: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/**
 * What one resource counts against quotas: its type's `quotas` of its
 * config, else 1 of its `quotaKey`; 1 of `unknown` for
 * a type no plugin registers. A `quotas` that throws or answers anything but
 * quota keys with whole numbers is PLUGIN_FAILED naming the type, never a
 * silent undercount.
 */
export function quotaCounts(type: ResourceType | undefined, config: Readonly<Record<string, unknown>>, pluginId = 'unknown'): QuotaCounts {
  if (type === undefined) return { unknown: 1 };
  if (type.quotas === undefined) return { [type.quotaKey]: 1 };
  let counts: unknown;
  try {
    // Defaults a stored config predates are filled in, as synthesis does.
    const parsed = type.schema.safeParse(config);
    counts = type.quotas(parsed.success ? parsed.data : config);
  } catch (error) {
    throw new CloudEngineError(
      'PLUGIN_FAILED',
      `Resource type ${type.type} (plugin "${pluginId}") failed to count a resource against quotas: ${(error as Error)?.message ?? String(error)}. Fix the type's quotas.`,
      { cause: error, details: { pluginId, type: type.type } },
    );
  }
  const valid =
    typeof counts === 'object' &&
    counts !== null &&
    !Array.isArray(counts) &&
    Object.entries(counts).every(([key, count]) => QUOTA_KEY.test(key) && Number.isSafeInteger(count) && (count as number) >= 0);
  if (!valid) {
    throw new CloudEngineError(
      'PLUGIN_FAILED',
      `Resource type ${type.type} (plugin "${pluginId}") counts ${JSON.stringify(counts)?.slice(0, 200)} against quotas; quotas must map quota keys (lowercase letters, digits and underscores, e.g. compute_vm) to whole numbers of 0 or more. Fix the type's quotas.`,
      { details: { pluginId, type: type.type } },
    );
  }
  return counts as QuotaCounts;
}
export const MAX_QUOTA_LIMIT = 1_000_000;

/** Per-project limits on resources by quota key, enforced before planning and again, atomically, at approval. */
@injectable()
export class QuotaService {
  constructor(
    @inject(DatabaseToken) private readonly db: Database,
    @inject(AccessServiceToken) private readonly access: AccessService,
    @inject(AuditLogToken) private readonly audit: AuditLog,
    @inject(ResourceTypeRegistry) private readonly resourceTypes: Registry<ResourceType>,
  ) {}

  /** Sets (or with `limit: null`, removes) a project's limit for a quota key; project admins only. */
  async set(input: { projectId: string; quotaKey: string; limit: number | null; setBy: string }): Promise<void> {
    const projectId = requirePattern(input?.projectId, PROJECT_ID, 'projectId', 'a project id');
    const quotaKey = requirePattern(input.quotaKey, QUOTA_KEY, 'quotaKey', 'a quota key of lowercase letters, digits and underscores, such as compute_vm');
    const setBy = requirePattern(input.setBy, USER_ID, 'setBy', 'a user id');
    if (input.limit !== null && (!Number.isSafeInteger(input.limit) || input.limit < 0 || input.limit > MAX_QUOTA_LIMIT)) {
      throw invalidValue('limit', `a whole number from 0 to ${MAX_QUOTA_LIMIT}`, input.limit);
    }
    if (!(await this.db.manager.existsBy(ProjectEntity, { id: projectId }))) {
      throw projectNotFound(projectId);
    }
    const held = await this.access.levelOf(setBy, projectId);
    if (!levelAtLeast(held, 'admin')) {
      const refusal = new CloudEngineError('PERMISSION_DENIED', `Setting quotas of project ${projectId} needs admin on it; ${setBy} has ${held ?? 'none'}.`, {
        details: { needed: 'admin', held },
      });
      await this.audit.refused({ actor: setBy, action: 'quota.set', projectId, error: refusal });
      throw refusal;
    }
    await this.db.transaction(async (manager) => {
      await manager.delete(QuotaEntity, { projectId, quotaKey });
      if (input.limit !== null) await manager.insert(QuotaEntity, { projectId, quotaKey, limit: input.limit, setBy, setAt: new Date() });
      await this.audit.record({ actor: setBy, action: 'quota.set', projectId, details: { quotaKey, limit: input.limit } }, manager);
    });
  }

  /** Usage per quota key: every key with a limit or with resources in use. */
  async usage(projectId: string, manager: EntityManager = this.db.manager): Promise<QuotaUsage[]> {
    // One after another: inside a transaction they share one connection, which must not run queries concurrently.
    const limits = await manager.find(QuotaEntity, { where: { projectId } });
    const deployments = await manager.find(DeploymentEntity, { where: { projectId, state: DeploymentStatus.ACTIVE }, select: { id: true, resources: true } });
    const used = this.requested(deployments.flatMap((deployment) => deployment.resources));
    const reserved = await this.reservedByKey(projectId, manager);
    const keys = new Set([...limits.map((quota) => quota.quotaKey), ...used.keys(), ...reserved.keys()]);
    return [...keys].sort().map((quotaKey) => {
      const limit = limits.find((quota) => quota.quotaKey === quotaKey)?.limit ?? null;
      const u = used.get(quotaKey) ?? 0;
      const r = reserved.get(quotaKey) ?? 0;
      return { quotaKey, used: u, reserved: r, limit, percent: limit === null ? null : limit === 0 ? (u + r > 0 ? 100 : 0) : Math.round(((u + r) / limit) * 100) };
    });
  }

  /**
   * Which limits a change would exceed on top of current usage: `requested`
   * is its net effect per quota key (see `netEffect`); only what it adds counts.
   */
  async excess(projectId: string, requested: ReadonlyMap<string, number>, manager: EntityManager = this.db.manager): Promise<QuotaExcess[]> {
    const usage = await this.usage(projectId, manager);
    const excess: QuotaExcess[] = [];
    for (const [quotaKey, count] of requested) {
      if (count <= 0) continue;
      const row = usage.find((item) => item.quotaKey === quotaKey);
      if (!row || row.limit === null) continue;
      if (row.used + row.reserved + count > row.limit) excess.push({ quotaKey, requested: count, used: row.used, reserved: row.reserved, limit: row.limit });
    }
    return excess;
  }

  /**
   * What a change does to each quota key: its resources' count less what its
   * deployment holds now. Replacing a VM by another is 0; one more is +1.
   */
  netEffect(resources: readonly QuotaCounted[], current: readonly QuotaCounted[]): Map<string, number> {
    const effect = this.requested(resources);
    for (const [quotaKey, count] of this.requested(current)) effect.set(quotaKey, (effect.get(quotaKey) ?? 0) - count);
    return effect;
  }

  /** What approved and applying changes add, key by key (their positive net effect). */
  private async reservedByKey(projectId: string, manager: EntityManager): Promise<Map<string, number>> {
    const sessions = await manager.find(CloudSessionEntity, { where: { projectId, state: In(['APPROVED', 'APPLYING']) }, select: { id: true, deploymentId: true } });
    const reserved = new Map<string, number>();
    if (sessions.length === 0) return reserved;
    const resources = await manager.find(CloudResourceEntity, { where: { sessionId: In(sessions.map((session) => session.id)) }, select: { type: true, config: true, sessionId: true } });
    const deployments = await manager.find(DeploymentEntity, { where: { id: In(sessions.map((session) => session.deploymentId)) }, select: { id: true, resources: true } });
    for (const session of sessions) {
      const current = deployments.find((deployment) => deployment.id === session.deploymentId)?.resources ?? [];
      const effect = this.netEffect(resources.filter((resource) => resource.sessionId === session.id), current);
      for (const [quotaKey, count] of effect) if (count > 0) reserved.set(quotaKey, (reserved.get(quotaKey) ?? 0) + count);
    }
    return reserved;
  }

  /** Counts resources by quota key: each by its type's `quotas` when it has them (every part of a blueprint), else 1 of its `quotaKey`. */
  requested(resources: readonly QuotaCounted[]): Map<string, number> {
    const counts = new Map<string, number>();
    for (const resource of resources) {
      const type = this.resourceTypes.get(resource.type);
      for (const [key, count] of Object.entries(quotaCounts(type, resource.config, this.resourceTypes.pluginOf(resource.type)))) {
        if (count > 0) counts.set(key, (counts.get(key) ?? 0) + count);
      }
    }
    return counts;
  }
}
export const QuotaServiceToken = token<QuotaService>('kernel.quotas');

/** QUOTA_EXCEEDED naming every key, with requested, used and limit. */
export function quotaError(excess: readonly QuotaExcess[], when: string): CloudEngineError {
  const parts = excess.map(
    (item) => `${item.quotaKey}: requested ${item.requested}, used ${item.used}${item.reserved ? ` + ${item.reserved} reserved` : ''}, limit ${item.limit}`,
  );
  return new CloudEngineError(
    'QUOTA_EXCEEDED',
    `Quota exceeded ${when} — ${parts.join('; ')}. Remove resources, or ask a project admin to raise the limit (chat: /cloud-set-quota; command line: cloud-engine quota set).`,
    { details: { excess } },
  );
}
