import type { PlanPolicyContext, PolicyContext, PolicyValidator, PolicyViolation } from '../../../../src/kernel/plugin/policy-validator.js';
import type { PlanCost, SessionResource, SessionView } from '../../../../src/kernel/sessions/session-view.js';
import type { ChangeAction, PlanJson, ResourceChange } from '../../../../src/kernel/terraform/plan-json.js';
import { parseInput } from '../../../../src/kernel/validation.js';

export const PROJECT_ID = 'demo';

/** One session resource, as the kernel stores it after validating its config. */
export function resource(type: string, name: string, config: Record<string, unknown> = {}): SessionResource {
  return { type, name, config, quotaKey: 'compute_vm', createdBy: 'alice' };
}

/** One planned change; `after` defaults to an empty object for creates and updates, null for deletes. */
export function change(address: string, actions: ChangeAction[], after?: Record<string, unknown> | null, extra: Partial<ResourceChange['change']> = {}): ResourceChange {
  const [type, ...rest] = address.split('.');
  return {
    address,
    mode: 'managed',
    type: type!,
    name: rest.join('.'),
    provider_name: 'registry.terraform.io/hashicorp/test',
    change: { actions, before: null, after: after === undefined ? (actions.includes('create') || actions.includes('update') ? {} : null) : after, ...extra },
  };
}

function session(resources: readonly SessionResource[]): SessionView {
  const now = new Date(0);
  return {
    id: 'sess1',
    projectId: PROJECT_ID,
    deploymentId: 'dep1',
    deploymentName: 'web',
    provider: 'aws',
    userId: 'alice',
    state: 'VALIDATING',
    resources,
    plan: null,
    error: null,
    outputs: null,
    lastChangedBy: null,
    approvedBy: null,
    approvals: { required: 1, given: [], approvers: 'deploy', cleared: 0, expired: 0 },
    workingDir: '/tmp/sess1',
    queuePosition: null,
    createdAt: now,
    updatedAt: now,
  };
}

export interface ContextOptions {
  resources?: readonly SessionResource[];
  projectSettings?: Record<string, unknown>;
  provider?: string;
}

/** A pre-plan context with this validator's settings already parsed. */
export function sessionContext<S>(settings: S | undefined, options: ContextOptions = {}): PolicyContext<S> {
  return {
    session: session(options.resources ?? []),
    project: { id: PROJECT_ID, provider: options.provider ?? 'aws', settings: options.projectSettings ?? {} },
    userId: 'alice',
    settings,
  };
}

export interface PlanOptions extends ContextOptions {
  changes?: ResourceChange[];
  operation?: 'apply' | 'destroy';
  requestedDeletes?: string[];
  cost?: PlanCost;
  projectMonthlySpend?: number;
}

/** A post-plan context around a plan made of `changes`. */
export function planContext<S>(settings: S | undefined, options: PlanOptions = {}): PlanPolicyContext<S> {
  const plan: PlanJson = { format_version: '1.2', terraform_version: '1.11.4', resource_changes: options.changes ?? [] };
  return {
    ...sessionContext(settings, options),
    plan,
    cost: options.cost,
    projectMonthlySpend: options.projectMonthlySpend ?? 0,
    operation: options.operation ?? 'apply',
    requestedDeletes: options.requestedDeletes ?? [],
  };
}

/** A plan cost with the given monthly figures; hourly follows. */
export function planCost(monthly: number, monthlyDelta = monthly, unpriced: PlanCost['unpriced'] = []): PlanCost {
  return { currency: 'USD', hourly: monthly / 730, monthly, monthlyDelta, lines: [], unpriced };
}

/** Parses settings the way project creation does, so failures carry the `settings.policies.<id>` path. */
export function parseSettings<S>(validator: PolicyValidator<S>, value: unknown): S | undefined {
  return parseInput(validator.settingsSchema!, value, `settings.policies.${validator.id}`);
}

/** Runs the pre-plan check, which every validator here implements or not at all. */
export async function checkSession<S>(validator: PolicyValidator<S>, ctx: PolicyContext<S>): Promise<PolicyViolation[]> {
  return validator.validateSession ? validator.validateSession(ctx) : [];
}

export async function checkPlan<S>(validator: PolicyValidator<S>, ctx: PlanPolicyContext<S>): Promise<PolicyViolation[]> {
  return validator.validatePlan ? validator.validatePlan(ctx) : [];
}

/** The error project creation would report for these settings. */
export function settingsError(validator: PolicyValidator, value: unknown): { code: string; field?: string; message: string } {
  try {
    parseSettings(validator, value);
  } catch (error) {
    return error as { code: string; field?: string; message: string };
  }
  throw new Error(`expected settings ${JSON.stringify(value)} to be rejected`);
}
