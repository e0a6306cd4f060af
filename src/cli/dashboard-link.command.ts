import type { Command } from 'commander';
import { loadDashboardConfig } from '../dashboard/dashboard-config.js';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';

/**
 * `cloud-engine dashboard-link`: a single-use sign-in link to the dashboard
 * for CLOUD_ENGINE_USER, valid 5 minutes; the URL alone on the last line
 * (built on CLOUD_ENGINE_DASHBOARD_URL, else http://<host>:<port>).
 */
export function registerDashboardLinkCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('dashboard-link')
      .description('Print a single-use link (valid 5 minutes) that signs CLOUD_ENGINE_USER in to the dashboard; the URL is alone on the last line.'),
  ).action(async (options: OutputOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const config = loadDashboardConfig({}, ctx.io.env);
      const link = await ctx.kernel.signIns.issueLink(ctx.user, config.publicUrl);
      ctx.result({ url: link.url, userId: ctx.user, expiresAt: link.expiresAt.toISOString() });
      ctx.say(`Sign-in link for ${ctx.user}: it works once, until ${link.expiresAt.toISOString()}.`);
      ctx.say(link.url);
    });
  });
}
