import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { token } from '../plugin/token.js';
import { Semaphore } from '../util/semaphore.js';
import type { PlanJson } from './plan-json.js';
import type { ProviderLease, ProviderPool, ProviderUse } from './provider-pool.js';
import {
  LineBuffer,
  parseTerraformJsonLine,
  readDiagnostic,
  formatDiagnostic,
  type TerraformCommand,
  type TerraformEvent,
} from './terraform-events.js';

/** Per-command time limits, in milliseconds, counted from spawn (time spent queued is free). */
export interface TerraformTimeouts {
  init: number;
  plan: number;
  apply: number;
  show: number;
  output: number;
  /** `terraform state list`; default: the output limit. */
  state?: number;
}

/** The slice of a pino logger the runner needs. */
export interface TerraformRunnerLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** How a TerraformRunner finds and bounds terraform. */
export interface TerraformRunnerOptions {
  /** `terraform` or `tofu`, as a path or a name looked up on PATH. */
  binary: string;
  /** An offline provider mirror handed to `init -plugin-dir`. */
  pluginDir?: string;
  /** Most terraform processes alive at once across every call on this runner. */
  maxConcurrent: number;
  timeouts: TerraformTimeouts;
  /** How long terraform gets to stop after SIGINT before SIGKILL; default 10 000 ms. */
  killGraceMs?: number;
  logger?: TerraformRunnerLogger;
  /** Long-lived provider processes that plan, show and apply attach to (off when absent). */
  providerPool?: ProviderPool;
  /**
   * Where initialized `.terraform` directories are kept as templates, one per init key, so a new
   * working directory with the same `terraform` block (local backend) is set up by linking
   * instead of running `terraform init` again. Off when absent.
   */
  initCacheDir?: string;
}

/** Where and how one terraform command runs. */
export interface TerraformContext {
  /** The working directory; it holds the configuration as `main.tf.json`. */
  cwd: string;
  /** Added to the inherited environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Aborting stops the command (SIGINT, then SIGKILL) or takes it out of the queue. */
  signal?: AbortSignal;
  /** Hears every line terraform prints, in order, as it prints it. */
  onEvent?: (event: TerraformEvent) => void;
  /** Hears the 1-based queue position while the command waits for a free slot. */
  onQueued?: (position: number) => void;
}

/** Terraform's `change_summary` counts. */
export interface TerraformChangeSummary {
  add: number;
  change: number;
  remove: number;
}

/** What a successful plan or apply reported. */
export interface TerraformRunResult {
  changeSummary?: TerraformChangeSummary;
  /** Warning diagnostics, each as "Warning: <summary>: <detail>". */
  diagnostics: string[];
}

/** One root output as `terraform output -json` prints it; sensitive values are included, so redact before showing. */
export interface TerraformOutputValue {
  value: unknown;
  sensitive: boolean;
  type?: unknown;
}

/** The fields that say how a terraform command ended. */
export interface TerraformErrorDetails {
  command: TerraformCommand;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  diagnostics: string[];
  stderrTail: string;
}

/** A terraform command that failed, timed out, was cancelled or could not start. */
export class TerraformError extends Error {
  override readonly name = 'TerraformError';
  readonly command: TerraformCommand;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Error diagnostics, each as "Error: <summary>: <detail>". */
  readonly diagnostics: string[];
  /** The last ~4 KB terraform wrote to stderr. */
  readonly stderrTail: string;

  constructor(message: string, details: TerraformErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.timedOut = details.timedOut;
    this.cancelled = details.cancelled;
    this.diagnostics = details.diagnostics;
    this.stderrTail = details.stderrTail;
  }
}

const LOCK_FILE = '.terraform.lock.hcl';
// Files at least this big in an init template are hard-linked rather than copied.
const HARD_LINK_MIN_BYTES = 1024 * 1024;

/** The file in `.terraform/` that records which configuration the directory was initialized for. */
export const INIT_STAMP_FILE = 'cloud-engine-init.json';

const STDERR_TAIL_CHARS = 4096;
// Stderr is kept whole for diagnostics parsing, up to a bound that no sane terraform error reaches.
const STDERR_KEEP_CHARS = 1024 * 1024;
// After terraform exits, a straggler it started may still hold the output pipes open.
const PIPE_DRAIN_MS = 2000;

type OutputMode = 'json-stream' | 'text-stream' | 'capture';

interface Execution {
  stdout: Buffer;
  diagnostics: string[];
  changeSummary?: TerraformChangeSummary;
}

/** Runs terraform (or tofu) commands as child processes: bounded, queued, streamed, timed out and cancellable. */
export class TerraformRunner {
  private readonly options: TerraformRunnerOptions;
  private readonly killGraceMs: number;
  private readonly slots: Semaphore;
  private live = 0;
  private peak = 0;

  constructor(options: TerraformRunnerOptions) {
    this.options = options;
    this.killGraceMs = options.killGraceMs ?? 10_000;
    this.slots = new Semaphore(options.maxConcurrent);
  }

  /** Terraform processes alive right now. */
  get running(): number {
    return this.live;
  }

  /** Most terraform processes alive at once (the cap). */
  get maxConcurrent(): number {
    return this.slots.max;
  }

  /** Commands waiting for a free slot. */
  get queued(): number {
    return this.slots.waiting;
  }

  /** The most terraform processes that were ever alive at once. */
  get peakRunning(): number {
    return this.peak;
  }

  /** The provider pool, when one is configured. */
  get providerPool(): ProviderPool | undefined {
    return this.options.providerPool;
  }

  /** Stops the provider pool's processes; terraform commands still running are the caller's to stop first. */
  async close(): Promise<void> {
    await this.options.providerPool?.close();
  }

  /**
   * `terraform init`, skipped when `.terraform` was already initialized for the same
   * `terraform` block (providers and backend), modules, binary and plugin dir.
   */
  async init(ctx: TerraformContext): Promise<{ skipped: boolean; fromTemplate?: boolean }> {
    const dotTerraform = path.join(ctx.cwd, '.terraform');
    const stampPath = path.join(dotTerraform, INIT_STAMP_FILE);
    const { key, templatable } = await this.initKey(ctx.cwd);
    const initialized = existsSync(dotTerraform);
    if (key !== undefined && initialized && (await readStampKey(stampPath)) === key) {
      return { skipped: true };
    }
    const template = key !== undefined && templatable && !initialized ? this.templateDir(key) : undefined;
    if (template !== undefined && (await this.initFromTemplate(template, ctx.cwd))) {
      return { skipped: true, fromTemplate: true };
    }

    const args = ['init', '-input=false', '-no-color'];
    if (this.options.pluginDir !== undefined) args.push(`-plugin-dir=${this.options.pluginDir}`);
    if (initialized) {
      // -reconfigure: a changed backend is adopted instead of prompting to migrate state (we cannot answer prompts).
      // -upgrade: changed provider constraints would otherwise clash with the existing lock file.
      args.push('-reconfigure', '-upgrade');
      // A failed re-init must not leave the old stamp behind to vouch for a half-initialized directory.
      await rm(stampPath, { force: true });
    }
    await this.execute('init', args, ctx, 'text-stream');

    if (key !== undefined) {
      // Configurations without providers leave no .terraform behind, so the stamp may have to create it.
      await mkdir(dotTerraform, { recursive: true });
      const stamp = { key, binary: this.options.binary, pluginDir: this.options.pluginDir ?? null, at: new Date().toISOString() };
      await writeFile(stampPath, `${JSON.stringify(stamp, null, 2)}\n`);
    }
    if (template !== undefined) await this.saveTemplate(template, ctx.cwd);
    return { skipped: false };
  }

  private templateDir(key: string): string | undefined {
    return this.options.initCacheDir === undefined ? undefined : path.join(this.options.initCacheDir, key.slice(0, 32));
  }

  /**
   * Sets up a new working directory from a template: `.terraform` is rebuilt with directories made,
   * symlinks copied as links and files hard-linked (a provider binary is never copied), and the
   * lock file is copied. False (and the directory left as it was) when there is no usable template.
   */
  private async initFromTemplate(template: string, cwd: string): Promise<boolean> {
    const source = path.join(template, '.terraform');
    if (!existsSync(path.join(source, INIT_STAMP_FILE))) return false;
    const target = path.join(cwd, '.terraform');
    try {
      await linkTree(source, target);
      if (existsSync(path.join(template, LOCK_FILE))) await copyFile(path.join(template, LOCK_FILE), path.join(cwd, LOCK_FILE));
      return true;
    } catch (error) {
      // A broken template (a provider gone from the mirror, a half-written copy) costs one real init, never a failure.
      this.options.logger?.warn({ err: error, template }, 'init template unusable; running terraform init');
      await Promise.all([rm(target, { recursive: true, force: true }), rm(path.join(cwd, LOCK_FILE), { force: true })]);
      await rm(template, { recursive: true, force: true }).catch(() => undefined);
      return false;
    }
  }

  /** Keeps a just-initialized directory as the template for its key; written aside and renamed into place. */
  private async saveTemplate(template: string, cwd: string): Promise<void> {
    if (existsSync(template)) return;
    const staging = `${template}.${process.pid}.${Date.now()}.tmp`;
    try {
      await linkTree(path.join(cwd, '.terraform'), path.join(staging, '.terraform'));
      if (existsSync(path.join(cwd, LOCK_FILE))) await copyFile(path.join(cwd, LOCK_FILE), path.join(staging, LOCK_FILE));
      await rename(staging, template);
    } catch (error) {
      // Another process saved the same template first (rename onto a non-empty dir fails), or the disk refused: init keeps working.
      if (!existsSync(template)) this.options.logger?.warn({ err: error, template }, 'could not save an init template');
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** `terraform plan` into `planFile`, streaming every line to `onEvent`. */
  async plan(ctx: TerraformContext & { planFile: string; destroy?: boolean }): Promise<TerraformRunResult> {
    const args = ['plan', '-input=false', '-json', `-out=${ctx.planFile}`];
    if (ctx.destroy) args.push('-destroy');
    args.push('-lock-timeout=0s');
    const run = await this.execute('plan', args, ctx, 'json-stream');
    return { changeSummary: run.changeSummary, diagnostics: run.diagnostics };
  }

  /** `terraform show -json` of a saved plan. */
  async show(ctx: TerraformContext & { planFile: string }): Promise<PlanJson> {
    const run = await this.execute('show', ['show', '-json', '-no-color', positional(ctx.planFile)], ctx, 'capture');
    return parseJsonOutput<PlanJson>('show', run.stdout);
  }

  /** `terraform apply` of exactly the saved plan, streaming every line to `onEvent`. */
  async apply(ctx: TerraformContext & { planFile: string }): Promise<TerraformRunResult> {
    const args = ['apply', '-input=false', '-json', '-auto-approve', positional(ctx.planFile)];
    const run = await this.execute('apply', args, ctx, 'json-stream');
    return { changeSummary: run.changeSummary, diagnostics: run.diagnostics };
  }

  /** `terraform output -json`: every root output, sensitive ones included. */
  async output(ctx: TerraformContext): Promise<Record<string, TerraformOutputValue>> {
    const run = await this.execute('output', ['output', '-json', '-no-color'], ctx, 'capture');
    return parseJsonOutput<Record<string, TerraformOutputValue>>('output', run.stdout);
  }

  /** `terraform state list`: the addresses terraform's state holds (no provider is started). */
  async stateList(ctx: TerraformContext): Promise<string[]> {
    const run = await this.execute('state', ['state', 'list'], ctx, 'capture');
    return run.stdout
      .toString('utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }

  /**
   * A hash of what `terraform init` depends on, and whether its result may be shared with other
   * directories: only with the local backend (a remote backend's init talks to the backend).
   */
  private async initKey(cwd: string): Promise<{ key?: string; templatable: boolean }> {
    let config: unknown;
    try {
      config = JSON.parse(await readFile(path.join(cwd, 'main.tf.json'), 'utf8'));
    } catch {
      // Without a readable configuration there is nothing to compare; init always runs and terraform explains.
      return { templatable: false };
    }
    const root = typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : {};
    const material = {
      terraform: root.terraform ?? null,
      // Module sources are installed by init too, so a new module must re-run it.
      module: root.module ?? null,
      binary: this.options.binary,
      pluginDir: this.options.pluginDir ?? null,
    };
    const key = createHash('sha256').update(stableStringify(material)).digest('hex');
    return { key, templatable: root.module === undefined && usesLocalBackend(root.terraform) };
  }

  private async execute(
    command: TerraformCommand,
    args: string[],
    ctx: TerraformContext,
    mode: OutputMode,
  ): Promise<Execution> {
    const blank = { command, exitCode: null, signal: null, timedOut: false, diagnostics: [], stderrTail: '' };
    if (ctx.signal?.aborted) {
      throw new TerraformError(`terraform ${command} was cancelled before it started`, { ...blank, cancelled: true });
    }
    let release: () => void;
    try {
      release = await this.slots.acquire(ctx.signal, ctx.onQueued, URGENT_COMMANDS.has(command) ? 1 : 0);
    } catch (error) {
      throw new TerraformError(`terraform ${command} was cancelled while queued for a free slot`, { ...blank, cancelled: true }, { cause: error });
    }
    try {
      const env = commandEnv(ctx);
      const pool = this.options.providerPool;
      const use = PROVIDER_USE[command];
      if (pool === undefined || use === undefined) return await this.spawnAndWait(command, args, ctx, mode, env);
      return await this.runPooled(pool, use, command, args, ctx, mode, env);
    } finally {
      release();
    }
  }

  /**
   * One command attached to pooled provider processes. When the pool cannot serve it, it runs
   * with a normal launch; when a pooled process dies or stops answering during a plan or show,
   * the command runs again with a normal launch. An apply is never re-run: it may have changed
   * things before the provider went away, so it fails and says so.
   */
  private async runPooled(
    pool: ProviderPool,
    use: ProviderUse,
    command: TerraformCommand,
    args: string[],
    ctx: TerraformContext,
    mode: OutputMode,
    env: NodeJS.ProcessEnv,
  ): Promise<Execution> {
    let lease: ProviderLease | undefined;
    try {
      lease = await pool.lease(ctx.cwd, env, use);
    } catch (error) {
      this.options.logger?.warn({ err: error, command }, 'provider pool failed to lease; launching providers normally');
    }
    if (lease === undefined) return this.spawnAndWait(command, args, ctx, mode, env);
    try {
      const run = await this.spawnAndWait(command, args, ctx, mode, { ...env, TF_REATTACH_PROVIDERS: lease.reattach });
      lease.release({ failed: false });
      return run;
    } catch (error) {
      lease.release({ failed: true });
      if (!(error instanceof TerraformError) || error.cancelled || error.timedOut) throw error;
      const poolFault = lease.crashed || POOL_FAULT.test(`${error.message}\n${error.stderrTail}\n${error.diagnostics.join('\n')}`);
      if (!poolFault) throw error;
      if (command === 'apply') {
        throw new TerraformError(
          `${error.message} (a pooled provider process, pid ${lease.pids.join(', ')}, ${lease.crashed ? 'exited' : 'stopped answering'} during the apply; ` +
            'it was not re-run because it may have changed resources first: plan again to see what the state holds)',
          { command, exitCode: error.exitCode, signal: error.signal, timedOut: false, cancelled: false, diagnostics: error.diagnostics, stderrTail: error.stderrTail },
          { cause: error },
        );
      }
      pool.metrics.fallbacks += 1;
      this.options.logger?.warn({ command, pids: lease.pids, crashed: lease.crashed }, 'pooled provider failed; re-running with a normal provider launch');
      if (ctx.onEvent !== undefined) {
        try {
          ctx.onEvent({ type: 'stderr', level: 'warn', message: `A pooled provider process ${lease.crashed ? 'exited' : 'failed'}; running terraform ${command} again with its own provider.`, command });
        } catch {
          // A listener's failure is not the command's.
        }
      }
      return this.spawnAndWait(command, args, ctx, mode, env);
    }
  }

  private spawnAndWait(command: TerraformCommand, args: string[], ctx: TerraformContext, mode: OutputMode, env: NodeJS.ProcessEnv): Promise<Execution> {
    const { binary, logger } = this.options;
    const timeoutMs = this.options.timeouts[command] ?? this.options.timeouts.output;

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
        this.live += 1;
        this.peak = Math.max(this.peak, this.live);
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
          logger?.warn({ command, pid, graceMs: this.killGraceMs }, 'terraform ignored SIGINT; sending SIGKILL');
          signalGroup('SIGKILL');
        }, this.killGraceMs);
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
        if (pid !== undefined) this.live -= 1;
        if (mode !== 'capture') for (const line of stdoutLines.end()) handleStdoutLine(line);
        for (const line of stderrLines.end()) handleStderrLine(line);
        const stderrTail = stderr.slice(-STDERR_TAIL_CHARS);
        logger?.debug({ command, pid, exitCode, signal: exitSignal, ms: Date.now() - startedAt }, 'terraform exited');

        if (spawnError !== undefined) {
          reject(this.spawnFailure(command, ctx.cwd, spawnError, stderrTail));
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
        reject(new TerraformError(failureMessage(details, timeoutMs, killed, this.killGraceMs), details));
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

  private spawnFailure(command: TerraformCommand, cwd: string, error: NodeJS.ErrnoException, stderrTail: string): TerraformError {
    const { binary } = this.options;
    let message: string;
    if (error.code === 'ENOENT' && !existsSync(cwd)) {
      message = `terraform ${command} could not start: the working directory ${cwd} does not exist`;
    } else if (error.code === 'ENOENT') {
      message =
        `terraform ${command} could not start: the terraform binary "${binary}" was not found. ` +
        'Install terraform (or OpenTofu) on PATH, or set CLOUD_ENGINE_TERRAFORM_BIN to its full path.';
    } else if (error.code === 'EACCES') {
      message = `terraform ${command} could not start: "${binary}" is not executable (EACCES). Fix its permissions or set CLOUD_ENGINE_TERRAFORM_BIN to a working binary.`;
    } else {
      message = `terraform ${command} could not start "${binary}": ${error.message}`;
    }
    return new TerraformError(
      message,
      { command, exitCode: null, signal: null, timedOut: false, cancelled: false, diagnostics: [], stderrTail },
      { cause: error },
    );
  }
}

/** Commands that queue ahead of plans (and init): they finish what someone approved, which must not wait behind other sessions' re-plans. */
export const TerraformRunnerToken = token<TerraformRunner>('kernel.terraform-runner');

const URGENT_COMMANDS: ReadonlySet<TerraformCommand> = new Set(['apply', 'output', 'state']);

/** What each command does with providers; init and output never start one the pool could serve. */
const PROVIDER_USE: Partial<Record<TerraformCommand, ProviderUse>> = { plan: 'configure', apply: 'configure', show: 'schema' };

/** Errors that come from a provider process going away or not answering, rather than from the configuration. */
const POOL_FAULT = /plugin did not respond|plugin exited|rpc error: code = (Unavailable|Canceled)|transport is closing|error reading from server|connection refused|unable to add custom RootCAs/i;

/** The environment every terraform command runs with. */
function commandEnv(ctx: TerraformContext): NodeJS.ProcessEnv {
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

function failureMessage(details: TerraformErrorDetails, timeoutMs: number, killed: boolean, killGraceMs: number): string {
  const { command } = details;
  const forced = killed ? ` (killed after ignoring an interrupt for ${formatMs(killGraceMs)})` : '';
  if (details.timedOut) return `terraform ${command} timed out after ${formatMs(timeoutMs)} and was stopped${forced}`;
  if (details.cancelled) return `terraform ${command} was cancelled and stopped${forced}`;

  const how = details.exitCode !== null ? `exit ${details.exitCode}` : `killed by ${details.signal ?? 'a signal'}`;
  const [first, ...rest] = details.diagnostics;
  let why: string;
  if (first !== undefined) {
    why = collapse(first) + (rest.length > 0 ? ` (and ${rest.length} more error${rest.length === 1 ? '' : 's'})` : '');
  } else {
    const lastLines = details.stderrTail.trim().split('\n').slice(-3).join(' ');
    why = lastLines === '' ? 'no error output' : collapse(lastLines);
  }
  return `terraform ${command} failed (${how}): ${why}`;
}

/**
 * Pulls "Error: …" blocks out of terraform's human output, which is all that
 * commands without `-json` give; each block runs to the next diagnostic or box edge.
 */
function parseStderrDiagnostics(stderr: string): string[] {
  const found: string[] = [];
  let current: string[] | undefined;
  const close = (): void => {
    if (current === undefined) return;
    const [summary, ...detail] = current;
    const text = collapse(detail.join(' '));
    const entry = text === '' ? summary! : `${summary}: ${text}`;
    if (!found.includes(entry)) found.push(entry);
    current = undefined;
  };
  for (const rawLine of stderr.split('\n')) {
    const line = rawLine.replace(/^│ ?/, '');
    if (/^(Error|Warning): /.test(line) || /^[╷╵]/.test(rawLine)) {
      close();
      if (line.startsWith('Error: ')) current = [line.trim()];
      continue;
    }
    current?.push(line.trim());
  }
  close();
  return found;
}

function readChangeSummary(value: unknown): TerraformChangeSummary | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const counts = value as Record<string, unknown>;
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
  return { add: num(counts.add), change: num(counts.change), remove: num(counts.remove) };
}

function parseJsonOutput<T>(command: TerraformCommand, stdout: Buffer): T {
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

async function readStampKey(stampPath: string): Promise<string | undefined> {
  try {
    const stamp: unknown = JSON.parse(await readFile(stampPath, 'utf8'));
    const key = (stamp as { key?: unknown } | null)?.key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** JSON with sorted object keys, so the same configuration always hashes the same. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function usesLocalBackend(terraform: unknown): boolean {
  if (terraform === undefined || terraform === null) return true;
  if (typeof terraform !== 'object') return false;
  const block = terraform as Record<string, unknown>;
  if (block.cloud !== undefined) return false;
  const backend = block.backend;
  if (backend === undefined) return true;
  if (typeof backend !== 'object' || backend === null) return false;
  const names = Object.keys(backend);
  return names.length === 1 && names[0] === 'local';
}

/**
 * Recreates the tree at `from` under `to`: directories made, symlinks copied as links (after
 * checking their targets exist), small files copied (terraform rewrites some in place, which must
 * not reach the other tree), big ones (provider binaries) hard-linked, or copied across file systems.
 */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await linkTree(source, target);
    } else if (entry.isSymbolicLink()) {
      await stat(source); // Throws when the link dangles: the mirror moved, so the template is stale.
      await symlink(await readlink(source), target);
    } else if ((await stat(source)).size < HARD_LINK_MIN_BYTES) {
      await copyFile(source, target);
    } else {
      await link(source, target).catch(() => copyFile(source, target));
    }
  }
}

/** Keeps a relative path that starts with "-" from being read as a flag. */
function positional(file: string): string {
  return file.startsWith('-') ? `./${file}` : file;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function formatMs(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}
