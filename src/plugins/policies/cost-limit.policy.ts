import { z } from 'zod';
import type { PolicyValidator, PolicyViolation } from '../../kernel/plugin/policy-validator.js';

const ID = 'cost-limit';
const MAX_LISTED = 10;

function usd(field: string) {
  return z
    .number({ error: `${field} must be a number of US dollars per month, e.g. 100` })
    .finite(`${field} must be a finite number of US dollars per month`)
    .min(0, `${field} must be 0 or more US dollars per month`)
    .optional();
}

/** Settings of `cost-limit`; with none configured nothing is checked. */
export const costLimitSettingsSchema = z
  .strictObject({
    maxMonthlyPerSession: usd('maxMonthlyPerSession'),
    monthlyBudget: usd('monthlyBudget'),
    failWhenUnpriced: z.boolean({ error: 'failWhenUnpriced must be true or false' }).default(false),
  })
  .optional();

/** Parsed settings of `cost-limit`. */
export type CostLimitSettings = NonNullable<z.output<typeof costLimitSettingsSchema>>;

/** "$12.34/month" */
export function perMonth(amount: number): string {
  return `$${amount.toFixed(2)}/month`;
}

/** Caps a plan's monthly cost and the project's monthly spend, using the loaded cost estimators. */
export const costLimitPolicy: PolicyValidator<CostLimitSettings | undefined> = {
  id: ID,
  description: "Refuses plans over the project's monthly cost limit per session or its monthly budget.",
  settingsSchema: costLimitSettingsSchema,

  validatePlan({ project, settings, cost, projectMonthlySpend }): PolicyViolation[] {
    if (!settings) return [];
    const { maxMonthlyPerSession: limit, monthlyBudget: budget, failWhenUnpriced } = settings;
    if (limit === undefined && budget === undefined && !failWhenUnpriced) return [];
    if (!cost) {
      const configured = [
        limit === undefined ? undefined : `maxMonthlyPerSession ${perMonth(limit)}`,
        budget === undefined ? undefined : `monthlyBudget ${perMonth(budget)}`,
        failWhenUnpriced ? 'failWhenUnpriced' : undefined,
      ].filter((item) => item !== undefined);
      // Passing an unpriced plan would be the silent $0 users distrust.
      return [
        {
          code: 'COST_UNKNOWN',
          message: `Project ${project.id} sets settings.policies["${ID}"] (${configured.join(', ')}), but nothing priced this plan: no cost estimator is loaded. Load a cost estimator plugin, or ask an admin to remove the limit.`,
        },
      ];
    }

    const violations: PolicyViolation[] = [];
    const unpricedNote =
      cost.unpriced.length > 0 ? ` (${cost.unpriced.length} resource${cost.unpriced.length > 1 ? 's' : ''} could not be priced and ${cost.unpriced.length > 1 ? 'are' : 'is'} not counted)` : '';
    if (limit !== undefined && cost.monthly > limit) {
      violations.push({
        code: 'COST_LIMIT',
        message: `This plan costs ${perMonth(cost.monthly)}${unpricedNote}, over project ${project.id}'s limit of ${perMonth(limit)} per session. Remove or shrink resources, or ask an admin to raise settings.policies["${ID}"].maxMonthlyPerSession.`,
      });
    }
    // A plan that adds nothing must stay possible even over budget, or cost could never come down.
    if (budget !== undefined && cost.monthlyDelta > 0 && projectMonthlySpend + cost.monthlyDelta > budget) {
      violations.push({
        code: 'BUDGET_EXCEEDED',
        message: `Project ${project.id} already spends ${perMonth(projectMonthlySpend)} on applied sessions; this plan adds ${perMonth(cost.monthlyDelta)}${unpricedNote}, which would make ${perMonth(projectMonthlySpend + cost.monthlyDelta)}, over its budget of ${perMonth(budget)}. Remove or shrink resources, or ask an admin to raise settings.policies["${ID}"].monthlyBudget.`,
      });
    }
    if (failWhenUnpriced && cost.unpriced.length > 0) {
      const listed = cost.unpriced.slice(0, MAX_LISTED).map((item) => `${item.address} (${item.reason})`);
      const more = cost.unpriced.length > MAX_LISTED ? ` and ${cost.unpriced.length - MAX_LISTED} more` : '';
      violations.push({
        code: 'COST_UNPRICED',
        message: `No cost estimator could price ${listed.join(', ')}${more}, and project ${project.id} requires every planned resource to be priced (settings.policies["${ID}"].failWhenUnpriced). Remove those resources, load an estimator that prices them, or ask an admin to turn failWhenUnpriced off.`,
      });
    }
    return violations;
  },
};
