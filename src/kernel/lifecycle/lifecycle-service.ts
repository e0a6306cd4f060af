import { inject, injectable } from 'inversify';
import { AuditLogToken, type AuditLog } from '../audit/audit-log.js';
import { formatDuration } from '../config/duration.js';
import { DeploymentStore } from '../deployments/deployment-store.js';
import { DeploymentStatus } from '../deployments/deployment-status.js';
import { KernelEventsToken, type KernelEvents } from '../events/kernel-events.js';
import { Logger } from '../logger.js';
import { DatabaseToken, type Database } from '../persistence/database.js';
import { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import type { DueActionEntity, DueActionKind } from '../persistence/entities/due-action.entity.js';
import { token } from '../plugin/token.js';
import { OrchestratorToken, type Orchestrator } from '../sessions/orchestrator.js';
import { retryDelay } from './backoff.js';
import { ClockToken, type Clock } from './clock.js';
import { DueActionStore } from './due-action-store.js';
import { ExpiryTeardown } from './expiry-teardown.js';
import { SYSTEM_ACTOR, asSystem } from './system-actor.js';
import { AccessServiceToken, type AccessService } from '../access/access-service.js';
import { DriftSchedule } from '../drift/drift-schedule.js';
import { ProjectServiceToken, type ProjectService } from '../projects/project-service.js';
import { EngineConfig } from '../config/engine-config.js';

/** A scheduled action as `kernel.lifecycle.pending` lists it. */
export interface DueAction {
  readonly deploymentId: string;
  readonly projectId: string;
  /** A reminder, the expiry, or a scheduled drift check. */
  readonly kind: DueActionKind | 'drift';
  /** For a reminder: how long before expiry ("1h"). */
  readonly before: string | null;
  readonly dueAt: Date;
  /** The expiry it belongs to; null for a drift check. */
  readonly expiresAt: Date | null;
  /** Failed teardown attempts so far, and the last failure. */
  readonly attempts: number;
  readonly lastError: string | null;
}

/** What one `runDue` did. */
export interface DueReport {
  readonly reminded: number;
  readonly expired: number;
  readonly failed: number;
  readonly skipped: number;
  /** Scheduled drift checks run (and skipped: a change open). */
  readonly driftChecked: number;
  readonly driftSkipped: number;
}

/**
 * Performs deployments' due reminders and expiries: `kernel.lifecycle`. Each
 * due action is claimed by a conditional update, so of several kernels on one
 * database exactly one acts; one that was down at the due time acts when it
 * runs again, saying how late. A teardown that fails is retried with back-off.
 */
@injectable()
export class LifecycleService {
  private readonly actions: DueActionStore;
  private readonly deployments: DeploymentStore;
  private readonly teardown: ExpiryTeardown;
  private readonly drift: DriftSchedule;
  private running: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @inject(DatabaseToken) private readonly db: Database,
    @inject(ClockToken) private readonly clock: Clock,
    @inject(OrchestratorToken) private readonly orchestrator: Orchestrator,
    @inject(AuditLogToken) private readonly audit: AuditLog,
    @inject(KernelEventsToken) private readonly events: KernelEvents,
    @inject(Logger) private readonly logger: Logger,
    @inject(ProjectServiceToken) projects: ProjectService,
    @inject(AccessServiceToken) private readonly access: AccessService,
    @inject(EngineConfig) config: EngineConfig,
  ) {
    this.actions = new DueActionStore(db);
    this.deployments = new DeploymentStore(db);
    this.teardown = new ExpiryTeardown(orchestrator, this.deployments);
    this.drift = new DriftSchedule(db, projects, (deploymentId) => asSystem('drift', () => orchestrator.checkDrift(deploymentId, SYSTEM_ACTOR, { background: true })), logger, config.maxTerraform);
  }

  /** Performs everything due at the clock's now; resolves when done. Runs one at a time in a kernel. */
  runDue(): Promise<DueReport> {
    const run = this.running.catch(() => undefined).then(() => this.runOnce());
    this.running = run;
    return run;
  }

  /** The reminders and expiries still to come (of one deployment), earliest first. */
  async pending(deploymentId?: string): Promise<DueAction[]> {
    const checks = (await this.drift.pending(deploymentId)).map((check) => ({ ...check, kind: 'drift' as const, before: null, expiresAt: null, attempts: 0, lastError: null }));
    const actions = (await this.actions.pending(deploymentId)).map((row) => ({
      deploymentId: row.deploymentId,
      projectId: row.projectId,
      kind: row.kind,
      before: row.offsetMs === null ? null : formatDuration(row.offsetMs),
      dueAt: row.dueAt,
      expiresAt: row.expiresAt,
      attempts: row.attempts,
      lastError: row.lastError,
    }));
    return [...actions, ...checks].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  }

  /** Runs `runDue` every `intervalMs` until `stop` (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.runDue().catch((error: unknown) => this.logger.error({ err: error }, 'lifecycle run failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a run under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running.catch(() => undefined);
  }

  private async runOnce(): Promise<DueReport> {
    const report = { reminded: 0, expired: 0, failed: 0, skipped: 0, driftChecked: 0, driftSkipped: 0 };
    const now = this.clock.now();
    for (const action of await this.actions.due(now)) {
      if (!(await this.actions.claim(action, this.orchestrator.ownerId, now))) continue;
      try {
        const outcome = action.kind === 'reminder' ? await this.remind(action, now) : await this.expire(action, now);
        report[outcome] += 1;
      } catch (error) {
        // Bookkeeping failed (the database): the claim lapses and another run takes it again.
        this.logger.error({ err: error, action: action.id, deploymentId: action.deploymentId }, 'lifecycle action failed');
      }
    }
    // After reminders and expiries: a deployment torn down now needs no check.
    try {
      const round = await this.drift.runDue(this.clock.now());
      report.driftChecked = round.checked;
      report.driftSkipped = round.skipped;
    } catch (error) {
      this.logger.error({ err: error }, 'scheduled drift checks failed');
    }
    // Access requests that lapse and grants that end soon (access/access-requests.ts), each claimed once across kernels.
    try {
      const access = await this.access.runDue(now);
      if (access.expiredRequests || access.grantNotices) this.logger.info(access, 'access requests lapsed, grant expiry notices sent');
    } catch (error) {
      this.logger.error({ err: error }, 'access requests and grant notices failed');
    }
    return report;
  }

  /** The deployment when `action` still belongs to its current expiry; null when it was replaced or torn down. */
  private async current(action: DueActionEntity): Promise<DeploymentEntity | null> {
    const deployment = await this.db.manager.findOneBy(DeploymentEntity, { id: action.deploymentId });
    if (!deployment || deployment.state === DeploymentStatus.DESTROYED) return null;
    return deployment.expiresAt?.getTime() === action.expiresAt.getTime() ? deployment : null;
  }

  private async remind(action: DueActionEntity, now: Date): Promise<'reminded' | 'skipped'> {
    const deployment = await this.current(action);
    // Past the expiry (a kernel was down through both): the teardown speaks instead.
    if (!deployment || now.getTime() >= action.expiresAt.getTime()) {
      await this.actions.finish(action.id, now, 'SKIPPED');
      return 'skipped';
    }
    const remaining = action.expiresAt.getTime() - now.getTime();
    const lateMs = Math.max(0, now.getTime() - action.dueAt.getTime());
    await this.audit.record({
      actor: SYSTEM_ACTOR,
      action: 'deployment.expiring',
      projectId: deployment.projectId,
      details: { deploymentId: deployment.id, deployment: deployment.name, expiresAt: action.expiresAt.toISOString(), remaining: formatDuration(remaining), reminder: formatDuration(action.offsetMs ?? 0), ...late(lateMs) },
    });
    await this.actions.finish(action.id, now);
    this.events.emit('deployment.expiring', { deploymentId: deployment.id, projectId: deployment.projectId, name: deployment.name, expiresAt: action.expiresAt, remaining, lateMs });
    return 'reminded';
  }

  private async expire(action: DueActionEntity, now: Date): Promise<'expired' | 'failed' | 'skipped'> {
    const deployment = await this.current(action);
    if (!deployment) {
      await this.actions.finish(action.id, now, 'SKIPPED');
      return 'skipped';
    }
    const lateMs = Math.max(0, now.getTime() - action.expiresAt.getTime());
    const base = { deploymentId: deployment.id, deployment: deployment.name, reason: 'ttl', expiresAt: action.expiresAt.toISOString(), attempt: action.attempts + 1, ...late(lateMs) };
    await this.audit.record({ actor: SYSTEM_ACTOR, action: 'deployment.teardownStarted', projectId: deployment.projectId, details: base });
    try {
      const { sessionId } = await this.teardown.run(deployment.id);
      await this.db.manager.update(DeploymentEntity, { id: deployment.id }, { expiresAt: null });
      await this.audit.record({ actor: SYSTEM_ACTOR, action: 'deployment.expired', projectId: deployment.projectId, sessionId, details: { ...base, teardownSessionId: sessionId } });
      await this.actions.finish(action.id, this.clock.now());
      this.events.emit('deployment.expired', { deploymentId: deployment.id, projectId: deployment.projectId, name: deployment.name, expiresAt: action.expiresAt, sessionId, lateMs });
      return 'expired';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const attempts = action.attempts + 1;
      const retryAt = new Date(this.clock.now().getTime() + retryDelay(attempts));
      this.logger.warn({ err: error, deploymentId: deployment.id, attempts, retryAt }, 'expired deployment not torn down; retrying later');
      await this.audit.record({ actor: SYSTEM_ACTOR, action: 'deployment.teardownFailed', projectId: deployment.projectId, details: { ...base, error: message, attempts, retryAt: retryAt.toISOString() } });
      await this.actions.retryLater(action.id, attempts, retryAt, message);
      this.events.emit('deployment.expiryFailed', { deploymentId: deployment.id, projectId: deployment.projectId, name: deployment.name, expiresAt: action.expiresAt, attempts, retryAt, error: message });
      return 'failed';
    }
  }
}
export const LifecycleServiceToken = token<LifecycleService>('kernel.lifecycle');

/** How late an action ran, as audit details say it. */
function late(lateMs: number): Record<string, unknown> {
  return lateMs >= 1000 ? { lateMs, late: formatDuration(Math.round(lateMs / 1000) * 1000) } : { lateMs: 0 };
}
