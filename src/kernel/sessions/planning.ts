import { CloudEngineError, isCloudEngineError } from '../errors.js';
import type { CloudResourceEntity } from '../persistence/entities/cloud-resource.entity.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { Project } from '../projects/project-service.js';
import { DeploymentState, PLANNABLE_STATES, TEARDOWN_PLANNABLE_STATES, stateWithoutTeardown, teardownStartedFrom } from './deployment-state.js';
import type { OutputRecorder } from './output-recorder.js';
import { PlanMaker, redactError } from './plan-maker.js';
import type { SessionChecks } from './session-checks.js';
import { SessionErrors, reasonText } from './session-errors.js';
import type { RunOptions, ValidationResult } from './session-inputs.js';
import { authorize, requireUser, type SessionServices } from './session-services.js';
import { SessionChangedError, stateError } from './session-store.js';
import type { PlanResult, SessionView } from './session-view.js';

const S = DeploymentState;
/** How often a plan re-reads a session that another process changed while it was being validated. */
const PLAN_START_ATTEMPTS = 3;

/** Planning a change (`runPlan`) or a teardown (`destroySession`), and checking without planning (`validateSession`). */
export class Planning {
  private readonly maker: PlanMaker;

  constructor(
    private readonly services: SessionServices,
    private readonly checks: SessionChecks,
  ) {
    this.maker = new PlanMaker(services, checks);
  }

  /** Runs every pre-plan check (permission, resources, policies) without changing the session. */
  async validateSession(sessionId: string, userId: string): Promise<ValidationResult> {
    requireUser(userId);
    const { store, projects, deployments } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.plan', session.projectId, session);
    const project = await projects.get(session.projectId);
    const { resources: current } = await deployments.load(session.deploymentId);
    // As planning checks it: configs as stored (secret fields too), no plan.
    const view = store.viewOf(session, await store.resources(sessionId), null);
    const violations = [...(await this.checks.quotaViolations(view, current)), ...(await this.checks.sessionViolations(view, project, userId, current))];
    return { ok: violations.length === 0, violations };
  }

  /**
   * Validates, synthesizes and runs `terraform plan`, saving the plan file
   * that `approveAndApply` will apply. Throws (and leaves the session
   * PLAN_FAILED with the reason) when validation or terraform fails.
   */
  async runPlan(sessionId: string, userId: string, options: RunOptions = {}): Promise<PlanResult> {
    requireUser(userId);
    const { store, locks, operations, deployments } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.plan', session.projectId, session);
    const resources = await store.resources(sessionId);
    // No resources left is the deployment's teardown; with nothing deployed either, there is nothing to plan.
    if (resources.length === 0 && (await deployments.load(session.deploymentId)).resources.length === 0) throw SessionErrors.noResources(session);
    return locks.run(sessionId, 'plan', userId, () => operations.track(sessionId, 'plan', (signal) => this.plan(session, resources, userId, options, signal)));
  }

  /**
   * Plans the teardown of a deployed session (APPLIED, or FAILED part-way):
   * `terraform plan -destroy`, shown like any plan (its cost delta is
   * negative) and approved with `approveAndApply` under the same permissions,
   * four-eyes rules and locks; the session then ends DESTROYED and its
   * resources stop counting against quotas.
   */
  async destroySession(sessionId: string, userId: string, options: RunOptions = {}): Promise<PlanResult> {
    requireUser(userId);
    const { store, locks, operations } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.plan', session.projectId, session);
    return locks.run(sessionId, 'destroy plan', userId, () => operations.track(sessionId, 'plan', (signal) => this.planDestroy(sessionId, userId, options, signal)));
  }

  private async plan(read: CloudSessionEntity, readResources: CloudResourceEntity[], userId: string, options: RunOptions, signal: AbortSignal): Promise<PlanResult> {
    const { store, projects, operations } = this.services;
    const sessionId = read.id;
    let session = read;
    let resources = readResources;
    if (!PLANNABLE_STATES.includes(session.state)) {
      // Read before the lock was taken: an operation that just ended may have moved it since.
      session = await store.load(sessionId);
      if (!PLANNABLE_STATES.includes(session.state)) throw stateError(session, PLANNABLE_STATES, [S.VALIDATING, S.PLANNING]);
      resources = await store.resources(sessionId);
    }
    const project = await projects.get(session.projectId);
    let started: { view: SessionView; planning: CloudSessionEntity };
    for (let attempt = 1; ; attempt++) {
      try {
        started = await this.validateAndStartPlanning(session, resources, project, userId, signal);
        break;
      } catch (error) {
        if (!(error instanceof SessionChangedError) || attempt >= PLAN_START_ATTEMPTS) throw error;
        session = error.current;
        resources = await store.resources(sessionId);
      }
    }
    let recorder: OutputRecorder | undefined;
    try {
      recorder = await operations.recorder(sessionId, 'plan');
      return await this.maker.make({ ...started, project, userId, options, signal, recorder, purpose: 'apply', to: S.PLAN_READY });
    } catch (error) {
      await recorder?.close();
      throw await this.failPlan(sessionId, userId, S.PLANNING, error, signal);
    }
  }

  /**
   * The checks before a plan (quotas, resources, policies' `validateSession`),
   * on the session as it will be while VALIDATING; then `→ VALIDATING →
   * PLANNING`, or `→ VALIDATING → PLAN_FAILED` (`CANCELLED` if cancelled).
   * Throws SessionChangedError when the session changed since `session` was read.
   */
  private async validateAndStartPlanning(
    session: CloudSessionEntity,
    resources: readonly CloudResourceEntity[],
    project: Project,
    userId: string,
    signal: AbortSignal,
  ): Promise<{ view: SessionView; planning: CloudSessionEntity }> {
    const sessionId = session.id;
    const view = this.services.store.viewOf({ ...session, state: S.VALIDATING, error: null, currentPlanId: null }, resources, null);
    try {
      const { resources: current } = await this.services.deployments.load(session.deploymentId);
      const violations = [...(await this.checks.quotaViolations(view, current)), ...(await this.checks.sessionViolations(view, project, userId, current))];
      if (violations.length > 0) throw SessionErrors.violations(sessionId, violations, 'before planning');
      signal.throwIfAborted();
    } catch (error) {
      throw await this.failPlan(sessionId, userId, S.VALIDATING, error, signal, session);
    }
    const planning = await this.services.store.transition({
      sessionId,
      from: PLANNABLE_STATES,
      via: [S.VALIDATING],
      to: S.PLANNING,
      actor: userId,
      patch: { currentPlanId: null, error: null },
      seen: session,
    });
    return { view, planning };
  }

  private async planDestroy(sessionId: string, userId: string, options: RunOptions, signal: AbortSignal): Promise<PlanResult> {
    const { store, projects, operations, logger, redactor } = this.services;
    // Read under the lock: where the teardown starts from is where it returns if it does not happen.
    const session = await store.load(sessionId);
    const planning = await store.transition({
      sessionId,
      from: TEARDOWN_PLANNABLE_STATES,
      to: S.DESTROY_PLANNING,
      actor: userId,
      patch: { error: null, currentPlanId: null, teardownFrom: teardownStartedFrom(session) },
      seen: session,
    });
    const recorder = await operations.recorder(sessionId, 'plan');
    try {
      const project = await projects.get(session.projectId);
      // A deployed session's resources no longer change: read once, with the session as the transition left it.
      const view = store.viewOf(planning, await store.resources(sessionId), null);
      return await this.maker.make({ view, project, userId, options, signal, recorder, purpose: 'destroy', planning, to: S.DESTROY_READY });
    } catch (error) {
      await recorder.close();
      const failure = redactError(SessionErrors.fromPlanFailure(sessionId, error), redactor);
      // The deployment is untouched by a failed teardown plan: it goes back to what it was.
      await store
        .transition({
          sessionId,
          from: [S.DESTROY_PLANNING],
          to: stateWithoutTeardown(planning),
          actor: userId,
          patch: { error: signal.aborted ? null : failure.message, teardownFrom: null },
          details: { code: failure.code, destroy: true },
        })
        .catch((transitionError: unknown) => logger.error({ err: transitionError, sessionId }, 'could not record the failed teardown plan'));
      throw failure;
    }
  }

  /**
   * Records a failed (or cancelled) plan and returns the error to throw. With
   * `seen` (failed while validating, before any transition) the session moves
   * `→ VALIDATING → PLAN_FAILED/CANCELLED` from the state it was read in, and
   * SessionChangedError passes through for the caller to retry.
   */
  private async failPlan(sessionId: string, userId: string, phase: DeploymentState, error: unknown, signal: AbortSignal, seen?: CloudSessionEntity): Promise<CloudEngineError> {
    const { store, logger, redactor } = this.services;
    const from = seen ? { from: PLANNABLE_STATES, via: [S.VALIDATING], seen } : { from: [phase] };
    const unrecorded = (what: string) => (transitionError: unknown) => {
      if (transitionError instanceof SessionChangedError) throw transitionError;
      logger.error({ err: transitionError, sessionId }, what);
    };
    if (signal.aborted) {
      await store
        .transition({ sessionId, ...from, to: S.CANCELLED, actor: userId, ...(seen ? { patch: { currentPlanId: null, error: null } } : {}), details: { during: 'plan', reason: reasonText(signal.reason) } })
        .catch(unrecorded('could not record the cancelled plan'));
      return new CloudEngineError('INVALID_STATE', `The plan of session ${sessionId} was stopped: ${reasonText(signal.reason)}.`, { cause: error });
    }
    const failure = redactError(SessionErrors.fromPlanFailure(sessionId, error), redactor);
    if (!isCloudEngineError(error)) logger.error({ err: error, sessionId }, 'plan failed');
    await store
      .transition({ sessionId, ...from, to: S.PLAN_FAILED, actor: userId, patch: { ...(seen ? { currentPlanId: null } : {}), error: failure.message }, details: { code: failure.code, ...failure.details } })
      .catch(unrecorded('could not record the failed plan'));
    return failure;
  }
}
