import type { DeploymentView } from '../../kernel/deployments/deployment-service.js';
import type { SessionView } from '../../kernel/sessions/session-view.js';
import type { ResourceCost } from '../views/resource-costs.js';
import { driftSection, type DriftActions } from './drift-section.js';
import { html, segment, type SafeHtml } from './html.js';
import { layout, money, relative, when, type Viewer } from './layout.js';

/** What the viewer may try on the deployment; the kernel decides again at the click. */
export interface DeploymentPageActions extends DriftActions {
  readonly extend: boolean;
}

/** What the page shows beside the deployment itself. */
export interface DeploymentPageParts {
  /** Its resources and references (`referenceGraph`). */
  readonly graph: SafeHtml;
  /** Cost per resource (`resourceCosts`), in the order of `deployment.resources`. */
  readonly costs: readonly ResourceCost[];
}

const NO_ACTIONS: DeploymentPageActions = { extend: false, check: false, reconcile: false };

/** One deployment: its resources (graph, cost each), drift, outputs and the history of its changes. */
export function deploymentPage(
  viewer: Viewer,
  deployment: DeploymentView,
  sessions: readonly SessionView[],
  now: Date,
  actions: DeploymentPageActions = NO_ACTIONS,
  parts: DeploymentPageParts = { graph: html``, costs: [] },
): string {
  const costOf = new Map(parts.costs.map((cost) => [cost.resource, cost]));
  const body = html`<table class="facts">
<tr><th>Project</th><td>${deployment.projectId}</td></tr>
<tr><th>State</th><td><span class="state state-${deployment.state}">${deployment.state}</span> (version ${deployment.version})</td></tr>
<tr><th>Provider</th><td>${deployment.provider}</td></tr>
<tr><th>Monthly cost</th><td>${money(deployment.monthlyCost)}</td></tr>
<tr><th>Expires</th><td id="expires">${deployment.expiresAt ? html`${when(deployment.expiresAt)} (${relative(deployment.expiresAt, now)})` : 'never'}${
  actions.extend && deployment.expiresAt
    ? html` <form class="inline" method="post" action="/deployments/${segment(deployment.id)}/extend"><input type="hidden" name="_csrf" value="${viewer.csrf}"><input name="by" size="10" maxlength="32" placeholder="e.g. 2h" aria-label="extend by"> <button id="extend" type="submit">Extend</button> <span class="muted">(empty: the project's default TTL)</span></form>`
    : ''
}</td></tr>
<tr><th>Open change</th><td>${deployment.openSessionId ? html`<a href="/sessions/${segment(deployment.openSessionId)}">${deployment.openSessionId}</a>` : 'none'}</td></tr>
</table>
<h2>Resources</h2>
${parts.graph}
${
  deployment.resources.length
    ? html`<table id="resources"><thead><tr><th>Name</th><th>Type</th><th>Monthly</th><th>Configuration</th></tr></thead><tbody>${deployment.resources.map(
        (resource) => html`<tr data-resource="${resource.name}"><td>${resource.name}</td><td><code>${resource.type}</code></td><td class="cost">${resourceCost(costOf.get(resource.name))}</td><td><code>${JSON.stringify(resource.config)}</code></td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No resources applied.</p>`
}
${deployment.state === 'ACTIVE' || deployment.drift ? driftSection(viewer, deployment, now, actions) : ''}
<h2>Outputs</h2>
${deployment.outputs && Object.keys(deployment.outputs).length ? html`<pre id="outputs">${JSON.stringify(deployment.outputs, null, 2)}</pre>` : html`<p class="muted">None.</p>`}
<h2>Changes</h2>
<table id="sessions"><thead><tr><th>Session</th><th>State</th><th>By</th><th>Started</th><th>Plan</th><th>Cost change</th></tr></thead><tbody>
${sessions.map(
  (session) => html`<tr><td><a href="/sessions/${segment(session.id)}">${session.id}</a></td><td><span class="state state-${session.state}">${session.state}</span></td><td>${session.userId}</td><td>${when(session.createdAt)}</td><td>${session.plan?.summary ?? ''}</td><td>${session.plan?.cost ? money(session.plan.cost.monthlyDelta) : ''}</td></tr>`,
)}
</tbody></table>
${deployment.sessions.length > sessions.length ? html`<p class="muted">Showing the latest ${sessions.length} of ${deployment.sessions.length} changes.</p>` : ''}`;
  return layout(`Deployment ${deployment.name}`, body, viewer);
}

/** A resource's monthly price and what it assumes, or why it is not priced. */
function resourceCost(cost: ResourceCost | undefined): SafeHtml {
  if (!cost || (cost.monthly === null && cost.unpriced.length === 0)) return html`<span class="muted" title="no applied plan priced it">not priced</span>`;
  const assumes = cost.lines.map((line) => `${line.address}: ${line.assumption}`).join('\n');
  const price = cost.monthly === null ? html`` : html`<span title="${assumes}">${money(cost.monthly)}</span>`;
  return html`${price}${cost.unpriced.length ? html`${cost.monthly === null ? '' : ' '}<span class="muted" title="${cost.unpriced.join('\n')}">${cost.monthly === null ? 'not priced' : '+ unpriced parts'}</span>` : ''}`;
}
