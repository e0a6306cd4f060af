import type { Command } from 'commander';
import { parseStates, parseWholeNumber } from '../kernel/arguments.js';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';
import { sessionJson } from './session-output.js';
import { formatTable } from './table.js';

interface SessionsOptions extends OutputOptions {
  project?: string;
  state?: string[];
  mine?: boolean;
  limit: string;
}

/** `cloud-engine sessions`: sessions of the projects you can read, newest first. */
export function registerSessionsCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('sessions')
      .description('List sessions of the projects you can read, newest first.')
      .option('--project <project>', 'only this project')
      .option('--state <states...>', 'only these states, e.g. --state PLAN_READY APPLYING (or comma-separated)')
      .option('--mine', 'only sessions you started')
      .option('--limit <n>', 'at most this many', '50'),
  ).action(async (options: SessionsOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      const sessions = await ctx.kernel.orchestrator.listSessions(
        { projectId: options.project, states: parseStates(options.state, '--state'), userId: options.mine ? ctx.user : undefined, limit: parseWholeNumber(options.limit, '--limit', { min: 1, max: 999_999 }) },
        ctx.user,
      );
      if (ctx.json) {
        ctx.result({ sessions: sessions.map(sessionJson) });
        return;
      }
      if (sessions.length === 0) {
        ctx.say('No sessions match.');
        return;
      }
      const rows = sessions.map((session) => [
        session.id,
        session.projectId,
        session.deploymentName,
        session.state,
        session.userId,
        String(session.resources.length),
        session.plan?.summary ?? session.error?.split('\n')[0]?.slice(0, 60) ?? '',
        session.updatedAt.toISOString(),
      ]);
      for (const line of formatTable(['SESSION', 'PROJECT', 'DEPLOYMENT', 'STATE', 'OWNER', 'RESOURCES', 'PLAN / ERROR', 'UPDATED'], rows)) ctx.say(line);
    });
  });
}
