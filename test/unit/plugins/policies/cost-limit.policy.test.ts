import { describe, expect, it } from 'vitest';
import { costLimitPolicy, perMonth } from '../../../../src/plugins/policies/cost-limit.policy.js';
import { checkPlan, parseSettings, planContext, planCost, settingsError } from './policy.fixture.js';

describe('cost-limit policy', () => {
  describe('settings', () => {
    it('accepts nothing configured and fills failWhenUnpriced', () => {
      expect(parseSettings(costLimitPolicy, undefined)).toBeUndefined();
      expect(parseSettings(costLimitPolicy, { monthlyBudget: 0 })).toEqual({ monthlyBudget: 0, failWhenUnpriced: false });
    });

    it.each([
      [{ maxMonthlyPerSession: -1 }, 'settings.policies.cost-limit.maxMonthlyPerSession', '0 or more'],
      [{ monthlyBudget: '100' }, 'settings.policies.cost-limit.monthlyBudget', 'number of US dollars'],
      [{ failWhenUnpriced: 'yes' }, 'settings.policies.cost-limit.failWhenUnpriced', 'true or false'],
      [{ budget: 10 }, 'settings.policies.cost-limit', 'budget'],
    ])('rejects %j naming %s', (value, field, hint) => {
      const error = settingsError(costLimitPolicy, value);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.field).toBe(field);
      expect(error.message).toContain(hint);
    });
  });

  it('formats amounts as dollars per month', () => {
    expect(perMonth(12.345)).toBe('$12.35/month');
    expect(perMonth(0)).toBe('$0.00/month');
  });

  it('checks nothing when the project configured no limits, even without an estimator', async () => {
    expect(await checkPlan(costLimitPolicy, planContext(undefined))).toEqual([]);
    expect(await checkPlan(costLimitPolicy, planContext({ failWhenUnpriced: false }))).toEqual([]);
  });

  it('refuses a plan over the per-session limit with both figures', async () => {
    const violations = await checkPlan(costLimitPolicy, planContext({ maxMonthlyPerSession: 100, failWhenUnpriced: false }, { cost: planCost(120.5) }));
    expect(violations).toEqual([
      {
        code: 'COST_LIMIT',
        message:
          'This plan costs $120.50/month, over project demo\'s limit of $100.00/month per session. Remove or shrink resources, or ask an admin to raise settings.policies["cost-limit"].maxMonthlyPerSession.',
      },
    ]);
    expect(await checkPlan(costLimitPolicy, planContext({ maxMonthlyPerSession: 100, failWhenUnpriced: false }, { cost: planCost(100) }))).toEqual([]);
  });

  it('says when unpriced resources are left out of the figure', async () => {
    const cost = planCost(120, 120, [{ address: 'acme_queue.q', reason: 'no price' }]);
    const [violation] = await checkPlan(costLimitPolicy, planContext({ maxMonthlyPerSession: 100, failWhenUnpriced: false }, { cost }));
    expect(violation!.message).toContain('(1 resource could not be priced and is not counted)');
  });

  it('refuses a plan that takes the project over its monthly budget, with spend, delta and budget', async () => {
    const violations = await checkPlan(costLimitPolicy, planContext({ monthlyBudget: 100, failWhenUnpriced: false }, { cost: planCost(30), projectMonthlySpend: 80 }));
    expect(violations).toHaveLength(1);
    expect(violations[0]!.code).toBe('BUDGET_EXCEEDED');
    expect(violations[0]!.message).toContain('already spends $80.00/month');
    expect(violations[0]!.message).toContain('this plan adds $30.00/month');
    expect(violations[0]!.message).toContain('would make $110.00/month, over its budget of $100.00/month');
  });

  it('lets a plan that adds no cost through even when the project is already over budget', async () => {
    const ctx = planContext({ monthlyBudget: 100, failWhenUnpriced: false }, { cost: planCost(0, 0), projectMonthlySpend: 150 });
    expect(await checkPlan(costLimitPolicy, ctx)).toEqual([]);
    expect(await checkPlan(costLimitPolicy, planContext({ monthlyBudget: 100, failWhenUnpriced: false }, { cost: planCost(20), projectMonthlySpend: 80 }))).toEqual([]);
  });

  it('refuses when limits are set but nothing priced the plan', async () => {
    const violations = await checkPlan(costLimitPolicy, planContext({ maxMonthlyPerSession: 50, monthlyBudget: 500, failWhenUnpriced: false }));
    expect(violations).toEqual([
      {
        code: 'COST_UNKNOWN',
        message:
          'Project demo sets settings.policies["cost-limit"] (maxMonthlyPerSession $50.00/month, monthlyBudget $500.00/month), but nothing priced this plan: no cost estimator is loaded. Load a cost estimator plugin, or ask an admin to remove the limit.',
      },
    ]);
  });

  it('lists unpriced resources only when failWhenUnpriced is on', async () => {
    const cost = planCost(5, 5, [
      { address: 'acme_queue.q', reason: 'no loaded cost estimator prices acme_queue' },
      { address: 'aws_instance.gpu', reason: 'p5.48xlarge is not in the price book' },
    ]);
    expect(await checkPlan(costLimitPolicy, planContext({ maxMonthlyPerSession: 50, failWhenUnpriced: false }, { cost }))).toEqual([]);
    const [violation, ...rest] = await checkPlan(costLimitPolicy, planContext({ failWhenUnpriced: true }, { cost }));
    expect(rest).toEqual([]);
    expect(violation!.code).toBe('COST_UNPRICED');
    expect(violation!.message).toContain('acme_queue.q (no loaded cost estimator prices acme_queue), aws_instance.gpu (p5.48xlarge is not in the price book)');
    expect(violation!.message).toContain('failWhenUnpriced');
    expect((await checkPlan(costLimitPolicy, planContext({ failWhenUnpriced: true })))[0]!.code).toBe('COST_UNKNOWN');
  });

  it('reports every broken rule at once', async () => {
    const cost = planCost(200, 200, [{ address: 'x.y', reason: 'unknown' }]);
    const ctx = planContext({ maxMonthlyPerSession: 100, monthlyBudget: 150, failWhenUnpriced: true }, { cost });
    expect((await checkPlan(costLimitPolicy, ctx)).map((violation) => violation.code)).toEqual(['COST_LIMIT', 'BUDGET_EXCEEDED', 'COST_UNPRICED']);
  });
});
