import type { Command } from 'commander';
import type { TtlView } from '../kernel/lifecycle/ttl.js';
import { runCommand, withJsonOption, type CliContext, type CliRuntime, type OutputOptions } from './cli-context.js';
import { findDeployment } from './deployments.command.js';

interface TtlOptions extends OutputOptions {
  project?: string;
}

/** `cloud-engine ttl <deployment> <duration|none>`: sets (from now) or clears when a deployment expires. */
export function registerTtlCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('ttl')
      .description("Set when a deployment expires, from now (30m, 2h, 7d; within the project's maximum), or `none` so it never does. Needs deploy access.")
      .argument('<deployment>', 'deployment id or name')
      .argument('<duration>', 'a duration such as 2h, or none')
      .option('--project <project>', 'the project of the deployment (when its name is in several)'),
  ).action(async (idOrName: string, duration: string, options: TtlOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const deployment = await findDeployment(ctx, idOrName, options.project);
      const ttl = await ctx.kernel.orchestrator.setTtl(deployment.id, ctx.user, duration.toLowerCase() === 'none' ? null : duration);
      sayTtl(ctx, deployment.name, ttl);
    });
  });
}

/** Prints a deployment's expiry (and its reminders) as `ttl` and `extend` answer. */
export function sayTtl(ctx: CliContext, name: string, ttl: TtlView): void {
  if (ctx.json) {
    ctx.result({ deploymentId: ttl.deploymentId, expiresAt: ttl.expiresAt?.toISOString() ?? null, reminders: ttl.reminders.map((at) => at.toISOString()) });
    return;
  }
  if (!ttl.expiresAt) {
    ctx.say(`Deployment ${name} does not expire.`);
    return;
  }
  ctx.say(`Deployment ${name} expires at ${ttl.expiresAt.toISOString()}; then Cloud Engine tears it down.`);
  if (ttl.reminders.length) ctx.say(`Reminders at: ${ttl.reminders.map((at) => at.toISOString()).join(', ')}`);
}
