import type { CostLine } from '../../kernel/plugin/cost-estimator.js';
import type { SessionView } from '../../kernel/sessions/session-view.js';

/** What one resource of a deployment costs a month, from the latest priced change of each of its addresses. */
export interface ResourceCost {
  readonly resource: string;
  /** Sum of its addresses' monthly prices (USD); null when none of them was priced. */
  readonly monthly: number | null;
  /** The lines it is made of, each from the newest applied plan that changed that address. */
  readonly lines: readonly (CostLine & { readonly sessionId: string })[];
  /** Why addresses of it could not be priced (an estimator's reason). */
  readonly unpriced: readonly string[];
}

/**
 * Cost per resource of a deployment: its applied changes are walked newest
 * first (`sessions` as the deployment lists them) back to its last teardown;
 * for each Terraform address the newest plan that priced it (or said why it
 * could not) wins, and the address's line goes to the resource whose
 * synthesis made it (the plan's changes name it). A deleted address counts
 * no more; a resource no applied plan mentions is shown unpriced.
 */
export function resourceCosts(resources: readonly { readonly name: string }[], sessions: readonly SessionView[]): ResourceCost[] {
  const seen = new Set<string>();
  const lines = new Map<string, (CostLine & { sessionId: string })[]>();
  const unpriced = new Map<string, string[]>();
  for (const session of sessions) {
    if (session.state === 'DESTROYED') break;
    if (session.state !== 'APPLIED' || !session.plan?.cost) continue;
    const owners = new Map(session.plan.changes.map((change) => [change.address, change.resource]));
    for (const line of session.plan.cost.lines) {
      if (seen.has(line.address)) continue;
      seen.add(line.address);
      const owner = owners.get(line.address);
      if (owner === undefined || line.action === 'delete') continue;
      lines.set(owner, [...(lines.get(owner) ?? []), { ...line, sessionId: session.id }]);
    }
    for (const item of session.plan.cost.unpriced) {
      if (seen.has(item.address)) continue;
      seen.add(item.address);
      const owner = owners.get(item.address);
      if (owner !== undefined) unpriced.set(owner, [...(unpriced.get(owner) ?? []), `${item.address}: ${item.reason}`]);
    }
  }
  return resources.map(({ name }) => {
    const own = lines.get(name) ?? [];
    const monthly = own.length ? Math.round(own.reduce((sum, line) => sum + line.monthly, 0) * 100) / 100 : null;
    return { resource: name, monthly, lines: own, unpriced: unpriced.get(name) ?? [] };
  });
}

/** How many of a deployment's changes the cost walk reads at most. */
export const COST_HISTORY = 200;
