import { CloudEngineError } from '../errors.js';

/** The ten states of a deployment session. */
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
  [S.APPLIED]: [],
  [S.FAILED]: [],
  [S.CANCELLED]: [],
};

/** States in which the user may still change the session's resources. */
export const EDITABLE_STATES: readonly DeploymentState[] = [S.DRAFT, S.PLAN_READY, S.PLAN_FAILED];
/** States a session never leaves. */
export const FINAL_STATES: readonly DeploymentState[] = [S.APPLIED, S.FAILED, S.CANCELLED];
/** States in which a terraform process may be running for the session. */
export const BUSY_STATES: readonly DeploymentState[] = [S.VALIDATING, S.PLANNING, S.APPROVED, S.APPLYING];

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
