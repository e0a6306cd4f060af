import { access, readdir, readlink, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** The process recorded as running a session's operation (`host:pid:boot`). */
export interface ProcessOwner {
  readonly host: string;
  readonly pid: number;
  readonly id: string;
}

/** Reads a session's `operation_owner`; undefined when none or unreadable. */
export function parseOwner(owner: string | null): ProcessOwner | undefined {
  const match = owner ? /^(.*):(\d+):([0-9a-f]+)$/.exec(owner) : null;
  return match ? { host: match[1]!, pid: Number(match[2]), id: owner! } : undefined;
}

/** Whether the owner is a process on this host that is gone (a live one, or one on another host, may still be working). */
export function ownerGone(owner: ProcessOwner | undefined): boolean {
  return owner !== undefined && owner.host === hostname() && !processAlive(owner.pid);
}

/** Whether a process with this pid exists (ours or not). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops processes still running in a session's working dir — terraform and
 * its provisioners' children outlive a killed parent — provably ours, since
 * the dir is the session's. Linux only (/proc); elsewhere nothing is stopped.
 */
export async function stopTerraformIn(workingDir: string): Promise<number[]> {
  const stopped: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return stopped;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if ((await readlink(`/proc/${entry}/cwd`)) !== workingDir) continue;
      process.kill(Number(entry), 'SIGKILL');
      stopped.push(Number(entry));
    } catch {
      // The process ended meanwhile, or is not ours to inspect.
    }
  }
  if (stopped.length) await new Promise((resolve) => setTimeout(resolve, 200));
  return stopped;
}

/**
 * Stops what still runs in a working dir until nothing does (a process may
 * start a child while the first are stopped), then waits until the local
 * state file has stopped changing, so what is read next is what terraform
 * left. Gives up after about three seconds; returns every pid it stopped.
 */
export async function settleWorkingDir(workingDir: string): Promise<number[]> {
  const stopped: number[] = [];
  for (let round = 0; round < 10; round++) {
    const now = await stopTerraformIn(workingDir);
    stopped.push(...now);
    if (now.length === 0) break;
  }
  const statePath = join(workingDir, 'terraform.tfstate');
  const fingerprint = async () => stat(statePath).then((info) => `${info.size}:${info.mtimeMs}`, () => 'none');
  let last = await fingerprint();
  for (let round = 0; round < 10; round++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const next = await fingerprint();
    if (next === last) break;
    last = next;
  }
  return stopped;
}

/** The local backend's lock info file, left behind by a terraform that died; the OS lock itself died with it. */
export async function removeStaleLocalLock(workingDir: string): Promise<boolean> {
  const lock = join(workingDir, '.terraform.tfstate.lock.info');
  const present = await access(lock).then(
    () => true,
    () => false,
  );
  if (!present) return false;
  await rm(lock, { force: true });
  return true;
}
