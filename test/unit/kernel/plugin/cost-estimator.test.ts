import { describe, expect, expectTypeOf, it } from 'vitest';
import { costAction, defineCostEstimator, type CostAction, type CostEstimator, type CostLine } from '../../../../src/kernel/plugin/cost-estimator.js';
import type { ChangeAction, PlanJson } from '../../../../src/kernel/terraform/plan-json.js';

describe('costAction', () => {
  it.each<[ChangeAction[], CostAction | undefined]>([
    [['create'], 'create'],
    [['delete', 'create'], 'replace'],
    [['create', 'delete'], 'replace'],
    [['delete'], 'delete'],
    [['update'], 'update'],
    [['no-op'], undefined],
    [['read'], undefined],
    [['forget'], undefined],
  ])('reads %j as %s', (actions, expected) => {
    expect(costAction(actions)).toBe(expected);
  });
});

describe('defineCostEstimator', () => {
  const flat = defineCostEstimator({
    id: 'acme.flat',
    estimate({ plan }) {
      const lines: CostLine[] = [];
      for (const change of plan.resource_changes ?? []) {
        const action = costAction(change.change.actions);
        if (action === undefined || change.type !== 'acme_thing') continue;
        const monthly = action === 'delete' ? 0 : 7.3;
        lines.push({ address: change.address, type: change.type, action, hourly: monthly / 730, monthly, monthlyDelta: action === 'create' ? monthly : 0, assumption: 'flat fee' });
      }
      return { lines, unpriced: [] };
    },
  });

  it('returns the estimator itself, typed as a CostEstimator', () => {
    const declared: CostEstimator = { id: 'acme.none', estimate: () => ({ lines: [], unpriced: [] }) };
    expect(defineCostEstimator(declared)).toBe(declared);
    expectTypeOf(flat).toEqualTypeOf<CostEstimator>();
  });

  it('gives estimate a typed plan and project, and prices what it claims', async () => {
    const plan: PlanJson = {
      format_version: '1.2',
      terraform_version: '1.11.4',
      resource_changes: [
        { address: 'acme_thing.a', mode: 'managed', type: 'acme_thing', name: 'a', provider_name: 'acme', change: { actions: ['create'], before: null, after: {} } },
        { address: 'acme_thing.b', mode: 'managed', type: 'acme_thing', name: 'b', provider_name: 'acme', change: { actions: ['no-op'], before: {}, after: {} } },
        { address: 'other.c', mode: 'managed', type: 'other', name: 'c', provider_name: 'acme', change: { actions: ['create'], before: null, after: {} } },
      ],
    };
    const estimate = await flat.estimate({ plan, project: { id: 'dev', provider: 'acme', settings: {} } });
    expect(estimate.lines).toEqual([{ address: 'acme_thing.a', type: 'acme_thing', action: 'create', hourly: 0.01, monthly: 7.3, monthlyDelta: 7.3, assumption: 'flat fee' }]);
  });
});
