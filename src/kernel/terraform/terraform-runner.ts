import { existsSync } from 'node:fs';
import path from 'node:path';
import { token } from '../plugin/token.js';
import { Semaphore } from '../util/semaphore.js';
import { PG_SESSION_WORKSPACE } from '../synth/state-backend.js';
import { InitCache } from './init-cache.js';
import type { PlanJson } from './plan-json.js';
import type { ProviderLease, ProviderPool, ProviderUse } from './provider-pool.js';
import { TerraformError } from './terraform-error.js';
import type { TerraformCommand, TerraformEvent } from './terraform-events.js';
import { commandEnv, parseJsonOutput, runTerraformProcess, type Execution, type OutputMode, type TerraformChangeSummary } from './terraform-process.js';

// Declared beside the parts they belong to; importers keep reading them from here.
export { INIT_STAMP_FILE } from './init-cache.js';
export { TerraformError, type TerraformErrorDetails } from './terraform-error.js';
export type { TerraformChangeSummary } from './terraform-process.js';

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
  /** Background work (a scheduled drift check): queued behind every command someone waits for. */
  background?: boolean;
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
/** Runs terraform (or tofu) commands as child processes: bounded, queued, streamed, timed out and cancellable. */
export class TerraformRunner {
  private readonly options: TerraformRunnerOptions;
  private readonly killGraceMs: number;
  private readonly slots: Semaphore;
  private readonly initCache: InitCache;
  private live = 0;
  private peak = 0;

  constructor(options: TerraformRunnerOptions) {
    this.options = options;
    this.killGraceMs = options.killGraceMs ?? 10_000;
    this.slots = new Semaphore(options.maxConcurrent);
    const { binary, pluginDir, initCacheDir, logger } = options;
    this.initCache = new InitCache({ binary, pluginDir, initCacheDir, logger });
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
    const cache = this.initCache;
    const { key, templatable } = await cache.initKey(ctx.cwd);
    const initialized = existsSync(path.join(ctx.cwd, '.terraform'));
    if (key !== undefined && initialized && (await cache.stampedKey(ctx.cwd)) === key) {
      return { skipped: true };
    }
    const template = key !== undefined && templatable && !initialized ? cache.templateDir(key) : undefined;
    if (template !== undefined && (await cache.initFromTemplate(template, ctx.cwd))) {
      return { skipped: true, fromTemplate: true };
    }

    const args = ['init', '-input=false', '-no-color'];
    if (sharedLock(ctx)) args.push(`-lock-timeout=${SHARED_LOCK_WAIT}`);
    if (this.options.pluginDir !== undefined) args.push(`-plugin-dir=${this.options.pluginDir}`);
    if (initialized) {
      // -reconfigure: a changed backend is adopted instead of prompting to migrate state (we cannot answer prompts).
      // -upgrade: changed provider constraints would otherwise clash with the existing lock file.
      args.push('-reconfigure', '-upgrade');
      // A failed re-init must not leave the old stamp behind to vouch for a half-initialized directory.
      await cache.removeStamp(ctx.cwd);
    }
    await this.initWaitingForCreationLock(args, ctx);

    if (key !== undefined) await cache.writeStamp(ctx.cwd, key);
    if (template !== undefined) await cache.saveTemplate(template, ctx.cwd);
    return { skipped: false };
  }

  /**
   * `terraform init`; on the pg backend, tried again while another process
   * holds the database's workspace-creation lock, which init does not wait
   * for whatever `-lock-timeout` says (it fails "Already locked for workspace
   * creation"): a short, growing, jittered pause, for up to about a minute.
   */
  private async initWaitingForCreationLock(args: string[], ctx: TerraformContext): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.execute('init', args, ctx, 'text-stream');
        return;
      } catch (error) {
        // Also the race of two first inits on a fresh database creating the backend's table and sequence.
        const busy = sharedLock(ctx) && error instanceof TerraformError && /Already locked for workspace creation|pg_class_relname_nsp_index|pg_type_typname_nsp_index/i.test(error.message);
        if (!busy || attempt >= CREATION_LOCK_ATTEMPTS || ctx.signal?.aborted) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(4000, 250 * attempt) + Math.random() * 250));
      }
    }
  }

  /**
   * `terraform plan` into `planFile`, streaming every line to `onEvent`.
   * `refreshOnly`: what changed outside Terraform, without the state lock
   * (a refresh-only plan writes no state; a drift check must not hold up a change).
   */
  async plan(ctx: TerraformContext & { planFile: string; destroy?: boolean; refreshOnly?: boolean }): Promise<TerraformRunResult> {
    const args = ['plan', '-input=false', '-json', `-out=${ctx.planFile}`];
    if (ctx.destroy) args.push('-destroy');
    if (ctx.refreshOnly) args.push('-refresh-only', '-lock=false');
    else args.push(`-lock-timeout=${sharedLock(ctx) ? SHARED_LOCK_WAIT : '0s'}`);
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
    const args = ['apply', '-input=false', '-json', '-auto-approve', ...(sharedLock(ctx) ? [`-lock-timeout=${SHARED_LOCK_WAIT}`] : []), positional(ctx.planFile)];
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
      release = await this.slots.acquire(ctx.signal, ctx.onQueued, ctx.background ? -1 : URGENT_COMMANDS.has(command) ? 1 : 0);
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
      // The error goes with it: what the pooled run said is the only trace of why the pool was bypassed.
      this.options.logger?.warn(
        { command, pids: lease.pids, crashed: lease.crashed, err: error, diagnostics: error.diagnostics, stderrTail: error.stderrTail },
        'pooled provider failed; re-running with a normal provider launch',
      );
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
    const { binary, logger, timeouts } = this.options;
    return runTerraformProcess(
      { command, args, mode, env, ctx },
      {
        binary,
        timeoutMs: timeouts[command] ?? timeouts.output,
        killGraceMs: this.killGraceMs,
        logger,
        onStarted: () => {
          this.live += 1;
          this.peak = Math.max(this.peak, this.live);
        },
        onEnded: () => {
          this.live -= 1;
        },
      },
    );
  }
}

/** The container token for the one TerraformRunner. */
export const TerraformRunnerToken = token<TerraformRunner>('kernel.terraform-runner');

/** Commands that queue ahead of plans (and init): they finish what someone approved, which must not wait behind other sessions' re-plans. */
const URGENT_COMMANDS: ReadonlySet<TerraformCommand> = new Set(['apply', 'output', 'state']);

/** What each command does with providers; init and output never start one the pool could serve. */
const PROVIDER_USE: Partial<Record<TerraformCommand, ProviderUse>> = { plan: 'configure', apply: 'configure', show: 'schema' };

/**
 * Errors that come from a provider process going away or not answering, rather than from the
 * configuration or the cloud. A refused connection counts only on the plugin's own unix socket:
 * the provider's HTTP calls say "dial tcp …: connection refused" when a cloud endpoint (an
 * emulator that stopped, a wrong URL) refuses them, and a normal launch would only fail the same
 * way, after as long again.
 */
const POOL_FAULT =
  /plugin did not respond|plugin exited|rpc error: code = (Unavailable|Canceled)|transport is closing|error reading from server|dial unix \S+: connect: (connection refused|no such file or directory)|unable to add custom RootCAs/i;

/** Keeps a relative path that starts with "-" from being read as a flag. */
function positional(file: string): string {
  return file.startsWith('-') ? `./${file}` : file;
}

/**
 * How long a command waits for a state lock on the pg backend. There, while a
 * workspace is being created, terraform holds one lock for the whole database
 * (the workspace-creation lock), so processes starting on other deployments
 * at the same moment are refused under `-lock-timeout=0s`: they wait instead.
 * Elsewhere a held lock is another operation on the same state: refused at once.
 */
const SHARED_LOCK_WAIT = '60s';
/** How often init is tried while the workspace-creation lock is held elsewhere (about a minute in all). */
const CREATION_LOCK_ATTEMPTS = 25;

/** The pg backend's runs: the synthesizer names their workspace in the environment (state-backend.ts). */
function sharedLock(ctx: TerraformContext): boolean {
  return ctx.env?.TF_WORKSPACE === PG_SESSION_WORKSPACE;
}
