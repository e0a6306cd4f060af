import type { DeploymentView } from '../../kernel/deployments/deployment-service.js';
import { html, type SafeHtml } from './html.js';
import { money } from './layout.js';

/** What the chart reads of a deployment. */
export type ChartedDeployment = Pick<DeploymentView, 'id' | 'name' | 'projectId' | 'state' | 'monthlyCost'>;

const BAR_HEIGHT = 22;
const LABEL_WIDTH = 180;
const BAR_WIDTH = 420;

/**
 * Monthly cost per deployment of each project, as bars in inline SVG (no
 * script, no style attribute: the CSP allows neither); deployments without
 * priced resources are left out and said so.
 */
export function costCharts(deployments: readonly ChartedDeployment[]): SafeHtml {
  const byProject = new Map<string, ChartedDeployment[]>();
  for (const deployment of deployments) {
    if (deployment.state === 'DESTROYED') continue;
    byProject.set(deployment.projectId, [...(byProject.get(deployment.projectId) ?? []), deployment]);
  }
  const charts = [...byProject.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([projectId, list]) => projectChart(projectId, list));
  return charts.length ? html`<h2>Monthly cost per deployment</h2>${charts}` : html``;
}

function projectChart(projectId: string, deployments: readonly ChartedDeployment[]): SafeHtml {
  const priced = deployments.filter((deployment) => (deployment.monthlyCost ?? 0) > 0).sort((a, b) => b.monthlyCost! - a.monthlyCost!);
  const total = priced.reduce((sum, deployment) => sum + deployment.monthlyCost!, 0);
  if (priced.length === 0) return html`<p class="muted" data-cost-project="${projectId}">${projectId}: nothing priced yet (${deployments.length} deployment${deployments.length === 1 ? '' : 's'}).</p>`;
  const max = priced[0]!.monthlyCost!;
  const height = priced.length * BAR_HEIGHT;
  const bars = priced.map((deployment, index) => {
    const width = Math.max(1, Math.round((deployment.monthlyCost! / max) * BAR_WIDTH));
    const y = index * BAR_HEIGHT;
    return html`<g data-deployment="${deployment.id}"><text x="0" y="${y + 15}" class="label">${deployment.name}</text><rect x="${LABEL_WIDTH}" y="${y + 3}" width="${width}" height="${BAR_HEIGHT - 6}" class="bar"></rect><text x="${LABEL_WIDTH + width + 6}" y="${y + 15}" class="value">${money(deployment.monthlyCost)}</text></g>`;
  });
  return html`<figure class="cost-chart" data-cost-project="${projectId}"><figcaption>${projectId}: ${money(total)} in all</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + BAR_WIDTH + 110}" height="${height}" viewBox="0 0 ${LABEL_WIDTH + BAR_WIDTH + 110} ${height}" role="img" aria-label="${`Monthly cost per deployment of ${projectId}`}">${bars}</svg></figure>`;
}
