import type { DriftRecord, DriftedResource } from '../kernel/drift/drift-record.js';
import type { ChatButton } from './chat-message.js';
import { formatRemaining } from './expiry.js';

/** Attributes shown per resource in chat; the rest are counted. */
const SHOWN_ATTRIBUTES = 6;

/** A drift's short status for lists and lobbies: "drift: none (checked 2 h ago)"; null before the first check. */
export function driftStatusText(drift: DriftRecord | null, now: Date): string | null {
  if (!drift) return null;
  const ago = `checked ${formatRemaining(Math.max(0, now.getTime() - drift.checkedAt.getTime()))} ago`;
  if (drift.status === 'NONE') return `drift: none (${ago})`;
  if (drift.status === 'FAILED') return `drift: check failed (${ago})`;
  const count = `${drift.resources.length} resource${drift.resources.length === 1 ? '' : 's'}`;
  return `drift: ${count} changed outside Terraform${drift.dismissed ? `, dismissed by ${drift.dismissed.by}` : ''} (${ago})`;
}

/** What a drift check found, as lines every adapter shows. */
export function driftLines(drift: DriftRecord, deployment: { readonly name: string; readonly projectId: string }): string[] {
  const where = `deployment ${deployment.name} (${deployment.projectId})`;
  const when = `checked ${drift.checkedAt.toISOString()} by ${drift.checkedBy}`;
  if (drift.status === 'NONE') return [`No drift: the cloud matches what ${where} declares (${when}).`];
  if (drift.status === 'FAILED') return [`The drift check of ${where} could not tell (${when}):`, (drift.error ?? 'unknown failure').slice(0, 1500)];
  const lines = [`Drift in ${where}: ${drift.resources.length} resource${drift.resources.length === 1 ? '' : 's'} changed outside Terraform (${when}).`];
  for (const resource of drift.resources) lines.push(resourceLine(resource));
  lines.push(
    drift.dismissed
      ? `Dismissed by ${drift.dismissed.by} at ${drift.dismissed.at.toISOString()}: not announced again unless the drift changes.`
      : 'Reconcile plans a change that puts the cloud back to the declared config (approved like any plan); Dismiss acknowledges it until it changes.',
  );
  return lines;
}

/** Reconcile and Dismiss under a drift (Dismiss only while it is not dismissed); none for NONE or FAILED. */
export function driftButtons(drift: DriftRecord, deploymentId: string): ChatButton[] {
  if (drift.status !== 'DRIFTED') return [];
  const buttons: ChatButton[] = [{ action: 'reconcile', target: deploymentId, label: 'Reconcile', style: 'primary' }];
  if (!drift.dismissed) buttons.push({ action: 'dismiss-drift', target: deploymentId, label: 'Dismiss', style: 'secondary' });
  return buttons;
}

function resourceLine(resource: DriftedResource): string {
  const name = `${resource.address}${resource.resource && !resource.address.endsWith(`.${resource.resource}`) ? ` (${resource.resource})` : ''}`;
  if (resource.action === 'delete') return `• ${name}: deleted outside Terraform`;
  const shown = resource.attributes.slice(0, SHOWN_ATTRIBUTES).map((attribute) => `${attribute.path} ${value(attribute.before)} → ${value(attribute.after)}`);
  const more = resource.attributes.length - shown.length + resource.more;
  return `• ${name}: ${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
}

function value(item: unknown): string {
  if (item === undefined || item === null) return '(unset)';
  const text = JSON.stringify(item);
  return text.length > 120 ? `${text.slice(0, 117)}…` : text;
}
