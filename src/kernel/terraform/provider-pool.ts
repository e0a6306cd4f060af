import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';

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

/** Set in every pooled provider's environment to the pid of the process whose pool started it. */
export const POOL_OWNER_VARIABLE = 'CLOUD_ENGINE_POOL_OWNER';

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
  state: 'starting' | 'idle' | 'leased' | 'dead';
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

interface InstalledProvider {
  source: string;
  version: string;
  platform: string;
  binary: string;
  size: number;
}

interface PooledProcess {
  child: ChildProcess;
  /** The provider's own pid (from its reattach line; the guard shell's until then). */
  pid: number;
  /** The process group: the guard shell, the provider and the stdin watcher. */
  group: number;
  key: string;
  source: string;
  version: string;
  state: PooledProcessInfo['state'];
  uses: number;
  configures: number;
  reattach?: unknown;
  idleTimer?: NodeJS.Timeout;
  onDeath?: () => void;
  /** A spare's start, which a plan arriving meanwhile may wait for instead of starting its own. */
  startup?: Promise<PooledProcess | undefined>;
  /** A plan is waiting for this spare's start. */
  claimed?: boolean;
}

const REATTACH_LINE = /TF_REATTACH_PROVIDERS='(\{.*\})'/;
// $0 is the provider binary. fd 3 keeps our stdin pipe for the watcher (an asynchronous list's own
// stdin is /dev/null); the provider gets no stdin; the shell exits when the provider does.
export const PROVIDER_GUARD = 'exec 3<&0 </dev/null; "$0" -debug & p=$!; (read _ <&3; kill -9 "$p") 2>/dev/null & exec 3<&-; wait "$p"';
// Resident size assumed for a process not yet measured (the AWS provider holds 300-600 MiB).
const ASSUMED_MIB = 500;

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
      this.kill(proc, 'SIGTERM');
      const forced = setTimeout(() => this.kill(proc, 'SIGKILL'), 2000);
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
    // The owner mark lets anyone (tests, operators) tell this process's pooled providers apart.
    const childEnv: NodeJS.ProcessEnv = { ...env, [POOL_OWNER_VARIABLE]: String(process.pid) };
    delete childEnv.TF_REATTACH_PROVIDERS;
    let spareRecord: PooledProcess | undefined;
    const startup = new Promise<PooledProcess | undefined>((resolve) => {
      let child: ChildProcess;
      try {
        // detached: its own process group, so a SIGINT or SIGKILL to terraform's group never reaches it.
        // The guard shell ties the provider's life to ours: it waits for the provider, and a watcher
        // kills the provider when our end of its stdin closes, i.e. when this process dies, even by kill -9.
        child = spawn('/bin/sh', ['-c', PROVIDER_GUARD, provider.binary], { env: childEnv, stdio: ['pipe', 'pipe', 'ignore'], detached: true });
      } catch (error) {
        this.logger?.warn({ err: error, binary: provider.binary }, 'provider pool: could not start provider');
        resolve(undefined);
        return;
      }
      const pid = child.pid;
      if (pid === undefined) {
        child.once('error', () => undefined);
        resolve(undefined);
        return;
      }
      this.metrics.starts += 1;
      child.stdin?.on('error', () => undefined); // EPIPE once the group is gone.
      const proc: PooledProcess = { child, pid, group: pid, key, source: provider.source, version: provider.version, state: 'starting', uses: 0, configures: 0 };
      spareRecord = spare ? proc : undefined;
      this.processes.add(proc);
      let settled = false;
      let seen = '';
      const done = (ok: boolean, why?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (ok) {
          resolve(proc);
          return;
        }
        this.logger?.warn({ binary: provider.binary, pid, why }, 'provider pool: provider gave no reattach line; launching normally');
        if (why !== 'closed') this.noDebug.add(provider.binary);
        this.retire(proc);
        resolve(undefined);
      };
      const timer = setTimeout(() => done(false, 'timeout'), this.startTimeoutMs);
      child.stdout?.on('data', (chunk: Buffer) => {
        if (settled) return; // Later output is drained and dropped.
        seen = (seen + chunk.toString('utf8')).slice(-64 * 1024);
        const match = REATTACH_LINE.exec(seen);
        if (match === null) return;
        try {
          const parsed = JSON.parse(match[1]!) as Record<string, unknown>;
          // The provider names itself; terraform matches on the full source address.
          const entry = parsed[provider.source] ?? Object.values(parsed)[0];
          proc.reattach = { [provider.source]: entry };
          const providerPid = (entry as { Pid?: unknown } | undefined)?.Pid;
          if (typeof providerPid === 'number' && Number.isInteger(providerPid) && providerPid > 0) proc.pid = providerPid;
          done(!this.closed, this.closed ? 'closed' : undefined);
        } catch {
          done(false, 'unparseable reattach line');
        }
      });
      child.once('error', (error) => done(false, error.message));
      child.once('exit', (code, signal) => {
        const wasLive = proc.state === 'leased' || proc.state === 'idle';
        if (wasLive) {
          this.metrics.crashes += 1;
          this.logger?.warn({ pid, key, code, signal, state: proc.state }, 'provider pool: pooled provider exited');
        }
        clearTimeout(proc.idleTimer);
        proc.state = 'dead';
        proc.onDeath?.();
        this.processes.delete(proc);
        done(false, `exited (${code ?? signal})`);
      });
    });
    if (spareRecord !== undefined) spareRecord.startup = startup;
    return startup;
  }

  private retire(proc: PooledProcess): void {
    clearTimeout(proc.idleTimer);
    proc.state = 'dead';
    this.processes.delete(proc);
    this.kill(proc, 'SIGKILL');
  }

  private kill(proc: PooledProcess, signal: NodeJS.Signals): void {
    try {
      process.kill(-proc.group, signal);
    } catch {
      try {
        proc.child.kill(signal);
      } catch {
        // Already gone.
      }
    }
  }

  private killAllSync(): void {
    for (const proc of this.processes) this.kill(proc, 'SIGKILL');
  }
}

/** Providers `terraform init` installed: `.terraform/providers/<host>/<ns>/<type>/<version>/<os_arch>/terraform-provider-*`. */
export async function findInstalledProviders(cwd: string): Promise<InstalledProvider[]> {
  const root = path.join(cwd, '.terraform', 'providers');
  const found: InstalledProvider[] = [];
  const dirs = async (dir: string): Promise<string[]> => {
    try {
      return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() || d.isSymbolicLink()).map((d) => d.name);
    } catch {
      return [];
    }
  };
  for (const host of await dirs(root)) {
    for (const ns of await dirs(path.join(root, host))) {
      for (const type of await dirs(path.join(root, host, ns))) {
        for (const version of await dirs(path.join(root, host, ns, type))) {
          for (const platform of await dirs(path.join(root, host, ns, type, version))) {
            const dir = path.join(root, host, ns, type, version, platform);
            const names = (await readdir(dir)).filter((name) => name.startsWith(`terraform-provider-${type}`));
            if (names.length !== 1) continue;
            const binary = path.join(dir, names[0]!);
            const info = await stat(binary);
            found.push({ source: `${host}/${ns}/${type}`, version, platform, binary, size: info.size });
          }
        }
      }
    }
  }
  // Several versions of one provider (a stale install) would be ambiguous: reattach only what the lock file selects.
  const locked = await lockedVersions(cwd);
  return found.filter((provider) => {
    const want = locked.get(provider.source);
    return want === undefined ? found.filter((p) => p.source === provider.source).length === 1 : want === provider.version;
  });
}

async function lockedVersions(cwd: string): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(path.join(cwd, '.terraform.lock.hcl'), 'utf8');
  } catch {
    return versions;
  }
  const block = /provider\s+"([^"]+)"\s*\{[^}]*?version\s*=\s*"([^"]+)"/g;
  for (const match of text.matchAll(block)) versions.set(match[1]!, match[2]!);
  return versions;
}

function processKey(provider: InstalledProvider, envHash: string): string {
  return `${provider.source}@${provider.version}/${provider.platform}#${envHash}`;
}

/**
 * Variables only terraform itself reads (workspace, CLI config and flags, automation switches):
 * they may differ between sessions that can share a provider process.
 */
const TERRAFORM_ONLY = /^(TF_REATTACH_PROVIDERS|TF_WORKSPACE|TF_IN_AUTOMATION|TF_INPUT|TF_CLI_CONFIG_FILE|TF_CLI_ARGS(_\w+)?|TF_DATA_DIR|CHECKPOINT_DISABLE)$/;

/**
 * A hash of the environment a provider process could read: two commands share a process only if
 * the provider would see the same variables (credentials, region, endpoints and everything else).
 */
export function hashEnv(env: NodeJS.ProcessEnv): string {
  const entries = Object.entries(env)
    .filter(([name, value]) => value !== undefined && !TERRAFORM_ONLY.test(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}

/** Whether a process exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

function residentMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return kb === null ? ASSUMED_MIB : Number(kb[1]) / 1024;
  } catch {
    return ASSUMED_MIB;
  }
}
