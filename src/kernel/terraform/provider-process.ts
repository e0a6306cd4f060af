import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { InstalledProvider } from './installed-providers.js';

/** Set in every pooled provider's environment to the pid of the process whose pool started it. */
export const POOL_OWNER_VARIABLE = 'CLOUD_ENGINE_POOL_OWNER';

const REATTACH_LINE = /TF_REATTACH_PROVIDERS='(\{.*\})'/;
// $0 is the provider binary. fd 3 keeps our stdin pipe for the watcher (an asynchronous list's own
// stdin is /dev/null); the provider gets no stdin; the shell exits when the provider does.
export const PROVIDER_GUARD = 'exec 3<&0 </dev/null; "$0" -debug & p=$!; (read _ <&3; kill -9 "$p") 2>/dev/null & exec 3<&-; wait "$p"';
/** Resident size assumed for a process not yet measured (the AWS provider holds 300-600 MiB). */
export const ASSUMED_MIB = 500;

export type PooledProcessState = 'starting' | 'idle' | 'leased' | 'dead';

/** One provider process and the pool's bookkeeping about it. */
export interface PooledProcess {
  child: ChildProcess;
  /** The provider's own pid (from its reattach line; the guard shell's until then). */
  pid: number;
  /** The process group: the guard shell, the provider and the stdin watcher. */
  group: number;
  key: string;
  source: string;
  version: string;
  state: PooledProcessState;
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

/** What the pool that starts a process hears about it, and what it decides. */
export interface ProviderStartHooks {
  /** How long a provider gets to print its reattach line. */
  readonly startTimeoutMs: number;
  readonly logger?: { warn(obj: object, msg?: string): void };
  /** Whether the pool has closed: a provider that answers after that is not used. */
  isClosed(): boolean;
  /** The guard shell was spawned; the provider has not answered yet. */
  spawned(proc: PooledProcess): void;
  /** The provider gave no usable reattach line; `why` is 'closed' when the pool closed meanwhile. */
  unusable(proc: PooledProcess, why: string | undefined): void;
  /** The guard shell exited, at any time after `spawned`. */
  exited(proc: PooledProcess, code: number | null, signal: NodeJS.Signals | null): void;
}

/**
 * Starts `provider` with `-debug` under the guard shell and resolves with the process once it has
 * printed its reattach line, or with undefined when it could not start or gave none in time.
 */
export function startProviderProcess(provider: InstalledProvider, env: NodeJS.ProcessEnv, key: string, hooks: ProviderStartHooks): Promise<PooledProcess | undefined> {
  // The owner mark lets anyone (tests, operators) tell this process's pooled providers apart.
  const childEnv: NodeJS.ProcessEnv = { ...env, [POOL_OWNER_VARIABLE]: String(process.pid) };
  delete childEnv.TF_REATTACH_PROVIDERS;
  return new Promise<PooledProcess | undefined>((resolve) => {
    let child: ChildProcess;
    try {
      // detached: its own process group, so a SIGINT or SIGKILL to terraform's group never reaches it.
      // The guard shell ties the provider's life to ours: it waits for the provider, and a watcher
      // kills the provider when our end of its stdin closes, i.e. when this process dies, even by kill -9.
      child = spawn('/bin/sh', ['-c', PROVIDER_GUARD, provider.binary], { env: childEnv, stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    } catch (error) {
      hooks.logger?.warn({ err: error, binary: provider.binary }, 'provider pool: could not start provider');
      resolve(undefined);
      return;
    }
    const pid = child.pid;
    if (pid === undefined) {
      child.once('error', () => undefined);
      resolve(undefined);
      return;
    }
    child.stdin?.on('error', () => undefined); // EPIPE once the group is gone.
    const proc: PooledProcess = { child, pid, group: pid, key, source: provider.source, version: provider.version, state: 'starting', uses: 0, configures: 0 };
    hooks.spawned(proc);
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
      hooks.logger?.warn({ binary: provider.binary, pid, why }, 'provider pool: provider gave no reattach line; launching normally');
      hooks.unusable(proc, why);
      resolve(undefined);
    };
    const timer = setTimeout(() => done(false, 'timeout'), hooks.startTimeoutMs);
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
        const closed = hooks.isClosed();
        done(!closed, closed ? 'closed' : undefined);
      } catch {
        done(false, 'unparseable reattach line');
      }
    });
    child.once('error', (error) => done(false, error.message));
    child.once('exit', (code, signal) => {
      hooks.exited(proc, code, signal);
      done(false, `exited (${code ?? signal})`);
    });
  });
}

/** Signals the process's whole group (guard, provider, watcher), or the guard alone when the group is gone. */
export function signalProcess(proc: PooledProcess, signal: NodeJS.Signals): void {
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

/** Whether a process exists and is not a zombie. */
export function running(pid: number): boolean {
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

/** A process's resident memory in MiB, or ASSUMED_MIB when it cannot be read. */
export function residentMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return kb === null ? ASSUMED_MIB : Number(kb[1]) / 1024;
  } catch {
    return ASSUMED_MIB;
  }
}
