import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TerraformError, type TerraformErrorDetails } from './terraform-error.js';
import {
  LineBuffer,
  parseTerraformJsonLine,
  readDiagnostic,
  formatDiagnostic,
  type TerraformCommand,
  type TerraformEvent,
} from './terraform-events.js';
import { failureMessage, parseStderrDiagnostics, spawnFailure } from './terraform-failure.js';

/** Terraform's `change_summary` counts. */
export interface TerraformChangeSummary {
  add: number;
  change: number;
  remove: number;
}

/** How a process's stdout is read: `-json` lines as events, plain lines as events, or kept whole for the caller to parse. */
export type OutputMode = 'json-stream' | 'text-stream' | 'capture';

/** What a terraform process that exited 0 left behind. */
export interface Execution {
  stdout: Buffer;
  diagnostics: string[];
  changeSummary?: TerraformChangeSummary;
}

/** One terraform command to run as one process. */
export interface ProcessRequest {
  command: TerraformCommand;
  args: string[];
  mode: OutputMode;
  env: NodeJS.ProcessEnv;
  /** Read as the process runs, as the caller's context holds them (the runner passes its TerraformContext). */
  ctx: { cwd: string; signal?: AbortSignal; onEvent?: (event: TerraformEvent) => void };
}

/** How one terraform process is started, bounded and accounted for. */
export interface ProcessSettings {
  binary: string;
  timeoutMs: number;
  /** How long terraform gets to stop after SIGINT before SIGKILL. */
  killGraceMs: number;
  logger?: { debug(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /** Called once the process has a pid, and once more when it has ended (never when it did not start). */
  onStarted?: () => void;
  onEnded?: () => void;
}

const STDERR_TAIL_CHARS = 4096;
// Stderr is kept whole for diagnostics parsing, up to a bound that no sane terraform error reaches.
const STDERR_KEEP_CHARS = 1024 * 1024;
// After terraform exits, a straggler it started may still hold the output pipes open.
const PIPE_DRAIN_MS = 2000;

/** The environment every terraform command runs with. */
export function commandEnv(ctx: { env?: Record<string, string | undefined> }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(ctx.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  Object.assign(env, { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' });
  // A CLI config path that does not exist makes terraform print a warning on
  // every command, which would reach chat; without one terraform uses its defaults.
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) env.TF_CLI_CONFIG_FILE = '';
  return env;
}

/**
 * Spawns terraform once and waits for it: streams its lines to `onEvent`, collects diagnostics and
 * the change summary, stops it on timeout or abort (SIGINT, then SIGKILL), and rejects with a
 * TerraformError that says how it ended.
 */
export function runTerraformProcess(request: ProcessRequest, settings: ProcessSettings): Promise<Execution> {
  const { command, args, mode, env, ctx } = request;
  const { binary, timeoutMs, killGraceMs, logger } = settings;

  return new Promise<Execution>((resolve, reject) => {
    const startedAt = Date.now();
    const emit = (event: TerraformEvent): void => {
      if (ctx.onEvent === undefined) return;
      try {
        ctx.onEvent(event);
      } catch (error) {
        logger?.warn({ err: error, command }, 'terraform event listener threw; output continues');
      }
    };

    // detached: terraform leads its own process group, so signals reach its providers and
    // local-exec commands too, as Ctrl-C in a terminal would, and SIGKILL leaves no orphans.
    const child = spawn(binary, args, { cwd: ctx.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pid = child.pid;
    if (pid !== undefined) {
      settings.onStarted?.();
      logger?.debug({ command, args, cwd: ctx.cwd, pid }, 'terraform started');
    }

    const stdoutChunks: Buffer[] = [];
    const stdoutLines = new LineBuffer();
    const stderrLines = new LineBuffer();
    const diagnostics: string[] = [];
    const errorDiagnostics: string[] = [];
    let changeSummary: TerraformChangeSummary | undefined;
    let stderr = '';
    let interruptedBy: 'timeout' | 'cancel' | undefined;
    let killed = false;
    let exitCode: number | null = null;
    let exitSignal: string | null = null;
    let exited = false;
    let finished = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;

    const signalGroup = (sig: NodeJS.Signals): void => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          // Already gone.
        }
      }
    };

    const interrupt = (reason: 'timeout' | 'cancel'): void => {
      if (interruptedBy !== undefined || exited) return;
      interruptedBy = reason;
      logger?.warn({ command, pid, reason, cwd: ctx.cwd }, 'stopping terraform with SIGINT');
      // SIGINT first: terraform stops at a safe point, writes state and releases its lock.
      signalGroup('SIGINT');
      killTimer = setTimeout(() => {
        killed = true;
        logger?.warn({ command, pid, graceMs: killGraceMs }, 'terraform ignored SIGINT; sending SIGKILL');
        signalGroup('SIGKILL');
      }, killGraceMs);
    };

    const timeoutTimer = setTimeout(() => interrupt('timeout'), timeoutMs);
    const onAbort = (): void => interrupt('cancel');
    ctx.signal?.addEventListener('abort', onAbort, { once: true });

    const handleStdoutLine = (line: string): void => {
      if (line.trim() === '') return;
      if (mode === 'text-stream') {
        emit({ type: 'stdout', level: 'info', message: line, command });
        return;
      }
      const event = parseTerraformJsonLine(line, command);
      if (event.type === 'diagnostic') {
        const diagnostic = readDiagnostic(event.raw?.diagnostic);
        if (diagnostic !== undefined) {
          const text = formatDiagnostic(diagnostic);
          const bucket = diagnostic.severity === 'error' ? errorDiagnostics : diagnostics;
          if (!bucket.includes(text)) bucket.push(text);
        }
      } else if (event.type === 'change_summary') {
        changeSummary = readChangeSummary(event.raw?.changes) ?? changeSummary;
      }
      emit(event);
    };

    const handleStderrLine = (line: string): void => {
      if (stderr.length < STDERR_KEEP_CHARS) stderr += `${line}\n`;
      if (line.trim() !== '') emit({ type: 'stderr', level: 'warn', message: line, command });
    };

    child.stdout?.on('data', (chunk: Buffer) => {
      if (mode === 'capture') stdoutChunks.push(chunk);
      else for (const line of stdoutLines.push(chunk)) handleStdoutLine(line);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of stderrLines.push(chunk)) handleStderrLine(line);
    });

    const cleanup = (): void => {
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      ctx.signal?.removeEventListener('abort', onAbort);
    };

    const finish = (spawnError?: NodeJS.ErrnoException): void => {
      if (finished) return;
      finished = true;
      exited = true;
      cleanup();
      if (pid !== undefined) settings.onEnded?.();
      if (mode !== 'capture') for (const line of stdoutLines.end()) handleStdoutLine(line);
      for (const line of stderrLines.end()) handleStderrLine(line);
      const stderrTail = stderr.slice(-STDERR_TAIL_CHARS);
      logger?.debug({ command, pid, exitCode, signal: exitSignal, ms: Date.now() - startedAt }, 'terraform exited');

      if (spawnError !== undefined) {
        reject(spawnFailure(binary, command, ctx.cwd, spawnError, stderrTail));
        return;
      }
      // Exit 0 after an interrupt means terraform finished the work anyway; reporting
      // failure would misstate what the state now holds.
      if (exitCode === 0) {
        resolve({ stdout: Buffer.concat(stdoutChunks), diagnostics, changeSummary });
        return;
      }
      const errors = errorDiagnostics.length > 0 ? errorDiagnostics : parseStderrDiagnostics(stderr);
      const details: TerraformErrorDetails = {
        command,
        exitCode,
        signal: exitSignal,
        timedOut: interruptedBy === 'timeout',
        cancelled: interruptedBy === 'cancel',
        diagnostics: errors,
        stderrTail,
      };
      reject(new TerraformError(failureMessage(details, timeoutMs, killed, killGraceMs), details));
    };

    child.on('error', (error: NodeJS.ErrnoException) => {
      // Only a failure to start ends the run here; a failed kill() is not fatal.
      if (pid === undefined) finish(error);
      else logger?.warn({ err: error, command, pid }, 'terraform child process error');
    });
    child.once('exit', (code, sig) => {
      exited = true;
      exitCode = code;
      exitSignal = sig;
      // Sweep whatever terraform left in its group after we interrupted it (e.g. local-exec grandchildren).
      if (interruptedBy !== undefined) signalGroup('SIGKILL');
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, PIPE_DRAIN_MS);
    });
    child.once('close', () => finish());
  });
}

/** The whole of a `capture` run's stdout as JSON, or a TerraformError saying it was not JSON. */
export function parseJsonOutput<T>(command: TerraformCommand, stdout: Buffer): T {
  // Parsed once from the joined buffer: a plan of many MB must not be decoded chunk by chunk.
  const text = stdout.toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new TerraformError(
      `terraform ${command} exited 0 but printed output that is not JSON (${text.length} chars, starting ${JSON.stringify(text.slice(0, 80))})`,
      { command, exitCode: 0, signal: null, timedOut: false, cancelled: false, diagnostics: [], stderrTail: '' },
      { cause: error },
    );
  }
}

function readChangeSummary(value: unknown): TerraformChangeSummary | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const counts = value as Record<string, unknown>;
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return { add: num(counts.add), change: num(counts.change), remove: num(counts.remove) };
}
