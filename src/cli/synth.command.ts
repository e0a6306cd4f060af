import type { Command } from 'commander';
import { runCommand, type CliRuntime } from './cli-context.js';

/** `cloud-engine synth <session-id>`: the Terraform JSON, without running terraform. */
export function registerSynthCommand(program: Command, runtime: CliRuntime): void {
  program
    .command('synth')
    .description('Print the Terraform JSON a session synthesizes to, without running terraform.')
    .argument('<session-id>')
    .action(async (sessionId: string) => {
      runtime.exitCode = await runCommand(runtime.io, {}, async (ctx) => {
        const { config } = await ctx.kernel.orchestrator.synthesize(sessionId, ctx.user);
        ctx.io.stdout(`${JSON.stringify(config, null, 2)}\n`);
      });
    });
}
