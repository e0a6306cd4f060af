import { CloudEngineError } from '../errors.js';
import type { PlanJson } from '../terraform/plan-json.js';
import type { PolicyValidator, PolicyViolation } from '../plugin/policy-validator.js';
import type { DeployedResource } from '../persistence/entities/deployment.entity.js';
import type { Project } from '../projects/project-service.js';
import { referenceProblems } from '../synth/reference-graph.js';
import { estimateCost } from './cost.js';
import type { SessionServices } from './session-services.js';
import type { PlanCost, SessionView } from './session-view.js';

/**
 * The checks around a plan: quotas and the policies' session checks before
 * it (and again at approval), the cost estimators and the policies' plan
 * checks after it. Plugin code runs with a time limit and a failure names
 * the plugin.
 */
export class SessionChecks {
  constructor(private readonly services: SessionServices) {}

  /** Quota keys the change would push over their limits (its net effect on its deployment's `current` resources), as violations. */
  async quotaViolations(view: SessionView, current: readonly DeployedResource[]): Promise<PolicyViolation[]> {
    const { quotas } = this.services;
    const excess = await quotas.excess(view.projectId, quotas.netEffect(view.resources, current));
    return excess.map((item) => ({
      code: 'QUOTA_EXCEEDED',
      message: `quota ${item.quotaKey}: requested ${item.requested}, used ${item.used}${item.reserved ? ` + ${item.reserved} reserved` : ''}, limit ${item.limit}`,
    }));
  }

  /**
   * The session's own problems (nothing to change, unknown types, configs no
   * longer valid) and every policy's `validateSession`. A change that removes
   * every resource of its deployment (`current`) is its teardown, not empty.
   */
  async sessionViolations(view: SessionView, project: Project, userId: string, current: readonly DeployedResource[] = []): Promise<PolicyViolation[]> {
    const violations: PolicyViolation[] = [];
    if (view.resources.length === 0 && current.length === 0) {
      violations.push({ code: 'NO_RESOURCES', message: 'The session has no resources yet; add at least one before planning.' });
    }
    for (const resource of view.resources) {
      const type = this.services.resourceTypes.get(resource.type);
      if (!type) {
        violations.push({ code: 'UNKNOWN_TYPE', message: `Resource type ${resource.type} is no longer loaded; remove the resource or load its plugin.`, address: resource.name });
      } else if (!type.schema.safeParse(resource.config).success) {
        violations.push({ code: 'INVALID_CONFIG', message: `The config of ${resource.name} is no longer valid for ${resource.type}; remove and re-add it.`, address: resource.name });
      }
    }
    for (const problem of referenceProblems(view.resources, this.services.resourceTypes)) {
      violations.push({ code: 'INVALID_REFERENCE', message: `${problem.field ? `${problem.field} ` : ''}${problem.message}`, address: problem.name });
    }
    const { policies } = this.services;
    for (const validator of policies.list()) {
      if (!validator.validateSession) continue;
      const check = validator.validateSession.bind(validator);
      const settings = policySettings(project, validator);
      violations.push(...(await this.runPlugin(`policy ${validator.id}`, policies.pluginOf(validator.id), () => check({ session: view, project, userId, settings }))));
    }
    return violations;
  }

  /** Every policy's `validatePlan` on the real (unredacted) plan, with its cost, the project's spend and the deletes the user asked for. */
  async planViolations(
    view: SessionView,
    project: Project,
    userId: string,
    plan: PlanJson,
    cost: PlanCost | undefined,
    operation: 'apply' | 'destroy',
    requestedDeletes: readonly string[] = [],
  ): Promise<PolicyViolation[]> {
    const { policies, store } = this.services;
    const validators = policies.list().filter((validator) => validator.validatePlan);
    if (validators.length === 0) return [];
    const projectMonthlySpend = await store.appliedMonthlySpend(project.id);
    const violations: PolicyViolation[] = [];
    for (const validator of validators) {
      const check = validator.validatePlan!.bind(validator);
      const settings = policySettings(project, validator);
      violations.push(
        ...(await this.runPlugin(`policy ${validator.id}`, policies.pluginOf(validator.id), () =>
          check({ session: view, project, userId, settings, plan, cost, projectMonthlySpend, operation, requestedDeletes }),
        )),
      );
    }
    return violations;
  }

  /** The plan's cost from the cost estimators; undefined when none is loaded. */
  async estimate(project: Project, plan: PlanJson): Promise<PlanCost | undefined> {
    const { estimators } = this.services;
    if (estimators.list().length === 0) return undefined;
    return estimateCost(plan, estimators.list(), (estimator) =>
      this.runPlugin(`cost estimator ${estimator.id}`, estimators.pluginOf(estimator.id), () => estimator.estimate({ plan, project })),
    );
  }

  /** Runs plugin code with a time limit; a throw or hang names the plugin. */
  private async runPlugin<T>(what: string, pluginId: string | undefined, work: () => T | Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        Promise.resolve().then(work),
        new Promise<never>((_resolve, reject) => {
          const limit = this.services.config.timeouts.plugin;
          timer = setTimeout(() => reject(new Error(`did not answer within ${limit / 1000}s`)), limit);
        }),
      ]);
    } catch (error) {
      this.services.logger.error({ err: error, pluginId, what }, 'plugin failed');
      throw new CloudEngineError('PLUGIN_FAILED', `The ${what} (plugin "${pluginId ?? 'unknown'}") failed: ${(error as Error)?.message ?? String(error)}. Fix or unload the plugin.`, {
        cause: error,
        details: { pluginId },
      });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A validator's settings from `settings.policies[<id>]`, parsed (defaults applied) when it has a schema. */
function policySettings(project: Project, validator: PolicyValidator): unknown {
  const raw = (project.settings.policies as Record<string, unknown> | undefined)?.[validator.id];
  if (!validator.settingsSchema) return raw;
  // Configured values were validated when the project was saved; an unconfigured
  // validator whose schema requires settings simply gets none.
  const parsed = validator.settingsSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
