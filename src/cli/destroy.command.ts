import type { Command } from 'commander';
import { CloudEngineError, isCloudEngineError } from '../kernel/errors.js';
import type { DeploymentView } from '../kernel/deployments/deployment-service.js';
import type { PlanResult } from '../kernel/sessions/session-view.js';
import { applySession } from './approve.command.js';
import { ExitCode } from './cli-errors.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { findDeployment } from './deployments.command.js';
import { deploymentRef, planLines, planOutput } from './session-output.js';

interface DestroyOptions extends OutputOptions {
  project?: string;
  approve?: boolean;
}

/** `cloud-engine destroy <deployment> [--approve]`: plan a deployment's teardown, and with --approve apply it. */
export function registerDestroyCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('destroy')
      .description(
        'Plan the teardown of a deployment (a change removing all its resources) and show it; with --approve, apply that plan, after which the deployment is DESTROYED.',
      )
      .argument('<deployment>', 'deployment name or id (see `cloud-engine deployments`)')
      .option('--project <project>', 'the project the deployment belongs to (needed when several projects have a deployment of that name)')
      .option('--approve', 'approve and apply the teardown right away (exit 1 if the apply fails)'),
  ).action(async (name: string, options: DestroyOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const target = await findDeployment(ctx, name, options.project);
      if (target.state !== 'ACTIVE') {
        throw new CloudEngineError(
          'INVALID_STATE',
          `Deployment ${target.name} in project ${target.projectId} is ${target.state}: it holds no resources, so there is nothing to tear down.`,
          { field: 'deployment', value: name, details: { deploymentId: target.id, state: target.state } },
        );
      }
      const { sessionId, plan } = await planTeardown(ctx, target);
      if (!options.approve) {
        if (ctx.json) ctx.result({ sessionId, state: 'PLAN_READY', deployment: deploymentRef(target), plan: planOutput(plan) });
        ctx.say(`Not applied: run with --approve, or apply this teardown with: cloud-engine approve ${sessionId} --plan ${plan.id}`);
        return ExitCode.OK;
      }
      // Exactly the teardown just shown: a re-plan from elsewhere in between is refused, not applied.
      const final = await applySession(ctx, sessionId, plan.id);
      const after = await ctx.kernel.deployments.get(target.id);
      if (final.state === 'APPLIED') ctx.say(`Deployment ${after.name} ${after.state} at version ${after.version}`);
      if (ctx.json) ctx.result({ sessionId, state: final.state, deployment: deploymentRef(after), plan: planOutput(plan), error: final.error });
      return final.state === 'APPLIED' && after.state === 'DESTROYED' ? ExitCode.OK : ExitCode.FAILURE;
    });
  });
}

/**
 * Opens the teardown change and plans it, streaming terraform to stderr,
 * and prints the plan. A teardown that cannot be planned (a policy,
 * terraform) is cancelled, so the deployment is not left locked by it; a
 * LOCKED refusal opened nothing, and someone else's open change is never
 * touched.
 */
async function planTeardown(ctx: CliContext, target: DeploymentView): Promise<{ sessionId: string; plan: PlanResult }> {
  const { orchestrator, deployments } = ctx.kernel;
  const startedAt = Date.now();
  ctx.say(`Planning the teardown of deployment ${target.name} in project ${target.projectId} (version ${target.version}, ${target.resources.length} resources)…`);
  let plan: PlanResult;
  try {
    plan = await orchestrator.destroyDeployment(target.id, ctx.user, { onOutput: (line) => ctx.progress(line) });
  } catch (error) {
    if (!isCloudEngineError(error, 'LOCKED')) await withdrawOwnChange(ctx, target, startedAt);
    throw error;
  }
  const sessionId = (await deployments.get(target.id)).openSessionId;
  if (sessionId === null) throw new Error(`deployment ${target.id} has no open change after its teardown was planned`);
  ctx.setSession(sessionId);
  ctx.say(`Session ${sessionId} PLAN_READY with plan ${plan.id}`);
  for (const line of planLines(plan)) ctx.say(line);
  return { sessionId, plan };
}

async function withdrawOwnChange(ctx: CliContext, target: DeploymentView, startedAt: number): Promise<void> {
  const { orchestrator, deployments } = ctx.kernel;
  const openId = (await deployments.get(target.id).catch(() => undefined))?.openSessionId;
  if (!openId) return;
  const open = await orchestrator.getSession(openId).catch(() => undefined);
  // Only the change this command opened: the user's, started just now, still open for edits.
  if (!open || open.userId !== ctx.user || open.createdAt.getTime() < startedAt - 1000 || !['DRAFT', 'PLAN_FAILED'].includes(open.state)) return;
  ctx.setSession(openId);
  ctx.progress(`Session ${openId} is ${open.state}.`);
  if (await orchestrator.cancelSession(openId, ctx.user).then(() => true, () => false)) {
    ctx.progress(`Cancelled session ${openId} so deployment ${target.name} is not left locked.`);
  }
}
