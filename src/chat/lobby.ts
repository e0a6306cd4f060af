import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import { shownConfig } from '../kernel/secrets/secret-fields.js';
import { capLine } from '../kernel/terraform/terraform-events.js';
import { formatCost } from '../kernel/sessions/cost.js';
import type { DeploymentState } from '../kernel/sessions/deployment-state.js';
import type { SessionView } from '../kernel/sessions/session-view.js';
import { renderQuotaBar } from '../kernel/quotas/quota-bar.js';
import { quotaCounts } from '../kernel/quotas/quota-service.js';
import { expiryText } from './expiry.js';
import { driftStatusText } from './drift.js';

/** Everything a lobby shows, computed once for every adapter. */
export interface LobbyModel {
  readonly sessionId: string;
  /** The deployment this session is a change of. */
  readonly deploymentId: string;
  readonly deploymentName: string;
  readonly projectId: string;
  readonly provider: string;
  readonly owner: string;
  readonly state: DeploymentState;
  readonly stateLabel: string;
  /** Waiting for a terraform slot: place in the queue. */
  readonly queuePosition: number | null;
  /**
   * `parts`: the Terraform addresses of a resource's planned changes when it
   * has several (a blueprint's VPC, subnet, VM, …), from the current plan; absent otherwise.
   */
  readonly resources: readonly { readonly name: string; readonly type: string; readonly detail: string; readonly parts?: readonly string[] }[];
  /**
   * The plan shown, with its id: an approval carries it, so only this plan can be applied.
   * Each change reads "<symbol> <address> (<action>)" — update in place, replace, destroy — or "+ <address>" to create.
   */
  readonly plan: { readonly id: string; readonly summary: string; readonly changes: readonly string[] } | null;
  /** The plan's cost after the change, and what the change adds or saves a month ("+$7.30/month", "−$7.30/month"). */
  readonly cost: { readonly text: string; readonly delta: string; readonly unpriced: readonly string[] } | null;
  readonly quotas: readonly { readonly quotaKey: string; readonly bar: string }[];
  /** Reasons the last plan failed, one per line. */
  readonly problems: readonly string[];
  readonly outputs: Readonly<Record<string, unknown>> | null;
  /** When the deployment expires (null: never), and that as text: "expires in 3 h 20 min". */
  readonly expiresAt: Date | null;
  readonly expiry: string | null;
  /** The deployment's last drift check as text ("drift: none (checked 2 h ago)"); null before the first. */
  readonly drift: string | null;
  /** The plan's approvals (`settings.approval`): shown when it needs more than one, or one was given or voided; null otherwise. */
  readonly approvals: LobbyApprovals | null;
  readonly actions: LobbyActions;
}

/** Where a plan's approvals stand, for the lobby: "Approvals 1/2: alice", who may still approve, what a change cleared. */
export interface LobbyApprovals {
  readonly required: number;
  /** Who approved the current plan (user ids), oldest first. */
  readonly given: readonly string[];
  /** While the plan waits: how many more, from whom ("deploy-level members", "project admins", or the listed ids not yet in). */
  readonly waiting: { readonly more: number; readonly from: 'deploy' | 'admin' | readonly string[] } | null;
  /** A change of the session voided the approvals of its earlier plan. */
  readonly cleared: boolean;
  /** Approvals of this plan too old to count (`expiresAfter`). */
  readonly expired: number;
}

/** Which of the lobby's buttons work now. */
export interface LobbyActions {
  readonly approve: boolean;
  readonly add: boolean;
  /** Edit Resource and Remove Resource: an editable session with resources. */
  readonly edit: boolean;
  readonly remove: boolean;
  readonly refresh: boolean;
  readonly cancel: boolean;
  /** Change: open a new change of the deployment (once this one is applied, or failed). */
  readonly change: boolean;
  /** Destroy: plan the deployment's teardown as a change of its own. */
  readonly destroy: boolean;
  /** Withdraw approval: someone approved the plan that waits for more (each withdraws only their own). */
  readonly withdraw: boolean;
}

export const STATE_LABELS: Readonly<Record<DeploymentState, string>> = {
  DRAFT: '📝 Draft — add resources to plan',
  VALIDATING: '🔍 Validating…',
  PLANNING: '⏳ Planning…',
  PLAN_READY: '✅ Plan ready — waiting for approval',
  PLAN_FAILED: '❌ Plan failed',
  APPROVED: '👍 Approved — starting apply',
  APPLYING: '🚀 Applying…',
  APPLIED: '🎉 Applied',
  FAILED: '💥 Failed',
  CANCELLED: '🚫 Cancelled',
  DESTROY_PLANNING: '⏳ Planning the teardown…',
  DESTROY_READY: '🧨 Teardown planned — waiting for approval',
  DESTROYING: '🧨 Destroying…',
  DESTROYED: '🗑️ Destroyed',
};

/**
 * Terraform's actions of a planned change (`resource_changes[].change.actions`) as a diff
 * symbol and words. A creation is the plain "+": what a first plan is all made of.
 */
export const PLAN_ACTIONS: Readonly<Record<string, { readonly symbol: string; readonly words?: string }>> = {
  create: { symbol: '+' },
  delete: { symbol: '-', words: 'destroy' },
  update: { symbol: '~', words: 'update in place' },
  // Both orders are a replacement: destroy first (the default), or create the new one first (create_before_destroy).
  'delete,create': { symbol: '-/+', words: 'replace' },
  'create,delete': { symbol: '+/-', words: 'replace, new one first' },
  read: { symbol: '<=', words: 'read' },
};

/** One planned change as a lobby line: "+ terraform_data.web", "-/+ terraform_data.web (replace)". */
export function changeLine(actions: readonly string[], address: string): string {
  const known = PLAN_ACTIONS[actions.join(',')];
  if (!known) return `${actions.join('/')} ${address}`;
  return known.words ? `${known.symbol} ${address} (${known.words})` : `${known.symbol} ${address}`;
}

/** A monthly cost change as people read it: "+$7.30/month", "−$7.30/month", "±$0.00/month". */
export function formatDelta(monthlyDelta: number): string {
  const amount = `$${Math.abs(monthlyDelta).toFixed(2)}/month`;
  if (amount === '$0.00/month') return `±${amount}`;
  return monthlyDelta > 0 ? `+${amount}` : `−${amount}`;
}

/**
 * Builds the lobby of a session: state, resources, plan line, cost, quota
 * bars, problems, and which buttons work. Everything from the session passes
 * the kernel's redactor, and secret fields read "(secret)": a lobby is shown
 * to the whole channel.
 */
export async function buildLobby(api: ChatApi, session: SessionView): Promise<LobbyModel> {
  const { redactor } = api;
  const redact = (text: string) => redactor.redact(text);
  const [usage, deployment] = await Promise.all([api.quotas.usage(session.projectId), api.deployments.get(session.deploymentId).catch(() => undefined)]);
  const expiresAt = deployment?.expiresAt ?? null;
  const keys = new Set(session.resources.flatMap((resource) => quotaKeysOf(api, resource)));
  const quotas = usage
    .filter((row) => row.limit !== null && (keys.has(row.quotaKey) || row.used + row.reserved > 0))
    .map((row) => ({ quotaKey: row.quotaKey, bar: renderQuotaBar(row.used + row.reserved, row.limit!) }));
  const plan = session.plan;
  const editable = session.state === 'DRAFT' || session.state === 'PLAN_READY' || session.state === 'PLAN_FAILED';
  const done = session.state === 'APPLIED' || session.state === 'FAILED';
  return {
    sessionId: session.id,
    deploymentId: session.deploymentId,
    deploymentName: session.deploymentName,
    projectId: session.projectId,
    provider: session.provider,
    owner: session.userId,
    state: session.state,
    stateLabel: session.queuePosition ? `${STATE_LABELS[session.state]} (waiting for terraform: #${session.queuePosition} in the queue)` : STATE_LABELS[session.state],
    queuePosition: session.queuePosition,
    resources: session.resources.map((resource) => {
      const parts = (plan?.changes ?? []).filter((change) => change.resource === resource.name).map((change) => redact(change.address));
      return {
        name: resource.name,
        type: resource.type,
        detail: describeConfig(shownConfig(resource.config, api.resourceType(resource.type), redactor)),
        ...(parts.length > 1 ? { parts } : {}),
      };
    }),
    plan: plan
      ? { id: plan.id, summary: redact(plan.summary), changes: plan.changes.map((change) => redact(changeLine(change.actions, change.address))) }
      : null,
    cost: plan?.cost
      ? { text: formatCost(plan.cost), delta: formatDelta(plan.cost.monthlyDelta), unpriced: plan.cost.unpriced.map((item) => redact(`${item.address}: ${item.reason}`)) }
      : null,
    quotas,
    problems:
      session.state === 'PLAN_FAILED' || session.state === 'FAILED'
        ? (session.error ?? '')
            .split('\n')
            .filter((line) => line.trim() !== '')
            // Line by line as a stream is, so a private key over several lines is hidden whole.
            .map(redactor.lines())
            .map(capLine)
        : [],
    outputs: session.outputs && redactor.redactDeep(session.outputs),
    expiresAt,
    expiry: expiryText(expiresAt, api.lifecycle.now()),
    drift: driftStatusText(deployment?.drift ?? null, api.lifecycle.now()),
    approvals: lobbyApprovals(session),
    actions: {
      approve: session.state === 'PLAN_READY' || session.state === 'DESTROY_READY',
      add: editable,
      edit: editable && session.resources.length > 0,
      remove: editable && session.resources.length > 0,
      refresh: true,
      cancel: editable || session.state === 'VALIDATING' || session.state === 'PLANNING' || session.state === 'APPLYING',
      change: done,
      // An applied teardown leaves nothing to destroy; a failed apply may have left anything.
      destroy: (session.state === 'APPLIED' && session.resources.length > 0) || session.state === 'FAILED',
      withdraw: (session.state === 'PLAN_READY' || session.state === 'DESTROY_READY') && (session.approvals?.given.length ?? 0) > 0,
    },
  };
}

/** The lobby as plain text lines (console, logs, thread summaries). */
export function renderLobbyText(lobby: LobbyModel): string[] {
  const lines = [
    `── Session ${lobby.sessionId} · deployment ${lobby.deploymentName} · project ${lobby.projectId} (${lobby.provider}) · owner ${lobby.owner}`,
    `State: ${lobby.stateLabel}`,
  ];
  if (lobby.expiry) lines.push(`TTL: ${lobby.expiry}`);
  if (lobby.drift) lines.push(`Drift: ${lobby.drift.replace(/^drift: /, '')}`);
  if (lobby.resources.length === 0) lines.push('Resources: none yet');
  else {
    lines.push(`Resources (${lobby.resources.length}):`);
    for (const resource of lobby.resources) {
      lines.push(`  • ${resource.name} — ${resource.type}${resource.detail ? ` (${resource.detail})` : ''}`);
      if (resource.parts) lines.push(`      parts: ${resource.parts.join(', ')}`);
    }
  }
  if (lobby.plan) {
    lines.push(`Plan: ${lobby.plan.summary.replace(/^Plan: /, '')}`);
    for (const change of lobby.plan.changes.slice(0, 20)) lines.push(`  ${change}`);
    if (lobby.plan.changes.length > 20) lines.push(`  … and ${lobby.plan.changes.length - 20} more`);
  }
  if (lobby.cost) {
    lines.push(`Cost: ${lobby.cost.text} (change: ${lobby.cost.delta})`);
    for (const item of lobby.cost.unpriced) lines.push(`  unpriced: ${item}`);
  }
  for (const quota of lobby.quotas) lines.push(`Quota ${quota.quotaKey}: ${quota.bar}`);
  lines.push(...approvalLines(lobby.approvals));
  if (lobby.problems.length) {
    lines.push('Problems:');
    for (const problem of lobby.problems) lines.push(`  ${problem}`);
  }
  if (lobby.outputs && Object.keys(lobby.outputs).length) {
    lines.push('Outputs:');
    for (const [name, value] of Object.entries(lobby.outputs)) lines.push(`  ${name}: ${JSON.stringify(value)}`);
  }
  return lines;
}

/** The approvals a lobby shows; null when one approval is all it takes and nothing was given or cleared (the lobby as before). */
export function lobbyApprovals(session: SessionView): LobbyApprovals | null {
  const { approvals } = session;
  if (!approvals) return null;
  const waitingState = session.state === 'PLAN_READY' || session.state === 'DESTROY_READY';
  const given = approvals.given.map((approval) => approval.userId);
  const cleared = approvals.cleared > 0 && given.length === 0 && (waitingState || session.state === 'DRAFT' || session.state === 'PLAN_FAILED');
  // One approval is all it takes: nothing to say unless one is waiting (recorded without applying), cleared or expired.
  if (approvals.required === 1 && !(waitingState && given.length > 0) && !cleared && !(waitingState && approvals.expired > 0)) return null;
  if (!waitingState && given.length === 0 && !cleared) return null;
  const more = approvals.required - given.length;
  const from = Array.isArray(approvals.approvers) ? (approvals.approvers as readonly string[]).filter((id) => !given.includes(id)) : (approvals.approvers as 'deploy' | 'admin');
  return { required: approvals.required, given, waiting: waitingState && more > 0 ? { more, from } : null, cleared, expired: waitingState ? approvals.expired : 0 };
}

/**
 * The approvals as lines — "Approvals 1/2: alice", "needs 1 more from
 * deploy-level members", "plan changed: approvals cleared" — with each
 * person named by `name` (a chat mention, or the id as it is).
 */
export function approvalLines(approvals: LobbyApprovals | null, name: (userId: string) => string = (userId) => userId): string[] {
  if (!approvals) return [];
  const lines = [`Approvals ${approvals.given.length}/${approvals.required}${approvals.given.length ? `: ${approvals.given.map(name).join(', ')}` : ''}`];
  if (approvals.waiting) {
    const { more, from } = approvals.waiting;
    const who = from === 'deploy' ? 'deploy-level members' : from === 'admin' ? 'project admins' : `${more < from.length ? 'any of ' : ''}${from.map(name).join(', ')}`;
    lines.push(`needs ${more} more from ${who}`);
  }
  if (approvals.expired > 0) lines.push(`${approvals.expired} approval${approvals.expired === 1 ? '' : 's'} expired (older than the project's expiresAfter)`);
  if (approvals.cleared) lines.push('plan changed: approvals cleared');
  return lines;
}

/** The quota keys a resource counts against (every part's, for a blueprint); its listed key when its type cannot say. */
function quotaKeysOf(api: ChatApi, resource: SessionView['resources'][number]): string[] {
  try {
    return Object.entries(quotaCounts(api.resourceType(resource.type), resource.config)).filter(([, count]) => count > 0).map(([key]) => key);
  } catch {
    // A broken quotas() fails the plan, naming the plugin; the lobby still shows.
    return [resource.quotaKey];
  }
}

/** A short one-line description of a resource's config for lists. */
function describeConfig(config: Readonly<Record<string, unknown>>): string {
  return Object.entries(config)
    .filter(([, value]) => value !== undefined && (typeof value !== 'object' || (value !== null && Object.keys(value).length > 0)))
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ')
    .slice(0, 200);
}
