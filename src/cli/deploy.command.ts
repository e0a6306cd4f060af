import type { Command } from 'commander';
import { ExitCode } from './cli-errors.js';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';
import { applySession } from './approve.command.js';
import { planOutput } from './session-output.js';
import { planSpec } from './plan.command.js';

interface DeployOptions extends OutputOptions {
  approve?: boolean;
}

/** `cloud-engine deploy <spec> [--approve]`: plan, and with --approve apply that plan at once. */
export function registerDeployCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('deploy')
      .description('Plan a spec file like `plan`; with --approve, approve and apply that plan, streaming the apply to stderr.')
      .argument('<spec>', 'spec file: { project, provider?, resources: [{ type, name, config? }] } (YAML or JSON, - for stdin)')
      .option('--approve', 'approve and apply the plan right away (exit 1 if the apply fails)'),
  ).action(async (spec: string, options: DeployOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const { sessionId, plan } = await planSpec(ctx, spec);
      if (!options.approve) {
        if (ctx.json) ctx.result({ sessionId, state: 'PLAN_READY', plan: planOutput(plan) });
        ctx.say(`Not applied: run with --approve, or approve this plan with: cloud-engine approve ${sessionId} --plan ${plan.id}`);
        return ExitCode.OK;
      }
      // Exactly the plan just shown: a re-plan from elsewhere in between is refused, not applied.
      const final = await applySession(ctx, sessionId, plan.id);
      if (ctx.json) ctx.result({ sessionId, state: final.state, plan: planOutput(plan), outputs: final.outputs ?? {}, error: final.error });
      return final.state === 'APPLIED' ? ExitCode.OK : ExitCode.FAILURE;
    });
  });
}
