import type { Command } from 'commander';
import type { AccessLevel } from '../kernel/access/authorizer.js';
import { parseDurationArgument } from '../kernel/arguments.js';
import { formatDuration } from '../kernel/config/duration.js';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';

interface GrantOptions extends OutputOptions {
  for?: string;
}

/** `cloud-engine grant <user> <project> <level> [--for 2h]`: just-in-time access. */
export function registerGrantCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('grant')
      .description('Grant a user read, deploy or admin on a project (project admins; never above your own level).')
      .argument('<user>')
      .argument('<project>')
      .argument('<level>', 'read, deploy or admin')
      .option('--for <duration>', 'let the grant expire after this long: 90m, 2h, 7d, 1w'),
  ).action(async (user: string, project: string, level: string, options: GrantOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const ms = options.for === undefined ? undefined : parseDurationArgument(options.for, '--for');
      const expiresAt = ms === undefined ? undefined : new Date(Date.now() + ms);
      const grant = await ctx.kernel.access.grant({ projectId: project, userId: user, level: level as AccessLevel, grantedBy: ctx.user, expiresAt });
      if (ctx.json) {
        ctx.result({ grant: { ...grant, grantedAt: grant.grantedAt.toISOString(), expiresAt: grant.expiresAt?.toISOString() ?? null } });
      }
      const until = grant.expiresAt && ms ? ` until ${grant.expiresAt.toISOString()} (${formatDuration(ms!)})` : ' with no expiry';
      ctx.say(`Granted ${grant.level} on project ${grant.projectId} to ${grant.userId}${until}.`);
    });
  });
}
