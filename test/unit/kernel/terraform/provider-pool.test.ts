import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findInstalledProviders, hashEnv, PROVIDER_GUARD, ProviderPool } from '../../../../src/kernel/terraform/provider-pool.js';
import { TerraformError, TerraformRunner } from '../../../../src/kernel/terraform/terraform-runner.js';

// A stand-in provider: with -debug it prints the reattach line as real providers do, then waits.
const FAKE_PROVIDER = `#!/bin/sh
if [ "$1" != "-debug" ]; then exit 1; fi
echo "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:"
echo ""
echo "	TF_REATTACH_PROVIDERS='{\\"registry.terraform.io/hashicorp/fake\\":{\\"Protocol\\":\\"grpc\\",\\"ProtocolVersion\\":5,\\"Pid\\":$$,\\"Test\\":true,\\"Addr\\":{\\"Network\\":\\"unix\\",\\"String\\":\\"/tmp/plugin$$\\"}}}'"
exec sleep 300
`;
// The same, taking its time to start.
const SLOW_PROVIDER = FAKE_PROVIDER.replace('then exit 1; fi', 'then exit 1; fi\nsleep 0.4');
// A provider without a debug mode: it exits at once.
const NO_DEBUG_PROVIDER = '#!/bin/sh\necho "This binary is a plugin."\nexit 1\n';

function workingDir(root: string, name: string, script: string): string {
  const cwd = join(root, name);
  const dir = join(cwd, '.terraform', 'providers', 'registry.terraform.io', 'hashicorp', 'fake', '1.2.3', 'linux_amd64');
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, 'terraform-provider-fake_v1.2.3');
  writeFileSync(binary, script);
  chmodSync(binary, 0o755);
  return cwd;
}

/** Alive: exists and is not a zombie waiting to be reaped (a provider's parent is its guard shell, not us). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

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

async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
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

  it('finds the providers init installed', async () => {
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const found = await findInstalledProviders(cwd);
    expect(found).toMatchObject([{ source: 'registry.terraform.io/hashicorp/fake', version: '1.2.3', platform: 'linux_amd64' }]);
    expect(await findInstalledProviders(join(root, 'nothing-here'))).toEqual([]);
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

  it('keys processes on what a provider can read, not on terraform-only variables', () => {
    const base = { ...env, AWS_ACCESS_KEY_ID: 'a' };
    expect(hashEnv({ ...base, TF_WORKSPACE: 's1', TF_IN_AUTOMATION: '1', TF_CLI_ARGS_plan: '-parallelism=2' })).toBe(hashEnv({ ...base, TF_WORKSPACE: 's2' }));
    expect(hashEnv({ ...base, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' })).not.toBe(hashEnv(base));
    expect(hashEnv({ ...base, TF_VAR_x: '1' })).not.toBe(hashEnv(base));
  });

  it('ties a pooled provider to its owner: when the owner dies (its end of the stdin pipe closes) the provider is killed', async () => {
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const [installed] = await findInstalledProviders(cwd);
    // The guard exactly as the pool runs it; closing stdin is what the kernel's death (even kill -9) does to it.
    const guard = spawn('/bin/sh', ['-c', PROVIDER_GUARD, installed!.binary], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    let out = '';
    guard.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => /"Pid":(\d+)/.test(out));
    const providerPid = Number(/"Pid":(\d+)/.exec(out)![1]);
    expect(providerPid).not.toBe(guard.pid);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(providerPid)).toBe(true);
    const exited = new Promise((resolve) => guard.once('exit', resolve));
    guard.stdin.end();
    await waitFor(() => !alive(providerPid));
    await exited; // The guard shell goes with it.
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

// The runner with a pool, and a stand-in terraform that kills the provider it was attached to,
// as a provider crash (or kill -9) in the middle of a command would.
describe('TerraformRunner with a provider pool whose provider dies mid-command', () => {
  let root: string;
  let pool: ProviderPool;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pool-runner-'));
  });
  afterEach(async () => {
    await pool?.close();
    rmSync(root, { recursive: true, force: true });
  });

  function setup(): { runner: TerraformRunner; cwd: string; calls: () => string[] } {
    const cwd = workingDir(root, 'session', FAKE_PROVIDER);
    const log = join(root, 'calls.log');
    const terraform = join(root, 'fake-terraform');
    writeFileSync(
      terraform,
      [
        '#!/bin/sh',
        `echo "$1 \${TF_REATTACH_PROVIDERS:+attached}" >> '${log}'`,
        'if [ -n "$TF_REATTACH_PROVIDERS" ]; then',
        '  kill -9 "$(echo "$TF_REATTACH_PROVIDERS" | sed \'s/.*"Pid":\\([0-9]*\\).*/\\1/\')"',
        '  echo "Error: Plugin did not respond" >&2',
        '  exit 1',
        'fi',
        'echo \'{"@level":"info","@message":"Apply complete!","type":"change_summary","changes":{"add":1,"change":0,"remove":0,"operation":"apply"}}\'',
      ].join('\n'),
    );
    chmodSync(terraform, 0o755);
    pool = new ProviderPool({ maxProcesses: 3 });
    const runner = new TerraformRunner({
      binary: terraform,
      maxConcurrent: 1,
      timeouts: { init: 10_000, plan: 10_000, apply: 10_000, show: 10_000, output: 10_000 },
      providerPool: pool,
    });
    return { runner, cwd, calls: () => readFileSync(log, 'utf8').trim().split('\n').map((line) => line.trim()) };
  }

  it('fails the apply with a clear error and does not run it again: it may have changed things first', async () => {
    const { runner, cwd, calls } = setup();
    const error = await runner.apply({ cwd, planFile: 'p.tfplan' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TerraformError);
    expect((error as TerraformError).message).toMatch(
      /^terraform apply failed \(exit 1\): .*\(a pooled provider process, pid \d+, (exited|stopped answering) during the apply; it was not re-run because it may have changed resources first: plan again to see what the state holds\)$/,
    );
    expect(calls()).toEqual(['apply attached']);
  });

  it('re-runs a plan with a normal provider launch, which succeeds; the next plan attaches to a fresh process', async () => {
    const { runner, cwd, calls } = setup();
    const events: string[] = [];
    const planned = await runner.plan({ cwd, planFile: 'p.tfplan', onEvent: (e) => events.push(e.message) });
    expect(planned.changeSummary).toEqual({ add: 1, change: 0, remove: 0 });
    expect(calls()).toEqual(['plan attached', 'plan']);
    expect(events.some((line) => /^A pooled provider process (exited|failed); running terraform plan again with its own provider\.$/.test(line))).toBe(true);
    expect(pool.metrics.fallbacks).toBe(1);
    await pool.settled();
    // The dead process is gone; the spare is fresh and is what the next plan gets.
    expect(pool.list().every((p) => p.configures === 0 && p.state === 'idle')).toBe(true);
    await runner.plan({ cwd, planFile: 'p.tfplan' });
    expect(calls().at(-2)).toBe('plan attached');
  });
});
