import { access, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorText } from '../errors.js';
import type { JsonObject } from '../persistence/columns.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { PlanRecordEntity } from '../persistence/entities/plan-record.entity.js';
import type { Project } from '../projects/project-service.js';
import { quotaError } from '../quotas/quota-service.js';
import type { Redactor } from '../secrets/redactor.js';
import type { SynthesisResult } from '../synth/stack-synthesizer.js';
import { capText } from '../terraform/terraform-events.js';
import { TerraformError, type TerraformContext } from '../terraform/terraform-runner.js';
import type { Approval, ApprovalTally } from './approval.js';
import { DeploymentState } from './deployment-state.js';
import type { SessionChecks } from './session-checks.js';
import { SessionErrors, reasonText } from './session-errors.js';
import type { ApproveOptions } from './session-inputs.js';
import { authorize, requireUser, synthesizeView, type SessionServices } from './session-services.js';
import type { PlanRecordSummary } from './session-store.js';
import type { SessionView } from './session-view.js';
import type { StateReader } from './state-reader.js';

const S = DeploymentState;

/** How an approved plan runs: a change of the deployment, or its teardown. The one difference between the two. */
interface ApplyKind {
  /** The state the approval moves to, and the state terraform runs in. */
  readonly approved: DeploymentState;
  readonly running: DeploymentState;
  readonly done: DeploymentState;
  /** A change reserves quota (checked again, atomically) and reads terraform's outputs; a teardown frees both. */
  readonly change: boolean;
  /** What a cancelled run says terraform kept. */
  readonly cancelled: (reason: string) => string;
}

const KINDS: Readonly<Record<'change' | 'teardown', ApplyKind>> = {
  change: {
    approved: S.APPROVED,
    running: S.APPLYING,
    done: S.APPLIED,
    change: true,
    cancelled: (reason) => `cancelled during apply (${reason}); terraform saved the state of what it finished`,
  },
  teardown: {
    approved: S.DESTROYING,
    running: S.DESTROYING,
    done: S.DESTROYED,
    change: false,
    cancelled: (reason) => `teardown cancelled (${reason}); terraform saved the state of what it destroyed`,
  },
};

/**
 * Approve & apply: exactly the plan that was shown — for a change and for a
 * teardown alike — once the approval holds, then `terraform apply <planfile>`
 * streamed, ending APPLIED/DESTROYED, or FAILED with what state still holds.
 */
export class Applying {
  constructor(
    private readonly services: SessionServices,
    private readonly approval: Approval,
    private readonly checks: SessionChecks,
    private readonly state: StateReader,
  ) {}

  /**
   * Applies exactly the plan that was shown. Refuses unless PLAN_READY (or
   * DESTROY_READY), with PLAN_STALE if the approver saw another plan or the
   * resources no longer synthesize to the planned configuration. Returns the
   * final session: APPLIED (DESTROYED), or FAILED with the reason.
   */
  async approveAndApply(sessionId: string, userId: string, options: ApproveOptions = {}): Promise<SessionView> {
    requireUser(userId);
    const { store, locks, operations } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.approve', session.projectId, session);
    return locks.run(sessionId, 'apply', userId, () => operations.track(sessionId, 'apply', (signal) => this.apply(sessionId, userId, options, signal)));
  }

  private async apply(sessionId: string, userId: string, options: ApproveOptions, signal: AbortSignal): Promise<SessionView> {
    const { store, projects, box, redactor: baseRedactor } = this.services;
    const session = await store.load(sessionId);
    const kind = session.state === S.DESTROY_READY ? KINDS.teardown : KINDS.change;
    const plan = await this.approval.refusalsAudited(userId, session, () => this.approval.approvablePlan(session, options.planId));
    const project = await projects.get(session.projectId);
    // The resources are read once, for the hash and the quota check; the approval's conditional update catches a change since.
    const view = store.viewOf(session, await store.resources(sessionId), null);
    const synthesis = synthesizeView(this.services, project, view, session.stateKey);
    if (synthesis.hash !== plan.configHash) throw SessionErrors.configChanged(sessionId, plan.id, plan.configHash, synthesis.hash);
    const planFile = await this.planFileHere(session, plan, synthesis);
    // The plan's sensitive values, sealed with it: whichever process planned, this one hides them.
    const redactor = baseRedactor.with(box.unseal(plan.sealedSecrets));
    await this.approval.refusalsAudited(userId, session, async () => {
      await this.approval.checkRules(session, plan, project, userId);
      // Today's policies, for today's approver: a rule tightened since the plan still holds.
      const violations = await this.checks.sessionViolations(view, project, userId, (await this.services.deployments.load(session.deploymentId)).resources);
      if (violations.length > 0) throw SessionErrors.violations(sessionId, violations, 'at approval', 'approved');
    });
    const tally = await this.approval.refusalsAudited(userId, session, () => this.approve(session, plan, project, view, kind, userId));
    this.approval.announce(session, userId, plan, tally);
    // More approvals needed (settings.approval.required): this one is recorded, the plan waits for the rest.
    if (!tally.complete) return store.view(sessionId);
    return this.run({ session, plan, project, view, synthesis, planFile, kind, userId, options, signal, redactor });
  }

  /**
   * The approval itself: recorded against the plan and counted in one
   * transaction, which the database serializes across processes; when the
   * count is complete, one conditional update on the state *and the plan
   * id*, so of racing approvers exactly one wins and a plan swapped
   * meanwhile (elsewhere) is PLAN_STALE, never applied. A change re-checks
   * quotas inside the same transaction, so sessions that each fit cannot
   * together exceed a limit. A refusal rolls the approval back with it.
   */
  private async approve(session: CloudSessionEntity, plan: PlanRecordSummary, project: Project, view: SessionView, kind: ApplyKind, userId: string): Promise<ApprovalTally> {
    const { db, quotas, store, deployments } = this.services;
    const approval = { sessionId: session.id, from: [session.state], planId: plan.id, to: kind.approved, actor: userId, patch: { approvedBy: userId }, details: { planId: plan.id, summary: plan.summary } };
    return db.transaction(async (manager) => {
      // Never over a newer state: the deployment must be where the session found it.
      await deployments.requireCurrent(session, manager);
      const tally = await this.approval.record(manager, session, plan, project, userId);
      if (!tally.complete) return tally;
      if (kind.change) {
        const deployment = await deployments.load(session.deploymentId, manager);
        const excess = await quotas.excess(project.id, quotas.netEffect(view.resources, deployment.resources), manager);
        if (excess.length > 0) throw quotaError(excess, `approving session ${session.id}`);
      }
      await store.transition(approval, manager);
      return tally;
    });
  }

  /** Runs the approved plan and records how it ended. */
  private async run(args: {
    session: CloudSessionEntity;
    plan: PlanRecordSummary;
    project: Project;
    view: SessionView;
    synthesis: SynthesisResult;
    planFile: string;
    kind: ApplyKind;
    userId: string;
    options: ApproveOptions;
    signal: AbortSignal;
    redactor: Redactor;
  }): Promise<SessionView> {
    const { plan, synthesis, kind, userId, signal, redactor } = args;
    const { store, operations, runner, logger, events } = this.services;
    const sessionId = args.session.id;
    const started = Date.now();
    const recorder = await operations.recorder(sessionId, 'apply');
    try {
      if (kind.running !== kind.approved) await store.transition({ sessionId, from: [kind.approved], to: kind.running, actor: userId });
      const context = operations.terraformContext({ sessionId, cwd: store.workingDir(args.session), env: synthesis.environment, operation: 'apply', options: args.options, signal, recorder, redactor });
      // A session planned before a restart may have lost .terraform; init is a no-op otherwise.
      await runner.init(context);
      await runner.apply({ ...context, planFile: args.planFile });
      const outputs = kind.change ? await this.outputs(sessionId, context, redactor) : null;
      await recorder.close();
      await store.transition({
        sessionId,
        from: [kind.running],
        to: kind.done,
        actor: userId,
        patch: { outputs, ...(kind.change ? {} : { resourcesInState: [], teardownFrom: null }) },
        details: { planId: plan.id, durationMs: Date.now() - started },
      });
      events.emit('apply.finished', { sessionId, state: kind.done, ...(outputs ? { outputs } : {}) });
    } catch (error) {
      await recorder.close();
      const message = capText(redactor.redact(signal.aborted ? kind.cancelled(reasonText(signal.reason)) : errorText(error)));
      // Terraform saying no is the session's outcome, not our failure: no stack trace.
      if (error instanceof TerraformError || signal.aborted) logger.warn({ sessionId, reason: message }, 'apply failed');
      else logger.error({ err: error, sessionId }, 'apply failed');
      const resourcesInState = await this.state.afterChange(args.session, args.project, args.view, synthesis);
      await store
        .transition({
          sessionId,
          from: [...new Set([kind.approved, kind.running])],
          to: S.FAILED,
          actor: userId,
          patch: { error: message, resourcesInState, teardownFrom: null },
          details: { planId: plan.id, durationMs: Date.now() - started, resourcesInState, ...(kind.change ? {} : { destroy: true }) },
        })
        .catch((transitionError: unknown) => logger.error({ err: transitionError, sessionId }, 'could not record the failed apply'));
      events.emit('apply.finished', { sessionId, state: S.FAILED, error: message });
    }
    return store.view(sessionId);
  }

  /**
   * The saved plan file in this process's working dir: where it was made, or
   * — planned by another process (a worker with its own data dir) — written
   * back from the database beside the configuration it was made from (the
   * same hash, so the same file), for `init` and terraform's own stale-plan
   * check to hold as in the process that planned.
   */
  private async planFileHere(session: CloudSessionEntity, plan: PlanRecordSummary, synthesis: SynthesisResult): Promise<string> {
    const workingDir = this.services.store.workingDir(session);
    const here = join(workingDir, 'plans', basename(plan.planFile));
    if (await exists(here)) return here;
    const stored = await this.services.db.manager.findOne(PlanRecordEntity, { where: { id: plan.id }, select: { id: true, planFileData: true } });
    if (!stored?.planFileData) throw SessionErrors.planFileMissing(session.id, plan.id, plan.planFile);
    await mkdir(join(workingDir, 'plans'), { recursive: true });
    await writeFile(join(workingDir, 'main.tf.json'), synthesis.text);
    await writeFile(here, Buffer.from(stored.planFileData, 'base64'));
    return here;
  }

  /** `terraform output -json`, sensitive outputs masked and the rest redacted; none when it cannot be read. */
  private async outputs(sessionId: string, context: TerraformContext, redactor: Redactor): Promise<JsonObject> {
    const outputs = await this.services.runner.output(context).catch((error: unknown) => {
      this.services.logger.warn({ err: error, sessionId }, 'reading terraform outputs failed');
      return {};
    });
    return redactor.redactDeep(Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.sensitive ? '(sensitive)' : output.value])));
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
