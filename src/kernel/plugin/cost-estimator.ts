import type { ChangeAction, PlanJson } from '../terraform/plan-json.js';

/** What a planned change does to a resource, as priced. */
export type CostAction = 'create' | 'update' | 'delete' | 'replace';

/** The price of one planned resource. */
export interface CostLine {
  readonly address: string;
  /** Terraform resource type, e.g. `aws_instance`. */
  readonly type: string;
  readonly action: CostAction;
  /** Price after the change (0 once deleted), USD. */
  readonly hourly: number;
  /** `hourly × 730`, USD. */
  readonly monthly: number;
  /** Monthly change this plan causes: after − before (negative for a delete). */
  readonly monthlyDelta: number;
  /** What the figure assumes (instance type and region, GB stored, …). */
  readonly assumption: string;
}

/** A planned resource that could not be priced, and why: never a silent $0. */
export interface UnpricedResource {
  readonly address: string;
  readonly reason: string;
}

export interface CostEstimate {
  readonly lines: CostLine[];
  readonly unpriced: UnpricedResource[];
}

/**
 * Prices the resources of a plan JSON, the way Infracost reads it. Return a
 * line for each resource you price and an unpriced entry for each you
 * recognise but cannot price; leave the rest to other estimators.
 */
export interface CostEstimator {
  readonly id: string;
  estimate(ctx: {
    readonly plan: PlanJson;
    readonly project: { readonly id: string; readonly provider: string; readonly settings: Readonly<Record<string, unknown>> };
  }): CostEstimate | Promise<CostEstimate>;
}

/** Declares a cost estimator; `estimate`'s context and result are typed (plain JavaScript included). */
export function defineCostEstimator(definition: CostEstimator): CostEstimator {
  return definition;
}

/**
 * What a planned change's actions mean for its price: `replace` for a
 * delete-and-create, else create, delete or update; undefined for no-op,
 * read and forget, which change nothing billed (skip those changes).
 */
export function costAction(actions: readonly ChangeAction[]): CostAction | undefined {
  const creates = actions.includes('create');
  const deletes = actions.includes('delete');
  if (creates && deletes) return 'replace';
  if (creates) return 'create';
  if (deletes) return 'delete';
  if (actions.includes('update')) return 'update';
  return undefined;
}
