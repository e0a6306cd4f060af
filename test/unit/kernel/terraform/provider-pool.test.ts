import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashEnv } from '../../../../src/kernel/terraform/installed-providers.js';
import { ProviderPool } from '../../../../src/kernel/terraform/provider-pool.js';
import { alive, FAKE_PROVIDER, NO_DEBUG_PROVIDER, SLOW_PROVIDER, waitFor, workingDir } from './provider.fixture.js';

function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** Live (not zombie) processes in a process group. */
function groupMembers(group: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === group && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return members;
}

describe('ProviderPool (with a stand-in provider binary)', () => {
  let root: string;
  let pool: ProviderPool;
  const env = { PATH: process.env.PATH, AWS_REGION: 'eu-west-1' };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'provider-pool-'));
  });
  afterEach(async () => {
    await pool?.close();
    rmSync(root, { recursive: true, force: true });
  });


  it('starts on demand, leases the reattach JSON, reuses a configured process only for schema work', async () => {
    pool = new ProviderPool({ maxProcesses: 4, spares: 0 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const first = (await pool.lease(cwd, env, 'configure'))!;
    expect(first).toBeDefined();
    const reattach = JSON.parse(first.reattach) as Record<string, { Pid: number }>;
    expect(reattach['registry.terraform.io/hashicorp/fake']!.Pid).toBe(first.pids[0]);
    first.release({ failed: false });

    // show after plan: the same process.
    const show = (await pool.lease(cwd, env, 'schema'))!;
    expect(show.pids).toEqual(first.pids);
    show.release({ failed: false });
    // The next plan gets a process that was never configured.
    const second = (await pool.lease(cwd, env, 'configure'))!;
    expect(second.pids).not.toEqual(first.pids);
    second.release({ failed: false });
    expect(pool.metrics).toMatchObject({ hits: 1, misses: 2, starts: 2, fallbacks: 0 });
  });

  it('never hands one process to two commands at once, nor across different environments', async () => {
    pool = new ProviderPool({ maxProcesses: 4, configuresPerProcess: 10, spares: 0 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const [a, b] = await Promise.all([pool.lease(cwd, env, 'configure'), pool.lease(cwd, env, 'configure')]);
    expect(a!.pids[0]).not.toBe(b!.pids[0]);
    a!.release({ failed: false });
    b!.release({ failed: false });
    const other = (await pool.lease(cwd, { ...env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' }, 'configure'))!;
    expect([a!.pids[0], b!.pids[0]]).not.toContain(other.pids[0]);
    expect(new Set(pool.list().map((p) => p.key)).size).toBe(2);
    expect(hashEnv(env)).not.toBe(hashEnv({ ...env, AWS_SECRET_ACCESS_KEY: 'x' }));
    other.release({ failed: false });
  });

  it('recycles on failure and after maxUses', async () => {
    pool = new ProviderPool({ maxProcesses: 2, maxUses: 2, spares: 0 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const lease = (await pool.lease(cwd, env, 'configure'))!;
    lease.release({ failed: true });
    await waitFor(() => !alive(lease.pids[0]!));
    const again = (await pool.lease(cwd, env, 'configure'))!;
    again.release({ failed: false });
    const show = (await pool.lease(cwd, env, 'schema'))!;
    show.release({ failed: false }); // second use: spent
    await waitFor(() => !alive(again.pids[0]!));
    expect(pool.metrics.recycles).toBe(2);
  });

  it('notices a leased process that dies, and a crashed idle one is not handed out', async () => {
    pool = new ProviderPool({ maxProcesses: 2 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const lease = (await pool.lease(cwd, env, 'configure'))!;
    process.kill(lease.pids[0]!, 'SIGKILL');
    await waitFor(() => lease.crashed);
    lease.release({ failed: true });
    expect(pool.metrics.crashes).toBe(1);
    await pool.settled();
    // Only the spare the plan started is left: fresh, and not the dead one.
    expect(pool.list().map((p) => p.pid)).not.toContain(lease.pids[0]);
    expect(pool.list().map((p) => p.configures)).toEqual([0]);
  });

  it('falls back (undefined) when a provider has no debug mode, and does not try that binary again', async () => {
    pool = new ProviderPool({ maxProcesses: 2 });
    const cwd = workingDir(root, 'b', NO_DEBUG_PROVIDER);
    expect(await pool.lease(cwd, env, 'configure')).toBeUndefined();
    expect(await pool.lease(cwd, env, 'configure')).toBeUndefined();
    expect(pool.metrics).toMatchObject({ starts: 1, fallbacks: 2 });
  });

  it('falls back when exhausted: every process leased and none idle to evict', async () => {
    pool = new ProviderPool({ maxProcesses: 1, spares: 0 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const held = (await pool.lease(cwd, env, 'configure'))!;
    expect(await pool.lease(cwd, env, 'schema')).toBeUndefined();
    held.release({ failed: false });
    // An idle process is evicted to make room for another environment.
    const other = (await pool.lease(cwd, { ...env, AWS_REGION: 'us-east-1' }, 'configure'))!;
    await waitFor(() => !alive(held.pids[0]!));
    other.release({ failed: false });
    expect(pool.metrics.fallbacks).toBe(1);
  });

  it('kills idle processes after the idle timeout, and everything on close', async () => {
    pool = new ProviderPool({ maxProcesses: 3, idleMs: 100, spares: 0 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const idle = (await pool.lease(cwd, env, 'configure'))!;
    idle.release({ failed: false });
    await waitFor(() => !alive(idle.pids[0]!));
    const held = (await pool.lease(cwd, env, 'configure'))!;
    await pool.close();
    expect(alive(held.pids[0]!)).toBe(false);
    expect(await pool.lease(cwd, env, 'configure')).toBeUndefined();
  });

  it('keeps a fresh spare: a plan starts its replacement in the background, and the next plan attaches to it without a start', async () => {
    pool = new ProviderPool({ maxProcesses: 3 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const plan = (await pool.lease(cwd, env, 'configure'))!;
    await pool.settled();
    const spare = pool.list().find((p) => p.state === 'idle')!;
    expect(spare).toMatchObject({ configures: 0, uses: 0 });
    expect(pool.list()).toHaveLength(2);
    plan.release({ failed: false });
    const show = (await pool.lease(cwd, env, 'schema'))!;
    expect(show.pids).toEqual(plan.pids); // The configured one serves the show; the spare stays fresh.
    show.release({ failed: false });

    const next = (await pool.lease(cwd, env, 'configure'))!;
    expect(next.pids).toEqual([spare.pid]);
    await pool.settled();
    expect(pool.metrics).toMatchObject({ misses: 1, hits: 2, starts: 3, prewarms: 2, fallbacks: 0 });
    // Three processes at most: the spent one, the leased one and the new spare.
    expect(pool.list().map((p) => p.configures).sort()).toEqual([0, 1, 1]);
    next.release({ failed: false });
  });

  it('pre-warms a directory, and a plan arriving while that start is under way waits for it instead of starting another', async () => {
    pool = new ProviderPool({ maxProcesses: 3 });
    const cwd = workingDir(root, 'a', SLOW_PROVIDER);
    pool.prewarm(cwd, env);
    await waitFor(() => pool.list().some((p) => p.state === 'starting'));
    const lease = (await pool.lease(cwd, env, 'configure'))!;
    // The one started ahead is the one leased (listed under the provider's own pid once it printed it).
    expect(pool.list().filter((p) => p.state === 'leased').map((p) => p.pid)).toEqual(lease.pids);
    expect(pool.metrics).toMatchObject({ misses: 0, hits: 1 });
    await pool.settled();
    // Its replacement is the only other start.
    expect(pool.metrics).toMatchObject({ starts: 2, prewarms: 2 });
    lease.release({ failed: false });
  });

  it('never goes over the cap for a spare, and a spare never displaces a process that can still plan', async () => {
    pool = new ProviderPool({ maxProcesses: 2 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const other = { ...env, AWS_REGION: 'us-east-1' };
    const a = (await pool.lease(cwd, env, 'configure'))!;
    await pool.settled(); // a's spare: 2 processes.
    const b = (await pool.lease(cwd, other, 'configure'))!; // Real demand evicts the idle spare.
    await pool.settled(); // No room for b's spare: both processes are leased.
    expect(pool.list().map((p) => p.state)).toEqual(['leased', 'leased']);
    a.release({ failed: false });
    b.release({ failed: false });
    pool.prewarm(cwd, env); // Both idle ones have planned once; a spare may replace one of them.
    await pool.settled();
    expect(pool.list()).toHaveLength(2);
    expect(pool.list().filter((p) => p.configures === 0)).toHaveLength(1);
    expect(pool.metrics.fallbacks).toBe(0);
  });

  it('does nothing ahead of need with spares: 0, and close() stops a start under way', async () => {
    pool = new ProviderPool({ maxProcesses: 2, spares: 0 });
    const cwd = workingDir(root, 'a', SLOW_PROVIDER);
    pool.prewarm(cwd, env);
    await pool.settled();
    expect(pool.list()).toEqual([]);
    await pool.close();

    pool = new ProviderPool({ maxProcesses: 2 });
    pool.prewarm(cwd, env);
    await waitFor(() => pool.list().some((p) => p.state === 'starting'));
    const [starting] = pool.list();
    await pool.close();
    await waitFor(() => !alive(starting!.pid));
    expect(pool.list()).toEqual([]);
  });



  it('lists the provider under its own pid, and a provider that dies takes its guard along (the pool sees the exit)', async () => {
    pool = new ProviderPool({ maxProcesses: 2, spares: 0 });
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const lease = (await pool.lease(cwd, env, 'schema'))!;
    const reattach = JSON.parse(lease.reattach) as Record<string, { Pid: number }>;
    expect(lease.pids).toEqual([reattach['registry.terraform.io/hashicorp/fake']!.Pid]);
    const group = processGroup(lease.pids[0]!);
    expect(group).not.toBe(lease.pids[0]); // The guard shell leads the group.
    expect(groupMembers(group).length).toBeGreaterThanOrEqual(3); // Guard, provider, stdin watcher.
    process.kill(lease.pids[0]!, 'SIGKILL');
    await waitFor(() => lease.crashed);
    lease.release({ failed: true });
    expect(pool.metrics.crashes).toBe(1);
    // Nothing of that group is left: not the guard, not its stdin watcher.
    await waitFor(() => groupMembers(group).length === 0);
  });
});
