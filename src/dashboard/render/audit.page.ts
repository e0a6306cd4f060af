import type { AuditEvent } from '../../kernel/audit/audit-log.js';
import { html, segment } from './html.js';
import { layout, when, type Viewer } from './layout.js';

/** A project's audit trail, newest first (project admins). */
export function auditPage(viewer: Viewer, projectId: string, events: readonly AuditEvent[]): string {
  const body = html`<table id="audit"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Session</th><th>Details</th></tr></thead><tbody>
${events.map(
  (event) => html`<tr><td>${when(event.at)}</td><td>${event.actor}</td><td><code>${event.action}</code></td><td>${event.sessionId ? html`<a href="/sessions/${segment(event.sessionId)}">${event.sessionId}</a>` : ''}</td><td><code>${JSON.stringify(event.details)}</code></td></tr>`,
)}
</tbody></table>
${events.length === 0 ? html`<p class="muted">Nothing recorded in this period.</p>` : ''}`;
  return layout(`Audit trail of ${projectId}`, body, viewer);
}
