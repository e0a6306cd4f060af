import { CloudEngineError } from '../errors.js';

/**
 * The states of a deployment session: the ten of the plan-and-apply flow,
 * and four for tearing a deployment down again.
 */
export const DeploymentState = {
  DRAFT: 'DRAFT',
  VALIDATING: 'VALIDATING',
  PLANNING: 'PLANNING',
  PLAN_READY: 'PLAN_READY',
  PLAN_FAILED: 'PLAN_FAILED',
  APPROVED: 'APPROVED',
  APPLYING: 'APPLYING',
  APPLIED: 'APPLIED',
  FAILED: 'FAILED',
  CANCELLED: 'CANCELLED',
  DESTROY_PLANNING: 'DESTROY_PLANNING',
  DESTROY_READY: 'DESTROY_READY',
  DESTROYING: 'DESTROYING',
  DESTROYED: 'DESTROYED',
} as const;
export type DeploymentState = (typeof DeploymentState)[keyof typeof DeploymentState];

const S = DeploymentState;

/** The one table of legal transitions; everything else is an error. */
export const TRANSITIONS: Readonly<Record<DeploymentState, readonly DeploymentState[]>> = {
  [S.DRAFT]: [S.VALIDATING, S.CANCELLED],
  // Validation alone returns to DRAFT; a failed validation before a plan is a PLAN_FAILED.
  [S.VALIDATING]: [S.DRAFT, S.PLANNING, S.PLAN_FAILED, S.CANCELLED],
  [S.PLANNING]: [S.PLAN_READY, S.PLAN_FAILED, S.CANCELLED],
  // A change to the resources invalidates the plan (back to DRAFT); a re-plan re-validates.
  [S.PLAN_READY]: [S.DRAFT, S.VALIDATING, S.APPROVED, S.CANCELLED],
  [S.PLAN_FAILED]: [S.DRAFT, S.VALIDATING, S.CANCELLED],
  [S.APPROVED]: [S.APPLYING, S.FAILED],
  [S.APPLYING]: [S.APPLIED, S.FAILED],
  // A deployment (even a partly failed one) can be torn down: plan the destroy, approve it, apply it.
  [S.APPLIED]: [S.DESTROY_PLANNING],
  [S.FAILED]: [S.DESTROY_PLANNING],
  [S.CANCELLED]: [],
  // A destroy plan that fails, or is withdrawn, leaves the deployment as it was.
  [S.DESTROY_PLANNING]: [S.DESTROY_READY, S.APPLIED, S.FAILED],
  [S.DESTROY_READY]: [S.DESTROYING, S.APPLIED, S.FAILED, S.DESTROY_PLANNING],
  [S.DESTROYING]: [S.DESTROYED, S.FAILED],
  [S.DESTROYED]: [],
};

/** States in which the user may still change the session's resources. */
export const EDITABLE_STATES: readonly DeploymentState[] = [S.DRAFT, S.PLAN_READY, S.PLAN_FAILED];
/** States a session never leaves. */
export const FINAL_STATES: readonly DeploymentState[] = [S.CANCELLED, S.DESTROYED];
/** States in which the plan-and-apply flow is over: nothing to cancel or change (a deployment may still be destroyed). */
export const DONE_STATES: readonly DeploymentState[] = [S.APPLIED, S.FAILED, S.CANCELLED, S.DESTROYED];
/** A torn-down deployment waiting for approval of its destroy plan. */
export const WAITING_STATES: readonly DeploymentState[] = [S.DESTROY_READY];
/** States in which a terraform process may be running for the session. */
export const BUSY_STATES: readonly DeploymentState[] = [S.VALIDATING, S.PLANNING, S.APPROVED, S.APPLYING, S.DESTROY_PLANNING, S.DESTROYING];
/** States whose resources exist in the cloud and count as used against quotas. */
export const DEPLOYED_STATES: readonly DeploymentState[] = [S.APPLIED, S.DESTROY_PLANNING, S.DESTROY_READY, S.DESTROYING];

/** States a plan may start from. */
export const PLANNABLE_STATES: readonly DeploymentState[] = [S.DRAFT, S.PLAN_READY, S.PLAN_FAILED];
/** States a deployment may be torn down from: applied, or failed part-way. */
export const TEARDOWN_FROM_STATES: readonly DeploymentState[] = [S.APPLIED, S.FAILED];
/** States a teardown may be planned from: a deployment, or a teardown already planned (re-planned). */
export const TEARDOWN_PLANNABLE_STATES: readonly DeploymentState[] = [S.APPLIED, S.FAILED, S.DESTROY_READY];

/** What the next-state rules read of a session: its state, and what it was torn down from. */
export interface StateFacts {
  readonly state: DeploymentState;
  /** The state a teardown started from (APPLIED or FAILED); null when no teardown is under way. */
  readonly teardownFrom: DeploymentState | null;
}

/**
 * Where a deployment goes back to when its teardown does not happen — the
 * plan failed or was stopped, the planned teardown was withdrawn, or its
 * planning was interrupted: the state it was torn down from. A FAILED
 * deployment stays FAILED (it may hold half its resources); APPLIED when
 * unknown (a session planned before this was recorded).
 */
export function stateWithoutTeardown(session: StateFacts): DeploymentState {
  return session.teardownFrom === S.FAILED ? S.FAILED : S.APPLIED;
}

/** What a teardown records as its starting point: kept when a planned teardown is planned again. */
export function teardownStartedFrom(session: StateFacts): DeploymentState {
  return session.state === S.DESTROY_READY ? stateWithoutTeardown(session) : session.state;
}

/**
 * The state a session is cancelled into: a plan stops CANCELLED, a planned
 * or planning teardown returns to its deployment's state, and an apply that
 * no longer runs (its end could not be recorded, or its process is gone)
 * ends FAILED.
 */
export function stateAfterCancel(session: StateFacts): DeploymentState {
  switch (session.state) {
    case S.DESTROY_READY:
    case S.DESTROY_PLANNING:
      return stateWithoutTeardown(session);
    case S.APPROVED:
    case S.APPLYING:
    case S.DESTROYING:
      return S.FAILED;
    default:
      return S.CANCELLED;
  }
}

/**
 * The state a session left busy by a process that is gone is recovered
 * into: an apply or teardown FAILED (terraform's state keeps what it did),
 * a teardown's planning back to its deployment's state, a plan PLAN_FAILED.
 */
export function stateAfterInterruption(session: StateFacts): DeploymentState {
  switch (session.state) {
    case S.APPROVED:
    case S.APPLYING:
    case S.DESTROYING:
      return S.FAILED;
    case S.DESTROY_PLANNING:
      return stateWithoutTeardown(session);
    default:
      return S.PLAN_FAILED;
  }
}

export function canTransition(from: DeploymentState, to: DeploymentState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws INVALID_STATE unless `from → to` is in the table. */
export function assertTransition(sessionId: string, from: DeploymentState, to: DeploymentState): void {
  if (!canTransition(from, to)) {
    const allowed = TRANSITIONS[from];
    throw new CloudEngineError(
      'INVALID_STATE',
      `Session ${sessionId} is ${from} and cannot become ${to}` +
        (allowed.length ? `; from ${from} it can only become ${allowed.join(', ')}.` : `; ${from} is final.`),
      { details: { sessionId, from, to } },
    );
  }
}

export function isDeploymentState(value: unknown): value is DeploymentState {
  // Own keys only: `in` would accept Object.prototype names such as "toString".
  return typeof value === 'string' && Object.hasOwn(TRANSITIONS, value);
}
