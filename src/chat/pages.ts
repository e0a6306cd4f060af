import type { DeploymentView } from '../kernel/deployments/deployment-service.js';
import type { SessionView } from '../kernel/sessions/session-view.js';
import { message, type ChatReply } from './chat-message.js';
import { driftStatusText } from './drift.js';
import { expiryText } from './expiry.js';

/** Lines per page of a list reply. */
export const PAGE_SIZE = 10;

/** Which page of `total` items to show (the last one when `pageNumber` is past the end), and its items' bounds. */
export function pageOf(total: number, pageNumber = 1): { index: number; count: number; start: number; end: number } {
  const count = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const index = Math.min(Math.max(1, pageNumber), count);
  return { index, count, start: (index - 1) * PAGE_SIZE, end: index * PAGE_SIZE };
}

/** One page of `lines` (the last one when `pageNumber` is past the end), with the page count when there are several. */
export function paginate(lines: readonly string[], title: string, pageNumber = 1): ChatReply {
  const { index, count, start, end } = pageOf(lines.length, pageNumber);
  return message(lines.slice(start, end), { title, page: count > 1 ? { index, count } : undefined });
}

/** Sessions one per line: id, project, deployment, state, resources, owner, plan. */
export function sessionList(sessions: readonly SessionView[], title: string, pageNumber?: number): ChatReply {
  const lines = sessions.map(
    (session) =>
      `${session.id} · ${session.projectId} · ${session.deploymentName} · ${session.state} · ${plural(session.resources.length, 'resource')} · ${session.userId}` +
      (session.plan ? ` · ${session.plan.summary}` : ''),
  );
  return paginate(lines.length ? lines : ['No deployments.'], title, pageNumber);
}

/**
 * A deployment as a list line: name, project, state, resources, monthly
 * cost, and its open change with the change's owner and state ("open change
 * <session> by alice (PLAN_READY)"), given the open sessions' views; and
 * when it expires ("expires in 3 h 20 min", counted from `now`).
 */
export function deploymentLine(deployment: DeploymentView, open: SessionView | undefined, now: Date = new Date()): string {
  const parts = [deployment.name, deployment.projectId, deployment.state, plural(deployment.resources.length, 'resource')];
  if (deployment.resources.length > 0) parts.push(deployment.monthlyCost === null ? 'cost not estimated' : `$${deployment.monthlyCost.toFixed(2)}/month`);
  const expiry = expiryText(deployment.expiresAt, now);
  if (expiry) parts.push(deployment.expiryFailure ? `${expiry}, teardown failed ${deployment.expiryFailure.attempts}×, retry at ${deployment.expiryFailure.retryAt.toISOString()}` : expiry);
  const drift = driftStatusText(deployment.drift, now);
  if (drift) parts.push(drift);
  if (deployment.openSessionId) parts.push(open ? `open change ${open.id} by ${open.userId} (${open.state})` : `open change ${deployment.openSessionId}`);
  return parts.join(' · ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
