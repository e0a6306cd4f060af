import type { Command } from 'commander';
import { isDeploymentState, type DeploymentState } from '../kernel/sessions/deployment-state.js';
import { CloudEngineError, describeValue } from '../kernel/errors.js';
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
        { projectId: options.project, states: parseStates(options.state), userId: options.mine ? ctx.user : undefined, limit: parseLimit(options.limit) },
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
        session.state,
        session.userId,
        String(session.resources.length),
        session.plan?.summary ?? session.error?.split('\n')[0]?.slice(0, 60) ?? '',
        session.updatedAt.toISOString(),
      ]);
      for (const line of formatTable(['SESSION', 'PROJECT', 'STATE', 'OWNER', 'RESOURCES', 'PLAN / ERROR', 'UPDATED'], rows)) ctx.say(line);
    });
  });
}

/** `--state plan_ready,APPLYING FAILED` → the states, upper-cased; an unknown one names the choices. */
export function parseStates(values: readonly string[] | undefined): DeploymentState[] | undefined {
  if (!values?.length) return undefined;
  const states = values.flatMap((value) => value.split(',')).map((value) => value.trim().toUpperCase()).filter(Boolean);
  for (const state of states) {
    if (!isDeploymentState(state)) {
      throw new CloudEngineError(
        'INVALID_INPUT',
        `Invalid --state: ${describeValue(state)} is not a session state; use DRAFT, VALIDATING, PLANNING, PLAN_READY, PLAN_FAILED, APPROVED, APPLYING, APPLIED, FAILED or CANCELLED.`,
        { field: 'state', value: state },
      );
    }
  }
  return states as DeploymentState[];
}

function parseLimit(text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) {
    throw new CloudEngineError('INVALID_INPUT', `Invalid --limit: expected a whole number of at least 1; received ${describeValue(text)}.`, { field: 'limit', value: text });
  }
  return Number(text);
}
