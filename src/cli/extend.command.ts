import type { Command } from 'commander';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';
import { findDeployment } from './deployments.command.js';
import { sayTtl } from './ttl.command.js';

interface ExtendOptions extends OutputOptions {
  project?: string;
  by?: string;
}

/** `cloud-engine extend <deployment> [--by 1h]`: moves a deployment's expiry later, within the project's maximum. */
export function registerExtendCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('extend')
      .description("Move a deployment's expiry later: by --by, or the project's default TTL (refused past the project's maximum, which the error names). Needs deploy access.")
      .argument('<deployment>', 'deployment id or name')
      .option('--by <duration>', "how much later (30m, 2h, 1d); default the project's default TTL")
      .option('--project <project>', 'the project of the deployment (when its name is in several)'),
  ).action(async (idOrName: string, options: ExtendOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const deployment = await findDeployment(ctx, idOrName, options.project);
      sayTtl(ctx, deployment.name, await ctx.kernel.orchestrator.extendTtl(deployment.id, ctx.user, options.by));
    });
  });
}
