import type { DeploymentView } from '../../kernel/deployments/deployment-service.js';
import type { DriftRecord } from '../../kernel/drift/drift-record.js';
import { html, segment, type SafeHtml } from './html.js';
import { relative, when, type Viewer } from './layout.js';

/** The drift actions the viewer may try; the kernel decides again at the click. */
export interface DriftActions {
  /** Check drift now (deploy access, deployed, no change open). */
  readonly check: boolean;
  /** Reconcile (a drift found) and Dismiss (a drift not yet dismissed). */
  readonly reconcile: boolean;
}

/**
 * A deployment's last drift check — status, when and by whom, per drifted
 * resource the attributes old → new — its next scheduled check, and the
 * actions: Check drift now, Reconcile, Dismiss (forms with the CSRF token).
 */
export function driftSection(viewer: Viewer, deployment: Pick<DeploymentView, 'id' | 'drift' | 'nextDriftCheck'>, now: Date, actions: DriftActions): SafeHtml {
  const drift = deployment.drift;
  const next = deployment.nextDriftCheck
    ? html`${when(deployment.nextDriftCheck)} (${relative(deployment.nextDriftCheck, now)})`
    : html`<span class="muted">none scheduled (project setting <code>drift.every</code>)</span>`;
  const form = (action: string, id: string, label: string) =>
    html`<form class="inline" method="post" action="/deployments/${segment(deployment.id)}/drift/${action}"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button id="${id}" type="submit">${label}</button></form>`;
  const drifted = drift?.status === 'DRIFTED';
  const buttons = [
    actions.check ? form('check', 'drift-check', 'Check drift now') : '',
    actions.reconcile && drifted ? form('reconcile', 'drift-reconcile', 'Reconcile') : '',
    actions.reconcile && drifted && !drift.dismissed ? form('dismiss', 'drift-dismiss', 'Dismiss') : '',
  ];
  return html`<h2>Drift</h2>
<table class="facts" id="drift">
<tr><th>Last check</th><td>${drift ? lastCheck(drift, now) : html`<span class="muted">never checked</span>`}</td></tr>
<tr><th>Next check</th><td id="drift-next">${next}</td></tr>
</table>
${drift?.status === 'FAILED' ? html`<p class="error" id="drift-error">The check could not tell: ${drift.error ?? 'no reason given'}</p>` : ''}
${drifted ? driftTable(drift) : ''}
${buttons.some((button) => button !== '') ? html`<div class="actions">${buttons}${drifted ? html` <span class="muted">Reconcile opens a change that plans the deployment as declared; its apply puts the cloud back.</span>` : ''}</div>` : ''}`;
}

function lastCheck(drift: DriftRecord, now: Date): SafeHtml {
  const label = drift.status === 'NONE' ? 'no drift' : drift.status === 'DRIFTED' ? `drifted: ${drift.resources.length} resource${drift.resources.length === 1 ? '' : 's'} changed outside Cloud Engine` : 'check failed';
  return html`<span id="drift-status" class="state drift-${drift.status}">${drift.status}</span> ${label} <span class="muted">— ${when(drift.checkedAt)} (${relative(drift.checkedAt, now)}) by ${drift.checkedBy}</span>${
    drift.dismissed ? html`<br><span id="drift-dismissed" class="muted">dismissed by ${drift.dismissed.by} at ${when(drift.dismissed.at)}: not announced again until it changes</span>` : ''
  }`;
}

function driftTable(drift: DriftRecord): SafeHtml {
  const rows = drift.resources.flatMap((resource) => {
    const head = html`<td>${resource.resource ?? ''}</td><td><code>${resource.address}</code></td>`;
    if (resource.action === 'delete') return [html`<tr>${head}<td class="change-delete">gone from the cloud</td><td></td><td></td></tr>`];
    const attributes = resource.attributes.map((attribute) => html`<tr>${head}<td><code>${attribute.path}</code></td><td class="was">${shown(attribute.before)}</td><td class="now">${shown(attribute.after)}</td></tr>`);
    return resource.more > 0 ? [...attributes, html`<tr>${head}<td colspan="3" class="muted">… and ${resource.more} more attribute${resource.more === 1 ? '' : 's'}</td></tr>`] : attributes;
  });
  return html`<table id="drifted"><thead><tr><th>Resource</th><th>Address</th><th>Attribute</th><th>Was (last apply)</th><th>Now (in the cloud)</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** A drifted value as text: strings as they are, the rest as JSON, absent as "(not set)". */
function shown(value: unknown): SafeHtml {
  if (value === undefined || value === null) return html`<span class="muted">(not set)</span>`;
  return html`<code>${typeof value === 'string' ? value : JSON.stringify(value)}</code>`;
}
