import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { startWorker, type WorkerProcess } from '../support/worker-process.js';

if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

/** Every process shares the key that seals plans' secrets, as kernels on several machines must. */
const SECRET_KEY = '5'.repeat(64);
const SLOW_PLAN_PLUGIN = join(import.meta.dirname, '..', 'fixtures', 'plugins', 'slow-plan.mjs');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// One front in this process (runner: false: it runs no terraform) and three `cloud-engine worker`
// OS processes, each with a data dir of its own, all on one PostgreSQL started here: the state of
// every deployment lives in that database, the plan files too, so any worker plans or applies.
describe.skipIf(!HAS_POSTGRES)('a front and three worker processes on PostgreSQL', () => {
  let server: PostgresServer;
  let front: TestKernel;
  const workers: WorkerProcess[] = [];
  const frontDir = mkdtempSync(join(tmpdir(), 'cloud-engine-front-'));

  const query = async <T,>(text: string, values: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  };

  /** The worker process running the session's operation now (waits until one is). */
  const workerOf = async (sessionId: string, state: string): Promise<WorkerProcess> => {
    for (let tries = 0; tries < 300; tries++) {
      const [row] = await query<{ state: string; operation_owner: string | null }>('SELECT state, operation_owner FROM sessions WHERE id = $1', [sessionId]);
      const pid = row?.state === state && row.operation_owner ? Number(row.operation_owner.split(':')[1]) : undefined;
      const worker = workers.find((candidate) => candidate.child.pid === pid);
      if (worker) return worker;
      await sleep(100);
    }
    throw new Error(`session ${sessionId} never became ${state} on a worker`);
  };

  beforeAll(async () => {
    server = await startPostgres();
    const env = { CLOUD_ENGINE_SECRET_KEY: SECRET_KEY, CLOUD_ENGINE_PLUGINS: SLOW_PLAN_PLUGIN, CLOUD_ENGINE_MAX_TERRAFORM: '2', CLOUD_ENGINE_LIFECYCLE_INTERVAL: '1s' };
    // The first start creates the queue's schema; the other two find it.
    workers.push(await startWorker(server.url, env));
    workers.push(...(await Promise.all([startWorker(server.url, env), startWorker(server.url, env)])));
    front = await startTestKernel({ dataDir: frontDir, database: { type: 'postgres', url: server.url }, queue: true, runner: false, secretKey: SECRET_KEY, lifecycleInterval: 0 });
    await createProject(front.kernel, { id: 'load', provider: 'sandbox' });
  }, 120_000);

  afterAll(async () => {
    await front?.dispose();
    await Promise.all(workers.map((worker) => worker.stop().catch(() => undefined)));
    await server?.stop();
    for (const worker of workers) rmSync(worker.dataDir, { recursive: true, force: true });
    rmSync(frontDir, { recursive: true, force: true });
  }, 60_000);

  it('30 sessions planned and applied through the queue: every one APPLIED, each applied once, spread over the workers', async () => {
    const { orchestrator } = front.kernel;
    const results = await Promise.all(
      Array.from({ length: 30 }, async (_, index) => {
        const session = await orchestrator.startSession('alice', 'load', undefined, { deployment: `d${index}` });
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
        const plan = await orchestrator.runPlan(session.id, 'alice');
        const applied = await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
        return { session, plan, applied };
      }),
    );
    for (const { plan, applied } of results) {
      expect(plan.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
      expect(applied.state, applied.error ?? '').toBe('APPLIED');
    }
    for (const { session } of results) {
      const lines = (await orchestrator.getOutput(session.id)).map((line) => line.line);
      expect(lines.filter((line) => line.startsWith('Apply complete!'))).toHaveLength(1);
      const trail = await front.kernel.audit.list({ sessionId: session.id, action: 'session.applying' });
      expect(trail).toHaveLength(1);
    }
    // The work went where workers were free: more than one of them ran terraform.
    const used = workers.filter((worker) => readdirSync(worker.dataDir).includes('deployments'));
    expect(used.length).toBeGreaterThan(1);
    const [jobs] = await query<{ completed: string; other: string }>(
      "SELECT count(*) FILTER (WHERE state = 'completed') AS completed, count(*) FILTER (WHERE state <> 'completed') AS other FROM cloud_engine_jobs.job",
    );
    expect(Number(jobs!.completed)).toBe(60);
    expect(Number(jobs!.other)).toBe(0);
  }, 240_000);

  it('a TTL expiry fires once with all three workers running their lifecycle: one teardown, audited once', async () => {
    const { orchestrator, audit, deployments } = front.kernel;
    await createProject(front.kernel, { id: 'ttl', provider: 'sandbox', settings: { lifecycle: { reminders: [] } } });
    const session = await orchestrator.startSession('alice', 'ttl', undefined, { deployment: 'short', ttl: '1h' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    expect((await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id })).state).toBe('APPLIED');
    // The hour has passed (for the workers, which read the system clock): the expiry is due now.
    await query("UPDATE due_actions SET due_at = $1 WHERE deployment_id = $2 AND kind = 'expiry'", [new Date(Date.now() - 1000).toISOString(), session.deploymentId]);
    for (let tries = 0; tries < 600 && (await deployments.get(session.deploymentId)).state !== 'DESTROYED'; tries++) await sleep(100);
    expect((await deployments.get(session.deploymentId)).state).toBe('DESTROYED');
    await sleep(3000); // every worker's timer has run again since
    expect(await audit.list({ projectId: 'ttl', action: 'deployment.teardownStarted' })).toHaveLength(1);
    expect(await audit.list({ projectId: 'ttl', action: 'deployment.expired' })).toEqual([expect.objectContaining({ actor: 'cloud-engine' })]);
    const teardowns = (await orchestrator.listSessions({ projectId: 'ttl' })).filter((candidate) => candidate.userId === 'cloud-engine');
    expect(teardowns.map((teardown) => teardown.state)).toEqual(['APPLIED']);
  }, 120_000);

  it('kill -9 of a worker mid-plan: the plan runs again on another worker and ends PLAN_READY', async () => {
    const { orchestrator, audit } = front.kernel;
    const session = await orchestrator.startSession('alice', 'load', undefined, { deployment: 'slow-plan' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'slow' });
    const planning = orchestrator.runPlan(session.id, 'alice');
    const victim = await workerOf(session.id, 'PLANNING');
    victim.killHard();
    const plan = await planning;
    expect(plan.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
    const lost = await audit.list({ sessionId: session.id, action: 'session.plan_failed' });
    expect(lost).toEqual([expect.objectContaining({ actor: 'system', details: expect.objectContaining({ workerLost: true, recovered: true }) })]);
    // Planned again by a worker that lives.
    const [row] = await query<{ operation_owner: string | null; state: string }>('SELECT operation_owner, state FROM sessions WHERE id = $1', [session.id]);
    expect(row!.state).toBe('PLAN_READY');
  }, 120_000);

  it('kill -9 of a worker mid-apply: FAILED "worker lost during apply", the apply never run again', async () => {
    const { orchestrator } = front.kernel;
    const session = await orchestrator.startSession('alice', 'load', undefined, { deployment: 'slow-apply' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'vm', config: { bootSeconds: 30 } });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    const lost: { sessionId: string; to: string }[] = [];
    const off = front.kernel.events.on('session.workerLost', (event) => lost.push({ sessionId: event.sessionId, to: event.to }));
    const applying = orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
    const victim = await workerOf(session.id, 'APPLYING');
    victim.killHard();
    const final = await applying;
    expect(final.state).toBe('FAILED');
    expect(final.error).toMatch(/^worker lost during apply: the worker applying this session \(.+\) stopped answering before terraform finished; the apply is not run again by itself/);
    expect(final.error).toContain("the pg backend's lock is a PostgreSQL advisory lock of the stopped terraform's connection, released when that connection ends");
    // Nobody applied it again: its job failed for good, and no apply finished.
    await sleep(3000);
    const jobs = await query<{ state: string; retry_count: number }>("SELECT state, retry_count FROM cloud_engine_jobs.job WHERE data->>'sessionId' = $1 AND data->>'kind' = 'apply'", [session.id]);
    expect(jobs).toEqual([{ state: 'failed', retry_count: 0 }]);
    expect((await orchestrator.getOutput(session.id)).some((line) => line.line.startsWith('Apply complete!'))).toBe(false);
    expect((await orchestrator.getSession(session.id)).state).toBe('FAILED');
    // Its admins are told once, by whichever process resolved it (relayed to the others).
    expect(lost).toEqual([{ sessionId: session.id, to: 'FAILED' }]);
    off();
  }, 120_000);

  it('SIGTERM to a worker mid-apply: it takes no more jobs, lets the apply finish, then exits', async () => {
    const { orchestrator } = front.kernel;
    const session = await orchestrator.startSession('alice', 'load', undefined, { deployment: 'graceful' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'vm', config: { bootSeconds: 6 } });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    const applying = orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
    const stopping = (await workerOf(session.id, 'APPLYING')).stop();
    const final = await applying;
    expect(final.state, final.error ?? '').toBe('APPLIED');
    await stopping;
    const [job] = await query<{ state: string }>("SELECT state FROM cloud_engine_jobs.job WHERE data->>'sessionId' = $1 AND data->>'kind' = 'apply'", [session.id]);
    expect(job!.state).toBe('completed');
  }, 120_000);
});
