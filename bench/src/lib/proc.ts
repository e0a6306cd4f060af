import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** What one timed child process did. */
export interface TimedRun {
  /** Wall time from just before spawn until the process closed its pipes. */
  ms: number;
  /** When the first stdout/stderr line matching `match` arrived, from spawn. */
  matchMs?: number;
  matchLine?: string;
  exitCode: number | null;
  stdoutBytes: number;
  /** Last lines of output, for error messages. */
  tail: string;
  /** Peak resident set (VmHWM, KiB) of the process itself and of its largest child. */
  peakKiB?: { self: number; child: number; childName?: string };
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  match?: RegExp;
  /** Poll /proc for the peak RSS of the process and its children (Linux). */
  pollRss?: boolean;
  /** Keep stdout (e.g. `show -json`), else it is counted and dropped. */
  keepStdout?: boolean;
}

/** Runs a command (no shell), timing it and, optionally, when a line first matches. */
export function timed(command: string, args: string[], options: RunOptions): Promise<TimedRun & { stdout?: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let matchMs: number | undefined;
    let matchLine: string | undefined;
    let stdoutBytes = 0;
    let tail = '';
    const kept: Buffer[] = [];
    const partial = { out: '', err: '' };
    const scan = (which: 'out' | 'err', chunk: Buffer): void => {
      const text = partial[which] + chunk.toString('utf8');
      const lines = text.split('\n');
      partial[which] = lines.pop() ?? '';
      for (const line of lines) {
        if (matchMs === undefined) {
          const plain = line.replace(/\x1b\[[0-9;]*m/g, '');
          if (options.match?.test(plain)) {
            matchMs = performance.now() - started;
            matchLine = plain.trim();
          }
        }
      }
      tail = (tail + text).slice(-2000);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (options.keepStdout) kept.push(chunk);
      if (options.match) scan('out', chunk);
      else tail = (tail + chunk.toString('utf8')).slice(-2000);
    });
    child.stderr.on('data', (chunk: Buffer) => scan('err', chunk));

    let peak: TimedRun['peakKiB'];
    let poller: NodeJS.Timeout | undefined;
    if (options.pollRss && child.pid !== undefined) {
      const pid = child.pid;
      peak = { self: 0, child: 0 };
      const sample = (): void => {
        const self = vmHwm(pid);
        if (self > peak!.self) peak!.self = self;
        for (const kid of childrenOf(pid)) {
          const hwm = vmHwm(kid);
          if (hwm > peak!.child) {
            peak!.child = hwm;
            peak!.childName = processName(kid);
          }
        }
      };
      sample();
      poller = setInterval(sample, 20);
    }
    child.on('error', reject);
    child.on('close', (exitCode) => {
      const ms = performance.now() - started;
      if (poller) clearInterval(poller);
      resolve({ ms, matchMs, matchLine, exitCode, stdoutBytes, tail, peakKiB: peak, stdout: options.keepStdout ? Buffer.concat(kept).toString('utf8') : undefined });
    });
  });
}

/** Like `timed`, but fails on a non-zero exit. */
export async function mustRun(command: string, args: string[], options: RunOptions): Promise<TimedRun & { stdout?: string }> {
  const run = await timed(command, args, options);
  if (run.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.exitCode} in ${options.cwd}:\n${run.tail}`);
  return run;
}

/** VmHWM (peak RSS) of a live process in KiB; 0 when it is gone. */
export function vmHwm(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Current RSS of a live process in KiB. */
export function vmRss(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Children of every thread of a process (Go starts plugins from whichever OS thread it is on). */
function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return kids;
  }
  for (const task of tasks) {
    try {
      kids.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return kids;
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc; NaN when unreadable. */
export function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after "pid (comm) "; clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Parent pid of a live process; undefined when it is gone. */
export function ppidOf(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Every live descendant of a process (children of all its threads, recursively), but not those in `except` and theirs. */
export function descendantsOf(pid: number, except: readonly number[] = []): number[] {
  const out: number[] = [];
  const queue = childrenOf(pid);
  while (queue.length) {
    const kid = queue.shift()!;
    if (except.includes(kid)) continue;
    out.push(kid);
    queue.push(...childrenOf(kid));
  }
  return out;
}

/**
 * CPU time (ms) of a process tree so far: the process itself, the children it has already waited for
 * (cutime + cstime: terraform and the plugins terraform waited for), and the descendants still alive but
 * those in `except` (and theirs): processes started beside the one measured, e.g. servers a bench started.
 */
export function treeCpuMs(pid: number, except: readonly number[] = []): number {
  let total = cpuMs(pid);
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    total += (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
  for (const kid of descendantsOf(pid, except)) {
    const ms = cpuMs(kid);
    if (Number.isFinite(ms)) total += ms;
  }
  return total;
}

/** Resident KiB of a process and its live descendants (but not those in `except` and theirs), with the largest descendant and its name. */
export function treeRss(pid: number, except: readonly number[] = []): { selfKiB: number; totalKiB: number; largestKiB: number; largestName?: string; processes: number } {
  const selfKiB = vmRss(pid);
  let totalKiB = selfKiB;
  let largestKiB = 0;
  let largestName: string | undefined;
  const kids = descendantsOf(pid, except);
  for (const kid of kids) {
    const rss = vmRss(kid);
    totalKiB += rss;
    if (rss > largestKiB) {
      largestKiB = rss;
      largestName = processName(kid);
    }
  }
  return { selfKiB, totalKiB, largestKiB, largestName, processes: 1 + kids.length };
}
