import { CloudEngineError, dataDirFailure, isCloudEngineError, planStale, wrongState } from '../errors.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { PolicyViolation } from '../plugin/policy-validator.js';
import { TerraformError } from '../terraform/terraform-runner.js';
import { DONE_STATES, EDITABLE_STATES } from './deployment-state.js';

/** The errors the session flows raise, one wording each. */
export const SessionErrors = {
  /** INVALID_STATE: resources can only change while the session is editable. */
  notEditable(session: CloudSessionEntity): CloudEngineError {
    return wrongState(
      `Session ${session.id} is ${session.state}; resources can only change in ${EDITABLE_STATES.join(', ')}.` +
        (DONE_STATES.includes(session.state) ? ' Start a new session.' : ' Wait for the current operation to finish.'),
      session.state,
    );
  },

  /** INVALID_STATE: nothing to plan yet. */
  noResources(session: CloudSessionEntity): CloudEngineError {
    return wrongState(`Session ${session.id} has no resources yet; add at least one, then plan.`, session.state);
  },

  /** INVALID_STATE: only a ready plan can be approved. */
  notApprovable(session: CloudSessionEntity): CloudEngineError {
    return wrongState(
      `Session ${session.id} is ${session.state}; only a session with a ready plan (PLAN_READY, or DESTROY_READY for a teardown) can be approved. Run a plan first.`,
      session.state,
    );
  },

  /** INVALID_STATE: the flow is over, nothing to cancel. */
  nothingToCancel(session: CloudSessionEntity): CloudEngineError {
    return wrongState(`Session ${session.id} is already ${session.state}; there is nothing to cancel.`, session.state);
  },

  /** LOCKED: another live process runs the session's operation. */
  busyElsewhere(session: CloudSessionEntity): CloudEngineError {
    return new CloudEngineError('LOCKED', `Session ${session.id} is ${session.state}, run by another process (${session.operationOwner}). Cancel it there, or wait for it to finish.`, {
      details: { owner: session.operationOwner, state: session.state },
    });
  },

  /** PLAN_STALE: the current plan's record is gone. */
  planMissing(session: CloudSessionEntity): CloudEngineError {
    return planStale('plan-missing', `The plan of session ${session.id} is gone. Run the plan again and approve the new one.`, { planId: session.currentPlanId });
  },

  /** PLAN_STALE: the resources no longer synthesize to what was planned. */
  configChanged(sessionId: string, planId: string, plannedHash: string, currentHash: string): CloudEngineError {
    return planStale(
      'config-changed',
      `The plan of session ${sessionId} no longer matches its configuration (planned ${plannedHash.slice(0, 12)}, now ${currentHash.slice(0, 12)}), so it will not be applied. Run the plan again and approve the new one.`,
      { planId, plannedHash, currentHash },
    );
  },

  /** PLAN_STALE: the saved plan file is gone from the working dir. */
  planFileMissing(sessionId: string, planId: string, planFile: string): CloudEngineError {
    return planStale('plan-file-missing', `The saved plan file of session ${sessionId} is gone (${planFile}). Run the plan again and approve the new one.`, { planId });
  },

  /** POLICY_VIOLATION or QUOTA_EXCEEDED listing every problem, and the way out. */
  violations(sessionId: string, violations: readonly PolicyViolation[], when: string, what = 'planned'): CloudEngineError {
    const lines = violations.map((violation) => `- ${violation.address ? `${violation.address}: ` : ''}${violation.message} [${violation.code}]`);
    const code = violations.some((violation) => violation.code === 'QUOTA_EXCEEDED') ? 'QUOTA_EXCEEDED' : 'POLICY_VIOLATION';
    const fix = code === 'QUOTA_EXCEEDED' ? 'Remove resources or ask a project admin to raise the quota.' : 'Change the resources, or ask a project admin about the policy.';
    return new CloudEngineError(code, `Session ${sessionId} cannot be ${what}; ${violations.length} problem${violations.length > 1 ? 's' : ''} ${when}:\n${lines.join('\n')}\n${fix}`, {
      details: { violations },
    });
  },

  /**
   * What a plan's failure tells the user: our own errors as they are,
   * terraform's as TERRAFORM_FAILED, a refused write to the data dir
   * explained, anything else INTERNAL.
   */
  fromPlanFailure(sessionId: string, error: unknown): CloudEngineError {
    if (isCloudEngineError(error)) return error;
    if (error instanceof TerraformError) {
      return new CloudEngineError('TERRAFORM_FAILED', `${error.message}`, {
        cause: error,
        details: { command: error.command, exitCode: error.exitCode, timedOut: error.timedOut },
      });
    }
    // Database failures arrive already explained (persistence/database.ts); these are the working dir's.
    const doing = `Planning session ${sessionId}`;
    return (
      dataDirFailure(doing, error, 'plan again') ??
      new CloudEngineError('INTERNAL', `${doing} failed unexpectedly: ${(error as Error)?.message ?? String(error)}.`, { cause: error })
    );
  },
} as const;

/** The reason an aborted operation was given. */
export function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason ?? 'cancelled');
}
