import { token } from './token.js';
import type { PlanJson } from '../terraform/plan-json.js';

/** The price of one planned resource. */
export interface CostLine {
  readonly address: string;
  readonly hourly: number;
  readonly monthly: number;
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

/** Prices the resources of a plan JSON, the way Infracost reads it. */
export interface CostEstimator {
  readonly id: string;
  estimate(ctx: {
    readonly plan: PlanJson;
    readonly project: { readonly id: string; readonly provider: string; readonly settings: Readonly<Record<string, unknown>> };
  }): CostEstimate | Promise<CostEstimate>;
}
export const CostEstimator = token<CostEstimator>('plugin.cost-estimator');
