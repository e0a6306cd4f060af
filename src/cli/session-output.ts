import { formatCost } from '../kernel/sessions/cost.js';
import type { DeploymentView } from '../kernel/deployments/deployment-service.js';
import type { Redactor } from '../kernel/secrets/redactor.js';
import type { PlanCost, PlanSummary, SessionView } from '../kernel/sessions/session-view.js';

/** A plan as `--json` prints it: everything but the raw plan JSON and file paths. */
export interface PlanOutput {
  /** What `cloud-engine approve --plan` takes, so only this plan is applied. */
  id: string;
  summary: string;
  toAdd: number;
  toChange: number;
  toDestroy: number;
  changes: { address: string; type: string; actions: string[] }[];
  /** null when no cost estimator is loaded. */
  cost: (PlanCost & { text: string }) | null;
}

export function planOutput(plan: PlanSummary): PlanOutput {
  return {
    id: plan.id,
    summary: plan.summary,
    toAdd: plan.toAdd,
    toChange: plan.toChange,
    toDestroy: plan.toDestroy,
    changes: plan.changes.map((change) => ({ address: change.address, type: change.type, actions: [...change.actions] })),
    cost: plan.cost ? { ...plan.cost, text: formatCost(plan.cost) } : null,
  };
}

/** Which deployment a result is about, as `--json` prints it. */
export function deploymentRef(deployment: DeploymentView): { id: string; name: string; projectId: string; state: string; version: number } {
  return { id: deployment.id, name: deployment.name, projectId: deployment.projectId, state: deployment.state, version: deployment.version };
}

/** A deployment as `deployments --json` prints it; configs pass the redactor (secret fields already read "(secret)"). */
export function deploymentJson(deployment: DeploymentView, redactor: Redactor): Record<string, unknown> {
  return {
    ...deploymentRef(deployment),
    provider: deployment.provider,
    resources: deployment.resources.map((resource) => ({ name: resource.name, type: resource.type, config: redactor.redactDeep(resource.config) })),
    outputs: deployment.outputs === null ? null : redactor.redactDeep(deployment.outputs),
    monthlyCost: deployment.monthlyCost,
    openSessionId: deployment.openSessionId,
    expiresAt: deployment.expiresAt?.toISOString() ?? null,
    expiryFailure: deployment.expiryFailure && { ...deployment.expiryFailure, retryAt: deployment.expiryFailure.retryAt.toISOString() },
    sessions: [...deployment.sessions],
    createdAt: deployment.createdAt.toISOString(),
    updatedAt: deployment.updatedAt.toISOString(),
  };
}

/** "$12.34/month", or "-" when nothing of it was priced. */
export function monthlyText(monthlyCost: number | null): string {
  return monthlyCost === null ? '-' : `$${monthlyCost.toFixed(2)}/month`;
}

/** A session as `--json` prints it. */
export function sessionJson(session: SessionView): Record<string, unknown> {
  return {
    id: session.id,
    projectId: session.projectId,
    deploymentId: session.deploymentId,
    deploymentName: session.deploymentName,
    provider: session.provider,
    userId: session.userId,
    state: session.state,
    resources: session.resources.map((resource) => ({ name: resource.name, type: resource.type })),
    plan: session.plan ? planOutput(session.plan) : null,
    error: session.error,
    outputs: session.outputs,
    approvedBy: session.approvedBy,
    approvals: { required: session.approvals.required, given: session.approvals.given.map((approval) => ({ userId: approval.userId, at: approval.at.toISOString() })) },
    createdAt: session.createdAt.toISOString(),
    updatedAt: session.updatedAt.toISOString(),
  };
}

/** The lines a person reads after a plan: summary, cost, changes. */
export function planLines(plan: PlanSummary): string[] {
  const lines = [plan.summary];
  if (plan.cost) {
    const delta = plan.cost.monthlyDelta;
    const change = delta === 0 ? '' : ` (${delta > 0 ? '+' : '-'}$${Math.abs(delta).toFixed(2)}/month)`;
    lines.push(`Cost: ${formatCost(plan.cost)}${change}`);
    for (const item of plan.cost.unpriced) lines.push(`  not priced: ${item.address} — ${item.reason}`);
  } else {
    lines.push('Cost: not estimated (no cost estimator loaded)');
  }
  if (plan.changes.length > 0) {
    lines.push('Changes:');
    for (const change of plan.changes) lines.push(`  ${actionSymbol(change.actions)} ${change.address} (${change.actions.join(', ')})`);
  }
  return lines;
}

/** The lines after an apply: final state, the reason when it failed, outputs. */
export function finalLines(session: SessionView): string[] {
  const lines = [`Session ${session.id} ${session.state}${session.error ? `: ${session.error}` : ''}`];
  const outputs = Object.entries(session.outputs ?? {});
  if (outputs.length > 0) {
    lines.push('Outputs:');
    for (const [name, value] of outputs) lines.push(`  ${name}: ${JSON.stringify(value)}`);
  }
  return lines;
}

function actionSymbol(actions: readonly string[]): string {
  if (actions.includes('create') && actions.includes('delete')) return '-/+';
  if (actions.includes('create')) return '+';
  if (actions.includes('delete')) return '-';
  return '~';
}
