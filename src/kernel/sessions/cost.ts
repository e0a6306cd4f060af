import type { CostEstimate, CostEstimator, CostLine, UnpricedResource } from '../plugin/cost-estimator.js';
import type { PlanJson } from '../terraform/plan-json.js';
import type { PlanCost } from './session-view.js';

/** Hours in a month, as cloud price lists count them. */
export const HOURS_PER_MONTH = 730;

/**
 * Combines estimators: for each planned resource the first estimator that
 * prices it wins; a resource nobody prices is listed as unpriced, with every
 * estimator's reason, never counted as $0.
 */
export async function estimateCost(
  plan: PlanJson,
  estimators: readonly CostEstimator[],
  run: (estimator: CostEstimator) => Promise<CostEstimate>,
): Promise<PlanCost> {
  const priced = new Map<string, CostLine>();
  const reasons = new Map<string, string[]>();
  for (const estimator of estimators) {
    const estimate = await run(estimator);
    for (const line of estimate.lines) if (!priced.has(line.address)) priced.set(line.address, line);
    for (const item of estimate.unpriced) reasons.set(item.address, [...(reasons.get(item.address) ?? []), item.reason]);
  }
  const lines = [...priced.values()];
  // A planned resource no estimator mentioned is unpriced too: silence is not $0.
  for (const change of plan.resource_changes ?? []) {
    const planned = change.change.actions.some((action) => action === 'create' || action === 'update' || action === 'delete');
    if (planned && change.mode !== 'data' && !priced.has(change.address) && !reasons.has(change.address)) {
      reasons.set(change.address, [`no loaded cost estimator prices ${change.type}`]);
    }
  }
  const unpriced: UnpricedResource[] = [...reasons.entries()]
    .filter(([address]) => !priced.has(address))
    .map(([address, why]) => ({ address, reason: why.join('; ') }));
  const hourly = round(lines.reduce((sum, line) => sum + line.hourly, 0));
  const monthly = round(lines.reduce((sum, line) => sum + line.monthly, 0));
  const monthlyDelta = round(lines.reduce((sum, line) => sum + line.monthlyDelta, 0));
  return { currency: 'USD', hourly, monthly, monthlyDelta, lines, unpriced };
}

/** "$3.50/hour | $105.00/month" */
export function formatCost(cost: Pick<PlanCost, 'hourly' | 'monthly'>): string {
  return `$${cost.hourly.toFixed(2)}/hour | $${cost.monthly.toFixed(2)}/month`;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
