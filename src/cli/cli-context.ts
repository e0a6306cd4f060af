import { createKernel } from '../engine.js';
import type { Kernel } from '../kernel/kernel.js';
import { CloudEngineError, describeValue } from '../kernel/errors.js';
import { USER_ID } from '../kernel/validation.js';
import type { KernelOptions } from '../kernel/config/engine-config.js';
import { safeWriter, type SafeWrite } from '../plugins/console/safe-output.js';
import { consoleUserId } from './demo.js';
import { ExitCode, errorJson, errorText, exitCodeFor } from './cli-errors.js';
import { readAtMost } from './spec-file.js';

/** Where a command reads and writes; the process's streams, or buffers in tests. */
export interface CliIO {
  readonly env: Record<string, string | undefined>;
  /** Raw text to stdout: results, and nothing else under `--json`. */
  stdout(text: string): void;
  /** Raw text to stderr: terraform output, progress, errors. */
  stderr(text: string): void;
  /** At most `maxBytes` bytes of stdin: a spec is bounded, and stdin may never end. */
  readStdin(maxBytes: number): Promise<string | Uint8Array>;
}

let stdoutWrite: SafeWrite | undefined;
let stderrWrite: SafeWrite | undefined;
const writeStderr: SafeWrite = (text) => (stderrWrite ??= safeWriter(process.stderr))(text);
const writeStdout: SafeWrite = (text) =>
  (stdoutWrite ??= safeWriter(process.stdout, (error) => {
    const code = (error as NodeJS.ErrnoException).code ?? error.message;
    writeStderr(`warning: stdout is closed (${code}); the command carries on to its end, and what it would print there is dropped.\n`);
  }))(text);

/**
 * The real process's environment and streams. Output never stops a command:
 * a closed stdout or stderr (`| head`) drops what follows instead of killing
 * an apply half-way, and the exit code still says how the command ended.
 */
export const processIO: CliIO = {
  env: process.env,
  stdout: writeStdout,
  stderr: writeStderr,
  readStdin: (maxBytes) => readAtMost(process.stdin, maxBytes),
};

/** Options every scripting subcommand accepts. */
export interface OutputOptions {
  json?: boolean;
}

/** What a subcommand works with: a kernel, the acting user, and the three kinds of output. */
export interface CliContext {
  readonly kernel: Kernel;
  /** CLOUD_ENGINE_USER, else the OS user. */
  readonly user: string;
  readonly io: CliIO;
  readonly json: boolean;
  /** A line for people; on stdout, or on stderr under `--json` so stdout stays parseable. */
  say(line: string): void;
  /** Streamed progress (terraform lines): always stderr. */
  progress(line: string): void;
  /** The machine-readable result; printed only under `--json`. */
  result(value: unknown): void;
  /** Names the session an error belongs to, so `--json` errors can carry it. */
  setSession(sessionId: string): void;
}

/** A subcommand's body; it returns its exit code (OK when nothing is returned) or throws. */
export type CommandWork = (ctx: CliContext) => Promise<ExitCode | void>;

/** Kernel options for scripting subcommands: quiet logs unless CLOUD_ENGINE_LOG_LEVEL says otherwise. */
export function cliKernelOptions(env: Record<string, string | undefined>): KernelOptions {
  return env.CLOUD_ENGINE_LOG_LEVEL ? { env } : { env, logLevel: 'warn' };
}

/**
 * Runs one subcommand: opens the kernel, gives a fresh data dir its sandbox
 * project (administered by the acting user, as the demo does), runs `work`,
 * reports any error as `code: message` (and `{ error }` under `--json`) and
 * closes the kernel. Returns the process exit code.
 */
export async function runCommand(io: CliIO, options: OutputOptions, work: CommandWork): Promise<ExitCode> {
  const json = options.json === true;
  let sessionId: string | undefined;
  let kernel: Kernel | undefined;
  try {
    const user = consoleUserId(io.env.CLOUD_ENGINE_USER);
    if (!USER_ID.test(user)) {
      throw new CloudEngineError('CONFIG_INVALID', `Invalid CLOUD_ENGINE_USER: expected 1-64 letters, digits and ._@:-; received ${describeValue(user)}.`, {
        field: 'CLOUD_ENGINE_USER',
        value: user,
      });
    }
    kernel = await createKernel(cliKernelOptions(io.env));
    await kernel.projects.bootstrap({ id: 'sandbox', provider: 'sandbox', adminUserId: user });
    const ctx: CliContext = {
      kernel,
      user,
      io,
      json,
      say: (line) => (json ? io.stderr(`${line}\n`) : io.stdout(`${line}\n`)),
      progress: (line) => io.stderr(`${line}\n`),
      result: (value) => {
        if (json) io.stdout(`${JSON.stringify(value, null, 2)}\n`);
      },
      setSession: (id) => {
        sessionId = id;
      },
    };
    return (await work(ctx)) ?? ExitCode.OK;
  } catch (error) {
    reportError(io, error, { json, sessionId });
    return exitCodeFor(error);
  } finally {
    await kernel?.close().catch((error: unknown) => io.stderr(`warning: closing the kernel failed: ${(error as Error)?.message ?? String(error)}\n`));
  }
}

/** Prints an error the way every subcommand does. */
export function reportError(io: CliIO, error: unknown, options: { json: boolean; sessionId?: string }): void {
  const level = io.env.CLOUD_ENGINE_LOG_LEVEL;
  io.stderr(`${errorText(error, { debug: level === 'debug' || level === 'trace' })}\n`);
  if (options.json) io.stdout(`${JSON.stringify(errorJson(error, options.sessionId), null, 2)}\n`);
}

/** What subcommands share while commander parses: the streams, and the exit code to end with. */
export interface CliRuntime {
  readonly io: CliIO;
  /** 0 ok, 1 failure, 2 user error (see ExitCode). */
  exitCode: number;
}

/** Adds `--json` to a subcommand. */
export function withJsonOption<T extends { option(flags: string, description: string): T }>(command: T): T {
  return command.option('--json', 'print machine-readable JSON on stdout (people-facing lines go to stderr)');
}
