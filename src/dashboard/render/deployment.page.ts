import type { DeploymentView } from '../../kernel/deployments/deployment-service.js';
import type { SessionView } from '../../kernel/sessions/session-view.js';
import { html, segment } from './html.js';
import { layout, money, relative, when, type Viewer } from './layout.js';

/** One deployment: its resources, outputs and the history of its changes. */
export function deploymentPage(viewer: Viewer, deployment: DeploymentView, sessions: readonly SessionView[], now: Date, actions: { extend: boolean } = { extend: false }): string {
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
${
  deployment.resources.length
    ? html`<table id="resources"><thead><tr><th>Name</th><th>Type</th><th>Configuration</th></tr></thead><tbody>${deployment.resources.map(
        (resource) => html`<tr><td>${resource.name}</td><td><code>${resource.type}</code></td><td><code>${JSON.stringify(resource.config)}</code></td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">No resources applied.</p>`
}
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
