import { findInstalledProviders, hashEnv, processKey, type InstalledProvider } from './installed-providers.js';
import { ASSUMED_MIB, residentMiB, running, signalProcess, startProviderProcess, type PooledProcess, type PooledProcessState } from './provider-process.js';

/**
 * Long-lived provider processes that terraform attaches to through TF_REATTACH_PROVIDERS
 * instead of launching (and re-launching, several times per command) its own.
 *
 * A process is started with `-debug`, which makes a provider built on the plugin SDK or the
 * plugin framework serve gRPC on a unix socket and print the reattach JSON on stdout. It is
 * keyed by provider source, version, platform and a hash of the whole environment it was
 * started with (credentials, region and endpoint variables live only there, never in a file).
 * One process serves one terraform command at a time.
 *
 * Commands that configure the provider (plan, apply) get a process that has been configured
 * fewer than `configuresPerProcess` times (default 1): some providers cannot be configured twice
 * in one process — the AWS provider 5.x fails the second ConfigureProvider with "unable to add
 * custom RootCAs HTTPClient" whenever AWS_CA_BUNDLE is set. Commands that only read schemas
 * (show) may use any healthy process, so `plan` followed by `show` reuse the same one.
 *
 * So that the next plan finds a fresh process, a replacement ("spare") is started in the
 * background whenever a plan or apply takes one, within the process cap and the memory budget;
 * `prewarm` starts spares for a working directory before its first plan.
 */

// Declared beside the parts they belong to; importers keep reading them from here.
export { findInstalledProviders, hashEnv } from './installed-providers.js';
export { POOL_OWNER_VARIABLE, PROVIDER_GUARD } from './provider-process.js';

/** What a terraform command does with its providers. */
export type ProviderUse = 'configure' | 'schema';

export interface ProviderPoolLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ProviderPoolOptions {
  /** Most provider processes alive at once (idle and leased); default 2. */
  maxProcesses?: number;
  /** Sum of the pool's resident memory, in MiB, above which no process is started (idle ones are evicted first); default 2048. */
  memoryBudgetMiB?: number;
  /** How many plan/apply commands one process may serve; default 1 (see above). */
  configuresPerProcess?: number;
  /** Commands of any kind after which a process is recycled; default 20. */
  maxUses?: number;
  /** An idle process is killed after this long; default 300 000 ms. */
  idleMs?: number;
  /** How long a provider gets to print its reattach line; default 20 000 ms. */
  startTimeoutMs?: number;
  /** Fresh (never configured) processes kept ready per key that is in use; default 1, 0 disables. */
  spares?: number;
  logger?: ProviderPoolLogger;
}

export interface ProviderPoolMetrics {
  hits: number;
  misses: number;
  starts: number;
  recycles: number;
  /** Commands that ran with a normal launch because the pool could not serve them. */
  fallbacks: number;
  /** Pooled processes that died while leased or idle (crash, kill -9). */
  crashes: number;
  /** Processes started ahead of need (spares and pre-warming). */
  prewarms: number;
}

/** One pooled process, as the pool reports it. */
export interface PooledProcessInfo {
  pid: number;
  source: string;
  version: string;
  /** source@version/platform#envhash */
  key: string;
  state: PooledProcessState;
  uses: number;
  configures: number;
}

/** Providers leased for one terraform command; `release` must be called once when the command ends. */
export interface ProviderLease {
  /** The value for TF_REATTACH_PROVIDERS. */
  reattach: string;
  pids: number[];
  /** True when a leased process exited while the lease was held. */
  readonly crashed: boolean;
  release(outcome: { failed: boolean }): void;
}

/** Leases pooled provider processes to terraform commands, and keeps, replaces and retires them. */
export class ProviderPool {
  private readonly maxProcesses: number;
  private readonly memoryBudgetMiB: number;
  private readonly configuresPerProcess: number;
  private readonly maxUses: number;
  private readonly idleMs: number;
  private readonly startTimeoutMs: number;
  private readonly logger?: ProviderPoolLogger;
  private readonly processes = new Set<PooledProcess>();
  /** Binaries that printed no reattach line: not tried again. */
  private readonly noDebug = new Set<string>();
  private readonly spares: number;
  /** Background starts (spares, pre-warming) still in flight. */
  private readonly warming = new Set<Promise<unknown>>();
  private closed = false;
  private readonly exitHook = (): void => this.killAllSync();
  readonly metrics: ProviderPoolMetrics = { hits: 0, misses: 0, starts: 0, recycles: 0, fallbacks: 0, crashes: 0, prewarms: 0 };

  constructor(options: ProviderPoolOptions = {}) {
    this.maxProcesses = options.maxProcesses ?? 2;
    this.memoryBudgetMiB = options.memoryBudgetMiB ?? 2048;
    this.configuresPerProcess = options.configuresPerProcess ?? 1;
    this.maxUses = options.maxUses ?? 20;
    this.idleMs = options.idleMs ?? 300_000;
    this.startTimeoutMs = options.startTimeoutMs ?? 20_000;
    this.spares = options.spares ?? 1;
    this.logger = options.logger;
    // Pooled providers are our children in their own process groups: nothing else reaps them.
    process.once('exit', this.exitHook);
  }

  /** Every live process, for metrics and tests. */
  list(): PooledProcessInfo[] {
    return [...this.processes].map(({ pid, key, source, version, state, uses, configures }) => ({ pid, key, source, version, state, uses, configures }));
  }

  /** Resolves when no background start (spare, pre-warm) is in flight. */
  async settled(): Promise<void> {
    while (this.warming.size > 0) await Promise.allSettled([...this.warming]);
  }

  /**
   * Starts, in the background, a fresh process for every provider installed in `cwd` that has
   * none ready for `env`, so the directory's next plan attaches at once. Never throws.
   */
  prewarm(cwd: string, env: NodeJS.ProcessEnv): void {
    if (this.closed || this.spares === 0) return;
    const work = findInstalledProviders(cwd).then(
      (installed) => {
        const envHash = hashEnv(env);
        for (const provider of installed) this.replenish(provider, env, envHash);
      },
      (error: unknown) => this.logger?.debug({ err: error, cwd }, 'provider pool: nothing to pre-warm'),
    );
    this.track(work);
  }

  /**
   * Leases one process per provider installed in `cwd`'s `.terraform`, for a command run with `env`.
   * Returns undefined (and counts a fallback) when any provider cannot be served: terraform then
   * launches its providers as usual. Never throws.
   */
  async lease(cwd: string, env: NodeJS.ProcessEnv, use: ProviderUse): Promise<ProviderLease | undefined> {
    if (this.closed) return undefined;
    let installed: InstalledProvider[];
    try {
      installed = await findInstalledProviders(cwd);
    } catch (error) {
      this.logger?.warn({ err: error, cwd }, 'provider pool: could not read installed providers; launching normally');
      return this.fallback();
    }
    if (installed.length === 0) return undefined;
    const envHash = hashEnv(env);
    const taken: PooledProcess[] = [];
    const giveBack = (failed: boolean): void => {
      for (const proc of taken) this.giveBack(proc, failed);
    };
    try {
      for (const provider of installed) {
        const proc = await this.take(provider, env, envHash, use);
        if (proc === undefined) {
          giveBack(false);
          return this.fallback();
        }
        taken.push(proc);
      }
    } catch (error) {
      giveBack(true);
      this.logger?.warn({ err: error, cwd }, 'provider pool: attaching failed; launching normally');
      return this.fallback();
    }
    // The plan that just took a fresh process gets its replacement started while it runs.
    if (use === 'configure') for (const provider of installed) this.replenish(provider, env, envHash);
    const reattach = JSON.stringify(Object.assign({}, ...taken.map((proc) => proc.reattach)));
    let crashed = false;
    for (const proc of taken) proc.onDeath = () => (crashed = true);
    let released = false;
    return {
      reattach,
      pids: taken.map((proc) => proc.pid),
      get crashed() {
        return crashed;
      },
      release: ({ failed }) => {
        if (released) return;
        released = true;
        for (const proc of taken) proc.onDeath = undefined;
        giveBack(failed);
      },
    };
  }

  /** Kills every process and refuses new leases. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    process.removeListener('exit', this.exitHook);
    const deaths = [...this.processes].map(async (proc) => {
      signalProcess(proc, 'SIGTERM');
      const forced = setTimeout(() => signalProcess(proc, 'SIGKILL'), 2000);
      // The provider is the guard shell's child: close() returns only once it is gone too.
      const until = Date.now() + 5000;
      while ((running(proc.group) || running(proc.pid)) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      clearTimeout(forced);
    });
    await Promise.all(deaths);
    // Background starts end with their processes (a start after close spawns nothing).
    await Promise.allSettled([...this.warming]);
    this.killAllSync();
    this.processes.clear();
  }

  private fallback(): undefined {
    this.metrics.fallbacks += 1;
    return undefined;
  }

  /** Starts a spare for this provider and environment unless enough are ready or starting, or there is no room. */
  private replenish(provider: InstalledProvider, env: NodeJS.ProcessEnv, envHash: string): void {
    if (this.closed || this.spares === 0 || this.noDebug.has(provider.binary)) return;
    const key = processKey(provider, envHash);
    const fresh = [...this.processes].filter((proc) => proc.key === key && (proc.state === 'idle' || proc.state === 'starting') && proc.configures === 0);
    if (fresh.length >= this.spares) return;
    const work = (async () => {
      // A spare may displace idle processes that can no longer configure, never one that can.
      if (!(await this.makeRoom({ spentOnly: true }))) return;
      const proc = await this.start(provider, env, key, true);
      if (proc === undefined) return;
      this.metrics.prewarms += 1;
      // A plan that waited for this start has it already.
      if (!proc.claimed) this.giveBack(proc, false);
    })();
    this.track(work);
  }

  private track(work: Promise<unknown>): void {
    const tracked = work.catch((error: unknown) => this.logger?.warn({ err: error }, 'provider pool: background start failed'));
    this.warming.add(tracked);
    void tracked.finally(() => this.warming.delete(tracked));
  }

  private async take(provider: InstalledProvider, env: NodeJS.ProcessEnv, envHash: string, use: ProviderUse): Promise<PooledProcess | undefined> {
    const key = processKey(provider, envHash);
    const eligible = (proc: PooledProcess): boolean =>
      proc.key === key && proc.state === 'idle' && (use === 'schema' || proc.configures < this.configuresPerProcess);
    // Prefer a process that has been configured already for schema-only work, to keep fresh ones for plans.
    const candidates = [...this.processes].filter(eligible).sort((a, b) => (use === 'schema' ? b.configures - a.configures : a.configures - b.configures));
    const found = candidates[0];
    if (found !== undefined) {
      this.metrics.hits += 1;
      return this.markLeased(found, use);
    }
    // A spare on its way is sooner than a new start.
    const coming = [...this.processes].find((proc) => proc.key === key && proc.state === 'starting' && proc.startup !== undefined && !proc.claimed);
    if (coming !== undefined) {
      coming.claimed = true;
      const ready = await coming.startup;
      if (ready !== undefined && ready.state === 'starting' && !this.closed) {
        this.metrics.hits += 1;
        return this.markLeased(ready, use);
      }
    }
    this.metrics.misses += 1;
    if (this.noDebug.has(provider.binary) || !(await this.makeRoom())) return undefined;
    const proc = await this.start(provider, env, key);
    return proc === undefined ? undefined : this.markLeased(proc, use);
  }

  private markLeased(proc: PooledProcess, use: ProviderUse): PooledProcess {
    clearTimeout(proc.idleTimer);
    proc.state = 'leased';
    proc.uses += 1;
    if (use === 'configure') proc.configures += 1;
    return proc;
  }

  private giveBack(proc: PooledProcess, failed: boolean): void {
    if (proc.state === 'dead') return;
    const spent = proc.uses >= this.maxUses;
    if (failed || spent || this.closed) {
      this.metrics.recycles += 1;
      this.logger?.debug({ pid: proc.pid, key: proc.key, failed, uses: proc.uses }, 'provider pool: recycling process');
      this.retire(proc);
      return;
    }
    proc.state = 'idle';
    proc.idleTimer = setTimeout(() => {
      this.logger?.debug({ pid: proc.pid, key: proc.key }, 'provider pool: idle timeout');
      this.retire(proc);
    }, this.idleMs);
    proc.idleTimer.unref();
  }

  /** Evicts idle processes until one more fits under the process cap and the memory budget. */
  private async makeRoom(options: { spentOnly?: boolean } = {}): Promise<boolean> {
    for (;;) {
      const live = [...this.processes];
      const resident = live.reduce((sum, proc) => sum + residentMiB(proc.pid), 0);
      if (live.length < this.maxProcesses && resident + ASSUMED_MIB <= this.memoryBudgetMiB) return true;
      // Idle ones that can no longer configure go first, then the rest, oldest first.
      const idle = live
        .filter((proc) => proc.state === 'idle' && (!options.spentOnly || proc.configures >= this.configuresPerProcess))
        .sort((a, b) => b.configures - a.configures);
      const victim = idle[0];
      if (victim === undefined) return false;
      this.metrics.recycles += 1;
      this.retire(victim);
    }
  }

  private start(provider: InstalledProvider, env: NodeJS.ProcessEnv, key: string, spare = false): Promise<PooledProcess | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    let spareRecord: PooledProcess | undefined;
    const startup = startProviderProcess(provider, env, key, {
      startTimeoutMs: this.startTimeoutMs,
      logger: this.logger,
      isClosed: () => this.closed,
      spawned: (proc) => {
        this.metrics.starts += 1;
        spareRecord = spare ? proc : undefined;
        this.processes.add(proc);
      },
      unusable: (proc, why) => {
        if (why !== 'closed') this.noDebug.add(provider.binary);
        this.retire(proc);
      },
      exited: (proc, code, signal) => {
        const wasLive = proc.state === 'leased' || proc.state === 'idle';
        if (wasLive) {
          this.metrics.crashes += 1;
          this.logger?.warn({ pid: proc.group, key, code, signal, state: proc.state }, 'provider pool: pooled provider exited');
        }
        clearTimeout(proc.idleTimer);
        proc.state = 'dead';
        proc.onDeath?.();
        this.processes.delete(proc);
      },
    });
    if (spareRecord !== undefined) spareRecord.startup = startup;
    return startup;
  }

  private retire(proc: PooledProcess): void {
    clearTimeout(proc.idleTimer);
    proc.state = 'dead';
    this.processes.delete(proc);
    signalProcess(proc, 'SIGKILL');
  }

  private killAllSync(): void {
    for (const proc of this.processes) signalProcess(proc, 'SIGKILL');
  }
}
