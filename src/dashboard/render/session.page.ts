import type { OutputLine } from '../../kernel/sessions/output-recorder.js';
import type { SessionView } from '../../kernel/sessions/session-view.js';
import type { PolicyResult } from '../views/policy-results.js';
import { html, segment, type SafeHtml } from './html.js';
import { layout, money, when, type Viewer } from './layout.js';

/** What the viewer may try on the session; the kernel decides again at the click. */
export interface SessionPageActions {
  readonly approve: boolean;
  readonly cancel: boolean;
}

/** A session: its plan's changes and cost, policy results, approvals, actions, and its terraform output (followed live by /static/live-log.js). */
export function sessionPage(viewer: Viewer, session: SessionView, output: readonly OutputLine[], policies: readonly PolicyResult[], actions: SessionPageActions, notice?: SafeHtml): string {
  const plan = session.plan;
  const last = output.at(-1)?.seq ?? 0;
  const body = html`${notice ?? ''}
<table class="facts">
<tr><th>Deployment</th><td><a href="/deployments/${segment(session.deploymentId)}">${session.deploymentName}</a> (project ${session.projectId})</td></tr>
<tr><th>State</th><td><span id="session-state" class="state state-${session.state}">${session.state}</span>${session.queuePosition ? html` <span class="muted">queued, position ${session.queuePosition}</span>` : ''}</td></tr>
<tr><th>Started by</th><td>${session.userId} at ${when(session.createdAt)}</td></tr>
<tr><th>Approved by</th><td>${session.approvedBy ?? html`<span class="muted">not yet</span>`}</td></tr>
${session.approvals ? html`<tr><th>Approvals</th><td id="approvals">${session.approvals.given.length}/${session.approvals.required}${session.approvals.given.length ? html`: ${session.approvals.given.map((approval) => `${approval.userId} (${when(approval.at)})`).join(', ')}` : ''}${session.approvals.cleared ? html` <span class="muted">plan changed: ${session.approvals.cleared} approval(s) cleared</span>` : ''}</td></tr>` : ''}
${session.error ? html`<tr><th>Error</th><td class="error">${session.error}</td></tr>` : ''}
</table>
${
  actions.approve || actions.cancel
    ? html`<div class="actions">
${actions.approve && plan ? html`<form method="post" action="/sessions/${segment(session.id)}/approve"><input type="hidden" name="_csrf" value="${viewer.csrf}"><input type="hidden" name="planId" value="${plan.id}"><button id="approve" type="submit">Approve &amp; apply</button></form>` : ''}
${actions.cancel ? html`<form method="post" action="/sessions/${segment(session.id)}/cancel"><input type="hidden" name="_csrf" value="${viewer.csrf}"><button id="cancel" type="submit">Cancel</button></form>` : ''}
</div>`
    : ''
}
<h2>Plan</h2>
${
  plan
    ? html`<p id="plan-summary">${plan.summary} <span class="muted">plan ${plan.id} by ${plan.createdBy}, ${when(plan.createdAt)}</span></p>
<table id="changes"><thead><tr><th>Address</th><th>Action</th><th>Resource</th></tr></thead><tbody>
${plan.changes.map((change) => html`<tr><td><code>${change.address}</code></td><td class="change-${change.actions.join('-')}">${change.actions.join(', ')}</td><td>${change.resource ?? ''}</td></tr>`)}
</tbody></table>
${
  plan.cost
    ? html`<h2>Cost</h2><p id="cost">${money(plan.cost.monthly)} after the change (${plan.cost.monthlyDelta >= 0 ? '+' : ''}${money(plan.cost.monthlyDelta)})</p>
<table><thead><tr><th>Address</th><th>Action</th><th>Monthly</th><th>Change</th><th>Assumes</th></tr></thead><tbody>
${plan.cost.lines.map((line) => html`<tr><td><code>${line.address}</code></td><td>${line.action}</td><td>${money(line.monthly)}</td><td>${money(line.monthlyDelta)}</td><td>${line.assumption}</td></tr>`)}
</tbody></table>`
    : ''
}`
    : html`<p class="muted">No current plan.</p>`
}
${policySection(policies, plan?.id)}
<h2>Resources</h2>
<table><thead><tr><th>Name</th><th>Type</th><th>Configuration</th></tr></thead><tbody>
${session.resources.map((resource) => html`<tr><td>${resource.name}</td><td><code>${resource.type}</code></td><td><code>${JSON.stringify(resource.config)}</code></td></tr>`)}
</tbody></table>
<h2>Terraform output <span id="live-status" class="muted"></span></h2>
<div id="live-log" data-stream="/sessions/${segment(session.id)}/output" data-after="${last}">${output.map((line) => html`<div class="line ${line.level}" data-seq="${line.seq}">${line.line}</div>`)}</div>`;
  return layout(`Session ${session.id}`, body, viewer, { script: true });
}

/** What the policies (and quotas) said about the session's plans, oldest first, from its audit trail. */
function policySection(results: readonly PolicyResult[], currentPlanId: string | undefined): SafeHtml {
  const rows = results.map((result) => {
    const plan = result.planId ? html`<code>${result.planId}</code>${result.planId === currentPlanId ? html` <span class="muted">(current)</span>` : ''}` : html`<span class="muted">—</span>`;
    const what = result.outcome === 'passed' ? `${result.teardown ? 'teardown plan' : 'plan'} passed` : result.outcome === 'refused' ? 'refused' : 'approval refused';
    const details =
      result.outcome === 'passed'
        ? result.policies.length
          ? html`checked by ${result.policies.join(', ')}`
          : html`<span class="muted">no policy loaded</span>`
        : result.violations.length
          ? html`<ul class="violations">${result.violations.map((violation) => html`<li><code>${violation.code}</code> ${violation.address ? html`<code>${violation.address}</code>: ` : ''}${violation.message}</li>`)}</ul>`
          : html`<span class="pre">${result.reason ?? ''}</span>`;
    return html`<tr class="policy-${result.outcome}"><td>${when(result.at)}</td><td>${plan}</td><td class="outcome">${what}</td><td>${details}</td></tr>`;
  });
  return html`<h2>Policy results</h2>
${results.length ? html`<table id="policies"><thead><tr><th>When</th><th>Plan</th><th>Result</th><th>Details</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p class="muted" id="policies">No plan judged yet.</p>`}`;
}
