import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerApproveCommand } from './approve.command.js';
import { registerCancelCommand } from './cancel.command.js';
import { registerDashboardLinkCommand } from './dashboard-link.command.js';
import { processIO, reportError, type CliIO, type CliRuntime } from './cli-context.js';
import { ExitCode, errorJson, exitCodeFor } from './cli-errors.js';
import { runDemo } from './demo.js';
import { registerDeployCommand } from './deploy.command.js';
import { registerDeploymentsCommand } from './deployments.command.js';
import { registerDestroyCommand } from './destroy.command.js';
import { registerGrantCommand } from './grant.command.js';
import { registerAccessCommand } from './access.command.js';
import { registerPlanCommand } from './plan.command.js';
import { registerProjectsCommand } from './projects.command.js';
import { registerQuotaCommand } from './quota.command.js';
import { registerRevokeCommand } from './revoke.command.js';
import { registerRegisterCommandsCommand } from './register-commands.command.js';
import { registerSessionsCommand } from './sessions.command.js';
import { startCommand } from './start.js';
import { workerCommand } from './worker.js';
import { registerTtlCommand } from './ttl.command.js';
import { registerExtendCommand } from './extend.command.js';
import { registerDriftCommand } from './drift.command.js';
import { registerSynthCommand } from './synth.command.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The `cloud-engine` command and every subcommand, writing through `runtime.io`. */
export function createProgram(runtime: CliRuntime): Command {
  const { io } = runtime;
  const program = new Command()
    .name('cloud-engine')
    .description(
      'Deploy cloud infrastructure from chat: plan first, approve, apply.\n' +
        'Subcommands act as CLOUD_ENGINE_USER (else the OS user). Exit codes: 0 ok, 1 failure, 2 user error (invalid input, permission, policy, quota, locked).',
    )
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text) })
    .showHelpAfterError('(add --help for usage)');

  program
    .command('start')
    .description('Start Cloud Engine: the configured chat adapters and the web dashboard (CLOUD_ENGINE_DASHBOARD_PORT/_HOST, default 127.0.0.1:8080), or the sandbox demo when none is configured.')
    .option('--no-dashboard', 'do not serve the web dashboard')
    .option('--no-runner', 'leave terraform to `cloud-engine worker` processes (the PostgreSQL job queue, CLOUD_ENGINE_DATABASE_URL)')
    .action(async (options: { dashboard: boolean; runner: boolean }) => {
      runtime.exitCode = await startCommand({ dashboard: options.dashboard, runner: options.runner });
    });

  program
    .command('worker')
    .description('Run terraform jobs from the PostgreSQL job queue (CLOUD_ENGINE_DATABASE_URL), up to CLOUD_ENGINE_MAX_TERRAFORM at a time, until stopped; fronts (`start`) hand them out.')
    .action(async () => {
      runtime.exitCode = await workerCommand(io);
    });

  program
    .command('demo')
    .description('Deploy a sandbox VM and bucket through the API on the embedded default, streaming the output.')
    .option('--boot-seconds <n>', 'how long the demo VM takes to boot', (value) => Number.parseInt(value, 10), 3)
    .action(async (options: { bootSeconds: number }) => {
      runtime.exitCode = await runDemo({ bootSeconds: options.bootSeconds });
    });

  registerProjectsCommand(program, runtime);
  registerGrantCommand(program, runtime);
  registerAccessCommand(program, runtime);
  registerRevokeCommand(program, runtime);
  registerQuotaCommand(program, runtime);
  registerSessionsCommand(program, runtime);
  registerPlanCommand(program, runtime);
  registerDeployCommand(program, runtime);
  registerDeploymentsCommand(program, runtime);
  registerDestroyCommand(program, runtime);
  registerTtlCommand(program, runtime);
  registerExtendCommand(program, runtime);
  registerDriftCommand(program, runtime);
  registerApproveCommand(program, runtime);
  registerCancelCommand(program, runtime);
  registerSynthCommand(program, runtime);
  registerDashboardLinkCommand(program, runtime);
  registerRegisterCommandsCommand(program, runtime);
  return program;
}

/** Parses `argv` (as in process.argv) and runs the subcommand; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const runtime: CliRuntime = { io, exitCode: ExitCode.OK };
  const program = createProgram(runtime);
  try {
    await program.parseAsync([...argv]);
    return runtime.exitCode;
  } catch (error) {
    // Commander has already printed its usage errors (and help or the version, exit 0).
    if (error instanceof CommanderError) {
      const code = exitCodeFor(error);
      if (code !== ExitCode.OK && argv.includes('--json')) io.stdout(`${JSON.stringify(errorJson(error), null, 2)}\n`);
      return code;
    }
    // start and demo open their own kernel; their errors (a bad configuration value) end here.
    reportError(io, error, { json: false });
    return exitCodeFor(error);
  }
}
