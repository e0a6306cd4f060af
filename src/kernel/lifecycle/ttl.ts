import { formatDuration } from '../config/duration.js';
import { CloudEngineError, invalidInput } from '../errors.js';
import { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import type { Project } from '../projects/project-service.js';
import { authorize, requireUser, type SessionServices } from '../sessions/session-services.js';
import type { Clock } from './clock.js';
import type { DueActionStore } from './due-action-store.js';
import { TTL_LIMITS, durationMs, lifecycleRules, type DurationInput } from './lifecycle-settings.js';

/** A deployment's expiry as `setTtl` and `extendTtl` answer it. */
export interface TtlView {
  readonly deploymentId: string;
  /** null: it does not expire. */
  readonly expiresAt: Date | null;
  /** When its reminders go out, earliest first. */
  readonly reminders: readonly Date[];
}

/**
 * Setting, extending and clearing a deployment's expiry: every TTL is
 * checked against the project's maximum, needs deploy access, is audited,
 * and replaces the deployment's persisted reminders and expiry.
 */
export class Ttl {
  constructor(
    private readonly services: SessionServices,
    private readonly clock: Clock,
    private readonly actions: DueActionStore,
  ) {}

  /**
   * The TTL (ms) a new deployment of `project` starts with: `ttl` when given,
   * else the project's default; undefined when neither. INVALID_INPUT naming
   * the field and the limit when it is not a duration or past the maximum.
   */
  initialTtl(project: Project, ttl: DurationInput | undefined): number | undefined {
    const rules = lifecycleRules(project.settings.lifecycle);
    if (ttl === undefined) return rules.defaultTtl;
    return this.checked(project, ttl, 'ttl');
  }

  /** Gives a deployment just made by its first change its expiry. */
  async start(deploymentId: string, userId: string, ttlMs: number): Promise<TtlView> {
    const deployment = await this.services.deployments.load(deploymentId);
    return this.write(deployment, userId, new Date(this.clock.now().getTime() + ttlMs), { action: 'deployment.ttlSet', ttl: formatDuration(ttlMs), firstChange: true });
  }

  /** Sets (from now) or clears (`null`) a deployment's expiry. */
  async set(deploymentId: string, userId: string, ttl: DurationInput | null): Promise<TtlView> {
    const { deployment, project } = await this.editable(deploymentId, userId);
    if (ttl === null) return this.write(deployment, userId, null, { action: 'deployment.ttlCleared' });
    const ms = this.checked(project, ttl, 'ttl');
    return this.write(deployment, userId, new Date(this.clock.now().getTime() + ms), { action: 'deployment.ttlSet', ttl: formatDuration(ms) });
  }

  /** Moves a deployment's expiry later by `by` (the project's default TTL when absent), within the maximum. */
  async extend(deploymentId: string, userId: string, by?: DurationInput): Promise<TtlView> {
    const { deployment, project } = await this.editable(deploymentId, userId);
    const rules = lifecycleRules(project.settings.lifecycle);
    const ms = by === undefined ? rules.defaultTtl : this.checked(project, by, 'duration');
    if (ms === undefined) {
      throw invalidInput('duration', `project ${project.id} sets no lifecycle.defaultTtl to extend by; say how long (e.g. "1h")`, { value: by });
    }
    const now = this.clock.now().getTime();
    const from = Math.max(deployment.expiresAt?.getTime() ?? now, now);
    const expiresAt = new Date(from + ms);
    if (expiresAt.getTime() - now > rules.maxTtl) {
      const left = Math.max(0, rules.maxTtl - (from - now));
      throw invalidInput(
        'duration',
        `extending ${deployment.name} by ${formatDuration(ms)} would make it expire in ${formatDuration(expiresAt.getTime() - now)}, past the maximum TTL of ${formatDuration(rules.maxTtl)}` +
          `${rules.projectMax ? ` (project ${project.id}'s lifecycle.maxTtl)` : ''}; extend by at most ${formatDuration(Math.floor(left / 1000) * 1000)}`,
        { value: by ?? formatDuration(ms), details: { limit: formatDuration(rules.maxTtl), maxTtlMs: rules.maxTtl } },
      );
    }
    return this.write(deployment, userId, expiresAt, { action: 'deployment.ttlExtended', by: formatDuration(ms) });
  }

  /** A duration for `field`, in ms, within the project's maximum TTL. */
  private checked(project: Project, value: unknown, field: string): number {
    const rules = lifecycleRules(project.settings.lifecycle);
    const ms = durationMs(value);
    if (ms === undefined) {
      throw invalidInput(field, `expected a positive duration such as "15m", "2h" or "7d" (at most ${formatDuration(rules.maxTtl)}); received ${JSON.stringify(value)}`, {
        value,
        details: { limit: formatDuration(rules.maxTtl) },
      });
    }
    if (ms < TTL_LIMITS.min) {
      throw invalidInput(field, `${formatDuration(ms)} is shorter than the shortest TTL, ${formatDuration(TTL_LIMITS.min)}`, { value, details: { limit: formatDuration(TTL_LIMITS.min) } });
    }
    if (ms > rules.maxTtl) {
      throw invalidInput(
        field,
        `${formatDuration(ms)} is longer than the maximum TTL of ${formatDuration(rules.maxTtl)}${rules.projectMax ? ` (project ${project.id}'s lifecycle.maxTtl)` : ''}; give at most ${formatDuration(rules.maxTtl)}`,
        { value, details: { limit: formatDuration(rules.maxTtl), maxTtlMs: rules.maxTtl } },
      );
    }
    return ms;
  }

  /** The deployment and its project, if `userId` may deploy to it and it is still there to expire. */
  private async editable(deploymentId: string, userId: string): Promise<{ deployment: DeploymentEntity; project: Project }> {
    requireUser(userId);
    const deployment = await this.services.deployments.load(deploymentId);
    await authorize(this.services, userId, 'session.start', deployment.projectId);
    if (deployment.state === 'DESTROYED') {
      throw new CloudEngineError('INVALID_STATE', `Deployment ${deployment.name} is DESTROYED; there is nothing left to expire. Deploy it again to give it a TTL.`, {
        details: { deploymentId: deployment.id, state: deployment.state },
      });
    }
    return { deployment, project: await this.services.projects.get(deployment.projectId) };
  }

  private async write(deployment: DeploymentEntity, userId: string, expiresAt: Date | null, audit: { action: string } & Record<string, unknown>): Promise<TtlView> {
    const { db, projects } = this.services;
    const project = await projects.get(deployment.projectId);
    const rules = lifecycleRules(project.settings.lifecycle);
    const now = this.clock.now();
    const { action, ...details } = audit;
    const scheduled = await db.transaction(async (manager) => {
      await manager.update(DeploymentEntity, { id: deployment.id }, { expiresAt, updatedAt: new Date() });
      const rows =
        expiresAt === null
          ? (await this.actions.clear(manager, deployment.id), [])
          : await this.actions.schedule(manager, { deploymentId: deployment.id, projectId: deployment.projectId, expiresAt, reminders: rules.reminders, now });
      await this.services.audit.record(
        { actor: userId, action, projectId: deployment.projectId, details: { deploymentId: deployment.id, deployment: deployment.name, ...details, expiresAt: expiresAt?.toISOString() ?? null, previous: deployment.expiresAt?.toISOString() ?? null } },
        manager,
      );
      return rows;
    });
    return { deploymentId: deployment.id, expiresAt, reminders: scheduled.filter((row) => row.kind === 'reminder').map((row) => row.dueAt) };
  }
}
