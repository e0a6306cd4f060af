import type { Command } from 'commander';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';

/** `cloud-engine revoke <user> <project>`: takes effect at the user's next action. */
export function registerRevokeCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program.command('revoke').description("Remove a user's grant on a project (project admins).").argument('<user>').argument('<project>'),
  ).action(async (user: string, project: string, options: OutputOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      await ctx.kernel.access.revoke({ projectId: project, userId: user, revokedBy: ctx.user });
      if (ctx.json) ctx.result({ revoked: { projectId: project, userId: user } });
      ctx.say(`Revoked ${user}'s access to project ${project}.`);
    });
  });
}
