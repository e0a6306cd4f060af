import type { SystemReason } from '../lifecycle/system-actor.js';

/** The terraform work a front hands to workers: planning a change or a teardown, applying, checking drift. */
export type JobKind = 'plan' | 'destroy-plan' | 'apply' | 'drift';

/** What a job names; everything else is read from the database by the worker. */
export interface JobArgs {
  readonly userId: string;
  readonly sessionId?: string;
  readonly deploymentId?: string;
  /** apply: the plan the approver was shown. */
  readonly planId?: string;
  /** drift: queued behind everything someone waits for. */
  readonly background?: boolean;
  /** Set when the system actor (`cloud-engine`) asked, and why: the worker acts in the same scope. */
  readonly system?: SystemReason;
}

/** How a job ended, as its worker reports it: nothing to say, or the error a caller would have got in-process. */
export type JobOutcome = { readonly ok: true } | { readonly error: { readonly code: string; readonly message: string; readonly field?: string; readonly details?: unknown } };

/** Approved applies go first, then plans, then background drift checks (higher runs earlier). */
export const JOB_PRIORITY: Readonly<Record<JobKind, number>> = { apply: 20, plan: 10, 'destroy-plan': 10, drift: 0 };

/**
 * How often a job is tried when its worker dies or fails unexpectedly: a plan
 * again (it changes nothing), an apply never (it may have changed things).
 */
export const JOB_RETRIES: Readonly<Record<JobKind, number>> = { apply: 0, plan: 1, 'destroy-plan': 1, drift: 1 };
