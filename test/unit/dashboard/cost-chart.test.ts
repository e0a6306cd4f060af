import { describe, expect, it } from 'vitest';
import { costCharts, type ChartedDeployment } from '../../../src/dashboard/render/cost-chart.js';

/** A deployment as the chart reads it. */
function deployment(id: string, projectId: string, name: string, monthlyCost: number | null, state: ChartedDeployment['state'] = 'ACTIVE'): ChartedDeployment {
  return { id, name, projectId, state, monthlyCost };
}

describe('the monthly cost chart of the deployments page', () => {
  it('draws one bar per priced deployment of a project, widest for the dearest, with the project total', () => {
    const svg = costCharts([deployment('a1', 'shop', 'api', 100), deployment('a2', 'shop', 'db', 400), deployment('a3', 'shop', 'free', 0), deployment('b1', 'ops', 'gone', 50, 'DESTROYED')]).text;
    expect(svg).toContain('shop: $500.00/mo in all');
    const widths = [...svg.matchAll(/<g data-deployment="(\w+)">.*?width="(\d+)"/g)].map((match) => [match[1], Number(match[2])]);
    expect(widths).toEqual([['a2', 420], ['a1', 105]]);
    expect(svg).not.toContain('data-deployment="a3"');
    expect(svg).not.toContain('ops');
  });

  it('says when a project has nothing priced, and escapes names', () => {
    const text = costCharts([deployment('c1', 'lab', '<script>x</script>', 10), deployment('d1', 'sandbox', 'vm', null)]).text;
    expect(text).toContain('sandbox: nothing priced yet (1 deployment).');
    expect(text).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(text).not.toContain('<script>');
    expect(text).not.toMatch(/style=/);
  });

  it('draws nothing without deployments', () => {
    expect(costCharts([]).text).toBe('');
  });
});
