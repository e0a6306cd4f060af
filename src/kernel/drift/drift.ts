import { CloudEngineError, isCloudEngineError } from '../errors.js';
import { DeploymentStatus } from '../deployments/deployment-status.js';
import type { Clock } from '../lifecycle/clock.js';
import { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import { redactError } from '../sessions/plan-maker.js';
import { authorize, requireUser, type SessionServices } from '../sessions/session-services.js';
import { TerraformError } from '../terraform/terraform-error.js';
import type { SessionView } from '../sessions/session-view.js';
import { DriftCheck } from './drift-check.js';
import { afterCheck, dismissedBy, driftView, type DriftRecord } from './drift-record.js';

/** Opens a change of a deployment with its current resources and plans it (the orchestrator's own flows). */
export type ReconcileChange = (deploymentId: string, userId: string) => Promise<SessionView>;

/**
 * Drift: `checkDrift` runs a refresh-only plan of what a deployment declares
 * and keeps what differs on the deployment (and in the audit trail);
 * `reconcileDrift` opens a change of the deployment as it is declared,
 * planned at once, whose apply puts the cloud back; `dismissDrift`
 * acknowledges a drift until it changes. A drift never changes what is declared.
 */
export class Drift {
  private readonly probe: DriftCheck;

  constructor(
    private readonly services: SessionServices,
    private readonly clock: Clock,
    private readonly reconcileChange: ReconcileChange,
  ) {
    this.probe = new DriftCheck(services);
  }

  /**
   * Checks a deployment now. Returns the drift record (FAILED with the reason
   * when terraform could not tell); throws when the user may not, the
   * deployment has nothing deployed, or a change of it is open.
   */
  async check(deploymentId: string, userId: string, options: { projectId?: string; background?: boolean } = {}): Promise<DriftRecord> {
    requireUser(userId);
    const { deployments, projects, audit, events, logger, redactor } = this.services;
    const deployment = await deployments.resolve(deploymentId, options.projectId);
    await authorize(this.services, userId, 'session.plan', deployment.projectId);
    this.requireCheckable(deployment);
    const project = await projects.get(deployment.projectId);

    let result: Omit<DriftRecord, 'dismissed'>;
    try {
      const found = await this.probe.run(deployment, project, { background: options.background });
      result = { status: found.resources.length > 0 ? 'DRIFTED' : 'NONE', checkedAt: this.clock.now(), checkedBy: userId, resources: found.resources, error: null, fingerprint: found.fingerprint };
    } catch (error) {
      const failure = redactError(checkFailure(deployment.name, error), redactor);
      logger.warn({ err: error, deploymentId: deployment.id }, 'drift check failed');
      result = { status: 'FAILED', checkedAt: this.clock.now(), checkedBy: userId, resources: [], error: failure.message, fingerprint: null };
    }

    const { stored, announce } = afterCheck(deployment.drift, result);
    // Kept only for the version it checked: a change applied meanwhile made it a check of something gone.
    const written = await this.services.db.manager.update(DeploymentEntity, { id: deployment.id, version: deployment.version }, { drift: stored });
    if (written.affected !== 1) {
      throw new CloudEngineError('PLAN_STALE', `Deployment ${deployment.name} changed while its drift was checked; check it again.`, {
        details: { deploymentId: deployment.id, reason: 'deployment-changed' },
      });
    }
    const record = driftView(stored) as DriftRecord;
    await audit.record({
      actor: userId,
      action: 'deployment.driftChecked',
      projectId: deployment.projectId,
      details: {
        deploymentId: deployment.id,
        deployment: deployment.name,
        status: record.status,
        drifted: record.resources.map((resource) => resource.address),
        ...(record.fingerprint ? { fingerprint: record.fingerprint } : {}),
        ...(record.error ? { error: record.error } : {}),
      },
    });
    if (announce) events.emit('deployment.drifted', { deploymentId: deployment.id, projectId: deployment.projectId, name: deployment.name, drift: record });
    return record;
  }

  /** The deployment's last drift check as stored (after a check a worker ran). */
  async record(deploymentId: string): Promise<DriftRecord> {
    const deployment = await this.services.deployments.load(deploymentId);
    const record = driftView(deployment.drift);
    if (!record) throw new CloudEngineError('INTERNAL', `Deployment ${deployment.name} has no drift record after its check ended.`, { details: { deploymentId } });
    return record;
  }

  /** Acknowledges the deployment's current drift: not announced again until it changes. */
  async dismiss(deploymentId: string, userId: string, options: { projectId?: string } = {}): Promise<DriftRecord> {
    requireUser(userId);
    const { deployments, audit, db } = this.services;
    const deployment = await deployments.resolve(deploymentId, options.projectId);
    await authorize(this.services, userId, 'session.plan', deployment.projectId);
    const current = driftView(deployment.drift);
    if (!current || current.status !== 'DRIFTED') {
      throw new CloudEngineError('INVALID_STATE', `Deployment ${deployment.name} has no drift to dismiss (last check: ${current ? `${current.status} at ${current.checkedAt.toISOString()}` : 'none'}).`, {
        details: { deploymentId: deployment.id, drift: current?.status ?? null },
      });
    }
    const stored = dismissedBy(deployment.drift ?? {}, userId, this.clock.now());
    // Only the drift that was shown: a check that found another one meanwhile is not dismissed by this.
    const written = await db.manager
      .createQueryBuilder()
      .update(DeploymentEntity)
      .set({ drift: stored })
      .where('id = :id AND drift = :seen', { id: deployment.id, seen: JSON.stringify(deployment.drift) })
      .execute();
    if (written.affected !== 1) {
      throw new CloudEngineError('PLAN_STALE', `Deployment ${deployment.name}'s drift was checked again meanwhile; look at the new result before dismissing it.`, {
        details: { deploymentId: deployment.id, reason: 'drift-changed' },
      });
    }
    await audit.record({ actor: userId, action: 'deployment.driftDismissed', projectId: deployment.projectId, details: { deploymentId: deployment.id, deployment: deployment.name, fingerprint: current.fingerprint } });
    return driftView(stored) as DriftRecord;
  }

  /**
   * Opens a change of the deployment with its current resources and plans it:
   * the plan puts the cloud back to what is declared, approved like any plan.
   */
  async reconcile(deploymentId: string, userId: string, options: { projectId?: string } = {}): Promise<SessionView> {
    requireUser(userId);
    const deployment = await this.services.deployments.resolve(deploymentId, options.projectId);
    await authorize(this.services, userId, 'session.start', deployment.projectId);
    this.requireCheckable(deployment);
    const current = driftView(deployment.drift);
    const session = await this.reconcileChange(deployment.id, userId);
    await this.services.audit.record({
      actor: userId,
      action: 'deployment.driftReconcile',
      projectId: deployment.projectId,
      sessionId: session.id,
      details: { deploymentId: deployment.id, deployment: deployment.name, fingerprint: current?.fingerprint ?? null, drift: current?.status ?? null },
    });
    return session;
  }

  /** Only what is deployed, with no change open, is compared with the cloud. */
  private requireCheckable(deployment: DeploymentEntity): void {
    if (deployment.state !== DeploymentStatus.ACTIVE) {
      throw new CloudEngineError('INVALID_STATE', `Deployment ${deployment.name} is ${deployment.state}: nothing of it is deployed to compare with the cloud.`, {
        details: { deploymentId: deployment.id, state: deployment.state },
      });
    }
    if (deployment.openSessionId) {
      throw new CloudEngineError(
        'LOCKED',
        `Deployment ${deployment.name} has a change open (session ${deployment.openSessionId}); its drift is checked when no change is open (the change's own plan compares with the cloud). Finish or cancel that change first.`,
        { details: { deploymentId: deployment.id, openSessionId: deployment.openSessionId } },
      );
    }
  }
}

/** Why a check could not tell, as the record says it. */
function checkFailure(name: string, error: unknown): CloudEngineError {
  if (isCloudEngineError(error)) return error;
  if (error instanceof TerraformError) return new CloudEngineError('TERRAFORM_FAILED', error.message, { cause: error, details: { command: error.command, exitCode: error.exitCode, timedOut: error.timedOut } });
  return new CloudEngineError('INTERNAL', `Checking the drift of deployment ${name} failed: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
}
