import { token } from './token.js';
import type { SessionView } from '../sessions/session-view.js';
import type { PlanJson } from '../terraform/plan-json.js';

/** One reason a session may not go ahead. */
export interface PolicyViolation {
  /** Stable machine code, e.g. `REQUIRED_TAGS`. */
  readonly code: string;
  readonly message: string;
  /** Resource name or Terraform address the violation is about. */
  readonly address?: string;
}

export interface PolicyContext {
  readonly session: SessionView;
  readonly project: { readonly id: string; readonly provider: string; readonly settings: Readonly<Record<string, unknown>> };
  readonly userId: string;
}

/** Checks a session before plan and/or its plan JSON after plan. */
export interface PolicyValidator {
  readonly id: string;
  readonly description: string;
  validateSession?(ctx: PolicyContext): PolicyViolation[] | Promise<PolicyViolation[]>;
  validatePlan?(ctx: PolicyContext & { readonly plan: PlanJson }): PolicyViolation[] | Promise<PolicyViolation[]>;
}
export const PolicyValidator = token<PolicyValidator>('plugin.policy-validator');
