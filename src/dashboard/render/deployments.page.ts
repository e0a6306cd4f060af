import type { DeploymentView } from '../../kernel/deployments/deployment-service.js';
import { costCharts } from './cost-chart.js';
import { html, segment, type SafeHtml } from './html.js';
import { layout, money, relative, when, type Viewer } from './layout.js';

/** The deployments of the projects the viewer can read, and links to the audit trails of those they administer. */
export function deploymentsPage(viewer: Viewer, deployments: readonly DeploymentView[], adminProjects: readonly string[], now: Date, globalAdmin = false): string {
  const rows = deployments.map(
    (deployment) => html`<tr data-deployment="${deployment.id}">
<td><a href="/deployments/${segment(deployment.id)}">${deployment.name}</a></td>
<td>${deployment.projectId}</td>
<td><span class="state state-${deployment.state}">${deployment.state}</span></td>
<td>${deployment.resources.length}</td>
<td>${money(deployment.monthlyCost)}</td>
<td>${deployment.expiresAt ? html`<span title="${when(deployment.expiresAt)}">${relative(deployment.expiresAt, now)}</span>` : html`<span class="muted">never</span>`}${deployment.expiryFailure ? html` <span class="error">teardown failed: ${deployment.expiryFailure.error}</span>` : ''}</td>
<td>${driftCell(deployment, now)}</td>
<td>${deployment.openSessionId ? html`<a href="/sessions/${segment(deployment.openSessionId)}">${deployment.openSessionId}</a>` : html`<span class="muted">none</span>`}</td>
</tr>`,
  );
  const body = html`${
    deployments.length
      ? html`<table id="deployments">
<thead><tr><th>Deployment</th><th>Project</th><th>State</th><th>Resources</th><th>Monthly cost</th><th>Expires</th><th>Drift</th><th>Open change</th></tr></thead>
<tbody>${rows}</tbody>
</table>`
      : html`<p class="muted">No deployments in the projects you can read yet. Start one in chat with /cloud-deploy.</p>`
  }
${costCharts(deployments)}
${globalAdmin ? html`<p><a id="operations" href="/operations">Terraform queue, provider pool and sessions by state</a></p>` : ''}
${adminProjects.length ? html`<h2>Audit trails</h2><ul>${adminProjects.map((id) => html`<li><a href="/projects/${segment(id)}/audit">${id}</a></li>`)}</ul>` : ''}`;
  return layout('Deployments', body, viewer);
}

/** The last drift check in a word (with when, as a tooltip): none yet, no drift, drifted (dismissed), or the check failed. */
function driftCell(deployment: DeploymentView, now: Date): SafeHtml {
  const drift = deployment.drift;
  if (!drift) return html`<span class="muted">not checked</span>`;
  const checked = relative(drift.checkedAt, now);
  if (drift.status === 'NONE') return html`<span title="${when(drift.checkedAt)}">none (${checked})</span>`;
  if (drift.status === 'FAILED') return html`<span class="error" title="${drift.error ?? ''}">check failed (${checked})</span>`;
  const count = `${drift.resources.length} resource${drift.resources.length === 1 ? '' : 's'}`;
  return html`<span class="${drift.dismissed ? 'muted' : 'error'}" title="${when(drift.checkedAt)}">${count} drifted${drift.dismissed ? ', dismissed' : ''} (${checked})</span>`;
}
