import type { Command } from 'commander';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';

/** `cloud-engine cancel <session-id>`: for plans a script decided not to apply. */
export function registerCancelCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(
    program
      .command('cancel')
      .description('Cancel a session; a running plan stops, a running apply is interrupted (terraform saves state).')
      .argument('<session-id>'),
  ).action(async (sessionId: string, options: OutputOptions) => {
    runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
      ctx.setSession(sessionId);
      const session = await ctx.kernel.orchestrator.cancelSession(sessionId, ctx.user);
      if (ctx.json) ctx.result({ sessionId, state: session.state, error: session.error });
      ctx.say(`Session ${sessionId} ${session.state}`);
    });
  });
}
