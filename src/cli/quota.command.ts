import type { Command } from 'commander';
import { parseQuotaLimit } from '../kernel/arguments.js';
import { renderQuotaBar } from '../kernel/quotas/quota-bar.js';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';
import { formatTable } from './table.js';

/** `cloud-engine quota <project>` (usage bars) and `quota set <project> <key> <limit>`. */
export function registerQuotaCommand(program: Command, runtime: CliRuntime): void {
  const quota = withJsonOption(
    program.command('quota').description("Show a project's quota usage (read access).").argument('<project>'),
  ).action(async (projectId: string, options: OutputOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const project = await ctx.kernel.projects.get(projectId);
      await ctx.kernel.authorizer.authorize({ userId: ctx.user, action: 'project.view', projectId: project.id });
      const usage = await ctx.kernel.quotas.usage(project.id);
      if (ctx.json) {
        ctx.result({ projectId: project.id, quotas: usage });
        return;
      }
      if (usage.length === 0) {
        ctx.say(`Project ${project.id} has no quotas set and nothing deployed.`);
        return;
      }
      ctx.say(`Quotas of project ${project.id}:`);
      const rows = usage.map((row) => {
        const inUse = row.used + row.reserved;
        const reserved = row.reserved > 0 ? ` (${row.reserved} reserved)` : '';
        return [row.quotaKey, row.limit === null ? `${inUse} in use, no limit${reserved}` : `${renderQuotaBar(inUse, row.limit)}${reserved}`];
      });
      for (const line of formatTable(['KEY', 'USAGE'], rows)) ctx.say(`  ${line}`);
    });
  });
  withJsonOption(
    quota
      .command('set')
      .description("Set a project's limit for a quota key (project admins); `none` removes the limit.")
      .argument('<project>')
      .argument('<quota-key>', 'e.g. compute_vm, storage_bucket, database')
      .argument('<limit>', 'a whole number, or none'),
  ).action(async (projectId: string, quotaKey: string, limitText: string, options: OutputOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const limit = parseQuotaLimit(limitText);
      await ctx.kernel.quotas.set({ projectId, quotaKey, limit, setBy: ctx.user });
      if (ctx.json) ctx.result({ projectId, quotaKey, limit });
      ctx.say(limit === null ? `Removed the ${quotaKey} limit of project ${projectId}.` : `Set the ${quotaKey} limit of project ${projectId} to ${limit}.`);
    });
  });
}
