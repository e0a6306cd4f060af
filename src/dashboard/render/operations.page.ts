import type { EngineStats } from '../../kernel/sessions/orchestrator.js';
import { html } from './html.js';
import { layout, type Viewer } from './layout.js';

/** For global admins: this process's terraform work and provider pool, and sessions by state and project. */
export function operationsPage(viewer: Viewer, stats: EngineStats): string {
  const { terraform } = stats;
  const rows = (counts: Readonly<Record<string, number>>) => Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([key, count]) => html`<tr><td>${key}</td><td>${count}</td></tr>`);
  const body = html`<h2>Terraform in this process</h2>
<table id="terraform"><tr><th>Running</th><td>${terraform.running}</td></tr><tr><th>Queued for a slot</th><td>${terraform.queued}</td></tr><tr><th>Slots (maxTerraform)</th><td>${terraform.cap}</td></tr></table>
<h2>Provider pool</h2>
${
  terraform.pool
    ? html`<table id="pool">${(['processes', 'idle', 'hits', 'misses', 'starts', 'recycles', 'prewarms', 'fallbacks', 'crashes'] as const).map((key) => html`<tr><th>${key}</th><td>${terraform.pool![key]}</td></tr>`)}</table>`
    : html`<p class="muted">Off (CLOUD_ENGINE_PROVIDER_POOL=off).</p>`
}
<h2>Sessions by state</h2>
<table id="by-state"><thead><tr><th>State</th><th>Sessions</th></tr></thead><tbody>${rows(stats.byState)}</tbody></table>
<h2>Sessions by project</h2>
<table id="by-project"><thead><tr><th>Project</th><th>Sessions</th></tr></thead><tbody>${rows(stats.byProject)}</tbody></table>
<p class="muted">${stats.sessions} sessions, ${stats.plans} plans, ${stats.resourcesApplied} resources applied. Scrape /metrics for the same over time.</p>`;
  return layout('Operations', body, viewer);
}
