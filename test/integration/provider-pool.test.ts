import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { POOL_OWNER_VARIABLE, type ProviderPool } from '../../src/kernel/terraform/provider-pool.js';
import type { TerraformRunner } from '../../src/kernel/terraform/terraform-runner.js';
import { HAS_AWS_EMULATORS, startAwsEmulators, useEmulatorAwsEnv, type AwsEmulators } from '../support/aws-emulators.js';
import { runTerraform, sessionTerraformEnv } from '../support/terraform-cli.js';
import { createProject, HAS_AWS_MIRROR, startTestKernel, TF_PLUGIN_DIR, type TestKernel } from '../support/test-kernel.js';

if (!HAS_AWS_MIRROR) {
  console.warn(`Skipping the provider pool tests: no offline AWS provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
}

function poolOf(kernel: Kernel): ProviderPool {
  const runner = (kernel.orchestrator as unknown as { runner: TerraformRunner }).runner;
  return runner.providerPool!;
}

/** Live terraform-provider processes that a pool in this test process started (marked in their environment). */
function ourProviderPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const zombie = stat[stat.lastIndexOf(')') + 2] === 'Z';
      if (!comm.startsWith('terraform-provi') || zombie) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`${POOL_OWNER_VARIABLE}=${process.pid}`)) pids.push(Number(entry));
    } catch {
      // Gone while we looked.
    }
  }
  return pids;
}

const SETTINGS = { region: 'eu-west-1', skipCredentialsValidation: true };

async function planInstances(kernel: Kernel, projectId: string, count: number) {
  const { orchestrator } = kernel;
  const session = await orchestrator.startSession('alice', projectId, 'aws');
  for (let i = 0; i < count; i += 1) {
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.instance', name: `web${i}`, config: { ami: 'ami-0123456789abcdef0', instanceType: 't3.micro' } });
  }
  const started = Date.now();
  const plan = await orchestrator.runPlan(session.id, 'alice');
  return { plan, ms: Date.now() - started, sessionId: session.id };
}

// Real plans with the real AWS provider, offline, attached to pooled provider processes.
describe.skipIf(!HAS_AWS_MIRROR)('the provider pool with the real AWS provider', () => {
  let pooled: TestKernel;
  let bare: TestKernel;
  const saved = { ...process.env };

  beforeAll(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-plans', AWS_EC2_METADATA_DISABLED: 'true' });
    pooled = await startTestKernel();
    bare = await startTestKernel({ providerPool: 'off' });
    for (const t of [pooled, bare]) {
      await createProject(t.kernel, { id: 'aws-a', provider: 'aws', settings: SETTINGS });
      await createProject(t.kernel, { id: 'aws-b', provider: 'aws', settings: { ...SETTINGS, endpoints: { s3: 'http://127.0.0.1:9' } } });
    }
  }, 30_000);

  afterAll(async () => {
    await bare?.dispose();
    await pooled?.dispose();
    process.env = saved;
  }, 30_000);

  it('is on by default, and off launches providers the usual way', () => {
    expect(pooled.kernel.config.providerPool).toBe('on');
    expect(poolOf(pooled.kernel)).toBeDefined();
    expect(bare.kernel.config.providerPool).toBe('off');
    expect((bare.kernel.orchestrator as unknown as { runner: TerraformRunner }).runner.providerPool).toBeUndefined();
  });

  it('plans exactly what a normal launch plans (the same plan JSON), with plan and show on one pooled process', async () => {
    const withPool = await planInstances(pooled.kernel, 'aws-a', 10);
    const without = await planInstances(bare.kernel, 'aws-a', 10);
    console.info(`10 aws_instance, runPlan (init+plan+show): pooled ${withPool.ms} ms, normal ${without.ms} ms`);
    // The whole plan JSON is the same, but for when it was made and the order of relevant_attributes,
    // which terraform itself does not keep stable from one run to the next.
    const comparable = (planJson: unknown) => {
      const { timestamp, relevant_attributes: relevant, ...rest } = planJson as Record<string, unknown>;
      expect(typeof timestamp).toBe('string');
      return { ...rest, relevant_attributes: ((relevant ?? []) as unknown[]).map((entry) => JSON.stringify(entry)).sort() };
    };
    expect(comparable(withPool.plan.planJson)).toEqual(comparable(without.plan.planJson));
    expect((withPool.plan.planJson.resource_changes ?? []).length).toBe(10);
    expect(withPool.plan.summary).toBe('Plan: 10 to add, 0 to change, 0 to destroy.');
    const pool = poolOf(pooled.kernel);
    // plan missed and started a process (and a spare behind it); show hit the same one.
    expect(pool.metrics).toMatchObject({ misses: 1, hits: 1, fallbacks: 0, crashes: 0 });
    await pool.settled();
    expect(pool.metrics).toMatchObject({ starts: 2, prewarms: 1 });
    expect(pool.list().filter((proc) => proc.configures === 0)).toHaveLength(1);
    expect(poolOf(bare.kernel)).toBeUndefined();
  }, 60_000);

  it('re-plans a session on the spare the last plan started: plan and show both hit, nothing starts on the way', async () => {
    const pool = poolOf(pooled.kernel);
    const { orchestrator } = pooled.kernel;
    const { sessionId } = await planInstances(pooled.kernel, 'aws-a', 3);
    await pool.settled();
    const spare = pool.list().find((proc) => proc.state === 'idle' && proc.configures === 0)!;
    expect(spare).toBeDefined();
    const before = { ...pool.metrics };
    const again = await orchestrator.runPlan(sessionId, 'alice');
    expect(again.summary).toBe('Plan: 3 to add, 0 to change, 0 to destroy.');
    expect(pool.metrics.hits - before.hits).toBe(2);
    expect(pool.metrics.misses).toBe(before.misses);
    expect(pool.metrics.fallbacks).toBe(before.fallbacks);
    // The spare did the plan: it is configured now (and a new spare is on its way).
    expect(pool.list().find((proc) => proc.pid === spare.pid)?.configures).toBe(1);
    // The same figures reach admins through stats (/cloud-stats).
    const { terraform } = await orchestrator.stats();
    expect(terraform).toMatchObject({ running: 0, queued: 0, cap: 2, pool: { hits: pool.metrics.hits, misses: pool.metrics.misses, processes: pool.list().length } });
  }, 60_000);

  it('gives concurrent sessions with different environments different processes', async () => {
    const pool = poolOf(pooled.kernel);
    const seen = new Map<number, string>();
    const timer = setInterval(() => {
      for (const proc of pool.list()) if (proc.state === 'leased') seen.set(proc.pid, proc.key);
    }, 25);
    try {
      const [a, b] = await Promise.all([planInstances(pooled.kernel, 'aws-a', 1), planInstances(pooled.kernel, 'aws-b', 1)]);
      expect(a.plan.toAdd).toBe(1);
      expect(b.plan.toAdd).toBe(1);
    } finally {
      clearInterval(timer);
    }
    // At least two processes were leased at some point, under two different environment keys, and no pid had two keys.
    const keys = new Set(seen.values());
    expect(keys.size).toBeGreaterThanOrEqual(2);
    expect(seen.size).toBeGreaterThanOrEqual(keys.size);
    expect(pool.metrics.fallbacks).toBe(0);
  }, 60_000);

  it('a pooled provider killed with SIGKILL mid-plan: the plan re-runs with a normal launch and succeeds; the next uses a fresh process', async () => {
    const pool = poolOf(pooled.kernel);
    const before = { ...pool.metrics };
    let killed: number | undefined;
    const timer = setInterval(() => {
      const leased = pool.list().find((proc) => proc.state === 'leased' && proc.uses === 1 && proc.configures === 1);
      if (killed === undefined && leased !== undefined) {
        killed = leased.pid;
        process.kill(leased.pid, 'SIGKILL');
      }
    }, 10);
    let first: Awaited<ReturnType<typeof planInstances>>;
    try {
      first = await planInstances(pooled.kernel, 'aws-a', 2);
    } finally {
      clearInterval(timer);
    }
    expect(killed).toBeDefined();
    expect(first.plan.toAdd).toBe(2);
    expect(pool.metrics.crashes).toBe(before.crashes + 1);
    expect(pool.metrics.fallbacks).toBe(before.fallbacks + 1);

    const next = await planInstances(pooled.kernel, 'aws-a', 1);
    expect(next.plan.toAdd).toBe(1);
    expect(pool.metrics.crashes).toBe(before.crashes + 1);
    expect(pool.list().map((proc) => proc.pid)).not.toContain(killed);
  }, 60_000);

  it('leaves no provider process behind after kernel.close()', async () => {
    expect(ourProviderPids().length).toBeGreaterThan(0);
    await pooled.kernel.close();
    expect(ourProviderPids()).toEqual([]);
  }, 30_000);
});

// An apply attached to a pooled provider, for real, against s3rver and dynalite on 127.0.0.1.
describe.skipIf(!HAS_AWS_MIRROR || !HAS_AWS_EMULATORS)('an apply through the provider pool, on local S3 and DynamoDB emulators', () => {
  let emulators: AwsEmulators | undefined;
  let t: TestKernel | undefined;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    restoreEnv = useEmulatorAwsEnv();
    emulators = await startAwsEmulators();
    t = await startTestKernel({ providerPool: 'on' });
    await createProject(t.kernel, {
      id: 'aws-local',
      provider: 'aws',
      settings: { region: 'us-east-1', skipCredentialsValidation: true, endpoints: { s3: emulators.s3.url, dynamodb: emulators.dynamodb.url } },
    });
  }, 30_000);

  afterAll(async () => {
    await t?.dispose().catch((error: unknown) => console.warn('kernel dispose failed', error));
    await emulators?.stop().catch((error: unknown) => console.warn('emulator stop failed', error));
    restoreEnv?.();
    expect(ourProviderPids()).toEqual([]);
  }, 30_000);

  it('plans, applies (attached to a pooled provider) and leaves exactly what a normal launch re-plans as no changes', async () => {
    const { orchestrator } = t!.kernel;
    const pool = poolOf(t!.kernel);
    const session = await orchestrator.startSession('alice', 'aws-local', 'aws');
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'assets', config: { bucket: 'ce-pooled-assets' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.dynamodb_table', name: 'orders', config: { tableName: 'ce-pooled-orders', hashKey: 'id' } });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    expect(plan.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
    await pool.settled();

    // The apply must lease a pooled process: watch for a leased one while it runs.
    const leasedDuringApply = new Set<number>();
    const watch = setInterval(() => {
      for (const proc of pool.list()) if (proc.state === 'leased') leasedDuringApply.add(proc.pid);
    }, 20);
    const before = { ...pool.metrics };
    const lines: string[] = [];
    let applied;
    try {
      applied = await orchestrator.approveAndApply(session.id, 'bob', { onOutput: (line) => lines.push(line) });
    } finally {
      clearInterval(watch);
    }
    expect(applied.state, `${applied.error}\n${lines.join('\n')}`).toBe('APPLIED');
    expect(leasedDuringApply.size).toBeGreaterThanOrEqual(1);
    expect(pool.metrics.hits + pool.metrics.misses).toBe(before.hits + before.misses + 1);
    expect(pool.metrics.fallbacks).toBe(before.fallbacks);
    expect(applied.outputs).toMatchObject({ assets: { id: 'ce-pooled-assets' }, orders: { id: 'ce-pooled-orders' } });
    expect(await emulators!.s3.bucketNames()).toContain('ce-pooled-assets');
    expect(await emulators!.dynamodb.describeTable('ce-pooled-orders')).toMatchObject({ TableName: 'ce-pooled-orders', TableStatus: 'ACTIVE' });

    // Terraform with its own provider agrees: nothing left to do.
    const replan = await runTerraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=0s'], {
      cwd: applied.workingDir,
      env: await sessionTerraformEnv(t!.kernel, session.id),
      timeoutMs: 40_000,
    });
    expect(replan.code, replan.output).toBe(0);
  }, 90_000);
});
