import type { Command } from 'commander';
import { ExitCode } from './cli-errors.js';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';
import { applySession } from './approve.command.js';
import { deploymentRef, planOutput } from './session-output.js';
import { TTL_OPTION, planSpec, specPlanJson } from './plan.command.js';

interface DeployOptions extends OutputOptions {
  approve?: boolean;
  ttl?: string;
}

/** `cloud-engine deploy <spec> [--approve]`: converge the spec's deployment; plan, and with --approve apply that plan at once. */
export function registerDeployCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('deploy')
      .description('Plan a spec file like `plan`; with --approve, apply that plan, streaming the apply to stderr (a deployment already up to date applies nothing).')
      .argument('<spec>', 'spec file: { project, provider?, deployment?, ttl?, resources: [{ type, name, config? }] } (YAML or JSON, - for stdin)')
      .option('--approve', 'approve and apply the plan right away (exit 1 if the apply fails)')
      .option('--ttl <duration>', TTL_OPTION),
  ).action(async (spec: string, options: DeployOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const planned = await planSpec(ctx, spec, options.ttl);
      const { sessionId, plan } = planned;
      if (planned.upToDate) {
        if (ctx.json) ctx.result(specPlanJson(planned));
        return ExitCode.OK;
      }
      if (!options.approve) {
        if (ctx.json) ctx.result(specPlanJson(planned));
        ctx.say(`Not applied: run with --approve, or approve this plan with: cloud-engine approve ${sessionId} --plan ${plan.id}`);
        return ExitCode.OK;
      }
      // Exactly the plan just shown: a re-plan from elsewhere in between is refused, not applied.
      const final = await applySession(ctx, sessionId, plan.id);
      const deployment = await ctx.kernel.deployments.get(planned.deployment.id);
      if (final.state === 'APPLIED') ctx.say(`Deployment ${deployment.name} ${deployment.state} at version ${deployment.version}${deployment.expiresAt ? `, expires at ${deployment.expiresAt.toISOString()}` : ''}`);
      if (ctx.json) {
        ctx.result({ sessionId, state: final.state, upToDate: false, deployment: deploymentRef(deployment), plan: planOutput(plan), outputs: final.outputs ?? {}, error: final.error });
      }
      return final.state === 'APPLIED' ? ExitCode.OK : ExitCode.FAILURE;
    });
  });
}
