import type { PolicyViolation } from '../plugin/policy-validator.js';
import type { ProviderPoolMetrics } from '../terraform/provider-pool.js';
import type { DeploymentState } from './deployment-state.js';

/** Limits that keep one session from exhausting the machine or flooding chat. */
export const LIMITS = {
  resourcesPerSession: 200,
  configBytes: 64 * 1024,
} as const;

/** A resource as a user adds it: its type, its name in the session, and its config. */
export interface ResourceInput {
  type: string;
  name: string;
  config?: Record<string, unknown>;
}

export interface RunOptions {
  /** Receives every human-readable line terraform prints, in order, as it happens. */
  onOutput?: (line: string) => void;
}

/** Options of an approval: the plan the approver saw, and where the apply's lines go. */
export interface ApproveOptions extends RunOptions {
  /**
   * The id of the plan the approver was shown. When given and no longer the
   * session's current plan, the approval is refused (PLAN_STALE) saying what
   * changed. Without it, the current plan is approved.
   */
  planId?: string;
}

/** What `validateSession` found: every problem a plan would be refused for now. */
export interface ValidationResult {
  readonly ok: boolean;
  readonly violations: readonly PolicyViolation[];
}

/** Which sessions `listSessions` returns. */
export interface SessionFilter {
  userId?: string;
  projectId?: string;
  states?: readonly DeploymentState[];
  limit?: number;
}

/** Counts across every project, and this process's terraform work. */
export interface EngineStats {
  readonly sessions: number;
  readonly byState: Readonly<Record<string, number>>;
  readonly byProject: Readonly<Record<string, number>>;
  readonly resourcesApplied: number;
  readonly plans: number;
  /** This process's terraform work right now, and its provider pool (null when the pool is off). */
  readonly terraform: {
    readonly running: number;
    readonly queued: number;
    readonly cap: number;
    readonly pool: (ProviderPoolMetrics & { readonly processes: number; readonly idle: number }) | null;
  };
  /** The PostgreSQL job queue, every process's: jobs waiting for a worker and running on one; null when terraform runs in-process. */
  readonly jobs?: { readonly waiting: number; readonly running: number } | null;
}
