import type { Command } from 'commander';
import { CloudEngineError, isCloudEngineError } from '../kernel/errors.js';
import type { DeploymentView } from '../kernel/deployments/deployment-service.js';
import type { PlanResult, PlanSummary } from '../kernel/sessions/session-view.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { convergence, registryJudge, stepLine } from './converge.js';
import { deploymentRef, planOutput, planLines } from './session-output.js';
import { readSpec } from './spec-file.js';

/** `cloud-engine plan <spec>`: the spec's deployment converged in a change, planned and left PLAN_READY for `approve`. */
export function registerPlanCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('plan')
      .description(
        'Plan a spec file (YAML or JSON, - for stdin) and leave the change ready to approve; with `deployment: <name>`, a change that makes ' +
          'that deployment hold exactly the spec\'s resources (a plan that changes nothing is cancelled).',
      )
      .argument('<spec>', 'spec file: { project, provider?, deployment?, ttl?, resources: [{ type, name, config? }] }')
      .option('--ttl <duration>', TTL_OPTION),
  ).action(async (spec: string, options: OutputOptions & { ttl?: string }) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const planned = await planSpec(ctx, spec, options.ttl);
      if (ctx.json) ctx.result(specPlanJson(planned));
      if (!planned.upToDate) ctx.say(`Apply this plan with: cloud-engine approve ${planned.sessionId} --plan ${planned.plan.id}`);
    });
  });
}

/** The --ttl option of plan and deploy. */
export const TTL_OPTION = "a new deployment expires after this (30m, 2h, 7d) and is torn down; overrides the spec's ttl";

/** What `planSpec` did: the change, its plan, and the deployment it changes. */
export interface SpecPlan {
  readonly sessionId: string;
  readonly plan: PlanResult;
  /** The deployment as it was when the change started. */
  readonly deployment: DeploymentView;
  /**
   * The deployment already held the spec's resources and the plan changes
   * nothing: the change was cancelled (there is nothing to apply) so the
   * deployment is not left locked.
   */
  readonly upToDate: boolean;
}

/** `--json` of a plan: the session, its state, the plan and the deployment. */
export function specPlanJson(planned: SpecPlan): Record<string, unknown> {
  return {
    sessionId: planned.sessionId,
    state: planned.upToDate ? 'CANCELLED' : 'PLAN_READY',
    upToDate: planned.upToDate,
    deployment: deploymentRef(planned.deployment),
    plan: planOutput(planned.plan),
  };
}

/**
 * Reads the spec and opens a change of its deployment (a new deployment
 * without `deployment:`, or when none has that name): adds, updates and
 * removes resources until the change holds exactly the spec's, then plans,
 * streaming terraform's lines to stderr, and prints the plan for people
 * (stdout, or stderr under --json). A spec the kernel refuses names the
 * spec's field, and the change is cancelled so it does not linger. A change
 * of a named deployment that cannot be planned is cancelled too, so the
 * next run is not LOCKED by it; its error stays on the session.
 */
export async function planSpec(ctx: CliContext, specPath: string, ttlOption?: string): Promise<SpecPlan> {
  const spec = await readSpec(specPath, ctx.io.readStdin);
  const source = specPath === '-' ? 'stdin' : specPath;
  const { orchestrator, deployments, registries } = ctx.kernel;
  let ttl = ttlOption ?? spec.ttl;
  if (ttl !== undefined && spec.deployment !== undefined) {
    // A TTL is set at a deployment's first change: a spec run again against its deployment keeps the expiry it has.
    const exists = await deployments.get(spec.deployment, ctx.user, spec.project).then(() => true, () => false);
    if (exists) {
      ctx.progress(`Deployment ${spec.deployment} exists already: its TTL is left as it is (change it with: cloud-engine ttl ${spec.deployment} <duration> --project ${spec.project}).`);
      ttl = undefined;
    }
  }
  const session = await orchestrator
    .startSession(ctx.user, spec.project, spec.provider, { ...(spec.deployment === undefined ? {} : { deployment: spec.deployment }), ...(ttl === undefined ? {} : { ttl }) })
    .catch((error: unknown) => {
      throw inSpec(error, ttlOption === undefined ? source : '--ttl', { projectId: 'project', provider: 'provider' });
    });
  ctx.setSession(session.id);
  const cancel = () => orchestrator.cancelSession(session.id, ctx.user).catch(() => undefined);
  let deployment: DeploymentView;
  try {
    deployment = await deployments.get(session.deploymentId);
  } catch (error) {
    await cancel();
    throw error;
  }
  const what = deployment.state === 'NEW' ? 'new' : `${deployment.state}, version ${deployment.version}`;
  ctx.say(`Session ${session.id} started by ${ctx.user} in project ${session.projectId} (${session.provider}) for deployment ${deployment.name} (${what})`);

  const { steps, unchanged } = convergence(session.resources, spec.resources, registryJudge(registries.resourceTypes));
  for (const step of steps) {
    try {
      if (step.action === 'add') await orchestrator.addResource(session.id, ctx.user, { type: step.resource.type, name: step.resource.name, config: step.resource.config });
      else if (step.action === 'update') await orchestrator.updateResource(session.id, ctx.user, { name: step.resource.name, config: step.resource.config });
      else await orchestrator.removeResource(session.id, ctx.user, step.resource.name);
    } catch (error) {
      await cancel();
      if (step.index !== undefined) throw inSpec(error, `${source}: resources.${step.index} (${step.resource.name})`, {}, `resources.${step.index}.`);
      // The spec no longer lists it, so no field of the spec holds it: the list does.
      throw inSpec(error, `${source}: removing ${step.resource.name}, which the spec no longer lists`, { name: 'resources' });
    }
    ctx.say(stepLine(step));
  }
  if (unchanged.length > 0) ctx.say(`= unchanged: ${unchanged.join(', ')}`);

  ctx.say('Planning…');
  let plan: PlanResult;
  try {
    plan = await orchestrator.runPlan(session.id, ctx.user, { onOutput: (line) => ctx.progress(line) });
  } catch (error) {
    const after = await orchestrator.getSession(session.id).catch(() => undefined);
    if (after) ctx.progress(`Session ${session.id} is ${after.state}.`);
    if (spec.deployment !== undefined && after && after.state === 'PLAN_FAILED') {
      await cancel();
      ctx.progress(`Cancelled session ${session.id} so deployment ${deployment.name} is not left locked; fix the spec and run again.`);
    }
    throw error;
  }
  if (steps.length === 0 && changesNothing(plan)) {
    for (const line of planLines(plan)) ctx.say(line);
    await orchestrator.cancelSession(session.id, ctx.user);
    ctx.say(`Deployment ${deployment.name} is already up to date: it holds the spec's resources and the plan changes nothing. Nothing was applied.`);
    ctx.say(`Session ${session.id} CANCELLED: deployment ${deployment.name} stays at version ${deployment.version} and is not locked.`);
    return { sessionId: session.id, plan, deployment, upToDate: true };
  }
  ctx.say(`Session ${session.id} PLAN_READY with plan ${plan.id}`);
  for (const line of planLines(plan)) ctx.say(line);
  return { sessionId: session.id, plan, deployment, upToDate: false };
}

/** A plan terraform reports as changing nothing. */
export function changesNothing(plan: PlanSummary): boolean {
  return plan.toAdd === 0 && plan.toChange === 0 && plan.toDestroy === 0 && plan.changes.length === 0;
}

/**
 * Points a kernel refusal at the spec: INVALID_INPUT and NOT_FOUND get the
 * file in the message and the spec's field path (`resources.1.config.size`).
 */
function inSpec(error: unknown, where: string, renames: Record<string, string>, prefix = ''): unknown {
  if (!isCloudEngineError(error) || (error.code !== 'INVALID_INPUT' && error.code !== 'NOT_FOUND')) return error;
  const field = error.field === undefined ? undefined : `${prefix}${renames[error.field] ?? error.field}`;
  return new CloudEngineError(error.code, `${where}: ${error.message}`, {
    field,
    value: error.value,
    details: error.details,
    cause: error,
  });
}
