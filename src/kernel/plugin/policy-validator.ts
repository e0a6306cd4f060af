import type { z } from 'zod';
import type { PlanCost, SessionView } from '../sessions/session-view.js';
import type { PlanJson } from '../terraform/plan-json.js';

/** One reason a session may not go ahead. */
export interface PolicyViolation {
  /** Stable machine code, e.g. `REQUIRED_TAGS`. */
  readonly code: string;
  readonly message: string;
  /** Resource name or Terraform address the violation is about. */
  readonly address?: string;
}

export interface PolicyContext<S = unknown> {
  readonly session: SessionView;
  readonly project: { readonly id: string; readonly provider: string; readonly settings: Readonly<Record<string, unknown>> };
  readonly userId: string;
  /** This validator's settings from the project's `settings.policies[<id>]`, parsed by its schema. */
  readonly settings: S | undefined;
}

export interface PlanPolicyContext<S = unknown> extends PolicyContext<S> {
  readonly plan: PlanJson;
  /** `destroy` for a deliberate teardown (`destroySession`), `apply` otherwise. */
  readonly operation: 'apply' | 'destroy';
  /**
   * Addresses the plan deletes because the user removed their resources
   * from the deployment in this change: destroys that were asked for.
   */
  readonly requestedDeletes: readonly string[];
  /** The plan's cost, when a cost estimator is loaded. */
  readonly cost?: PlanCost;
  /** Monthly cost of the project's APPLIED sessions (priced lines only), USD. */
  readonly projectMonthlySpend: number;
}

/**
 * Checks a session before plan and/or its plan JSON after plan. Return every
 * violation; an empty list lets the session through.
 */
export interface PolicyValidator<S = any> {
  readonly id: string;
  readonly description: string;
  /**
   * Schema of this validator's project settings, at `settings.policies[<id>]`;
   * validated when a project is created.
   */
  readonly settingsSchema?: z.ZodType<S | undefined>;
  validateSession?(ctx: PolicyContext<S>): PolicyViolation[] | Promise<PolicyViolation[]>;
  validatePlan?(ctx: PlanPolicyContext<S>): PolicyViolation[] | Promise<PolicyViolation[]>;
}

/**
 * Declares a policy validator with its settings type inferred from
 * `settingsSchema` (make it `.optional()`: a project that does not configure
 * the policy gets `settings === undefined`).
 */
export function definePolicy<S extends z.ZodType>(
  definition: Omit<PolicyValidator<z.output<S>>, 'settingsSchema'> & { readonly settingsSchema: S },
): PolicyValidator<z.output<S>>;
/** Declares a policy validator without settings. */
export function definePolicy(definition: Omit<PolicyValidator<undefined>, 'settingsSchema'> & { readonly settingsSchema?: undefined }): PolicyValidator<undefined>;
export function definePolicy(definition: PolicyValidator): PolicyValidator {
  return definition;
}
