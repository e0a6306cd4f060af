import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';
import { rejection } from '../support/rejection.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

/** The key every process on the queue shares. */
const SECRET_KEY = '3'.repeat(64);

// Fronts and workers in one test process, each kernel with a data dir of its own: what a front
// asks is run by the worker through the PostgreSQL job queue, and answered as if in-process.
describe.skipIf(!HAS_POSTGRES)('terraform work through the PostgreSQL job queue', () => {
  let server: PostgresServer;
  let front: TestKernel;
  let worker: TestKernel;
  const dirs: string[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    const dir = () => {
      const made = mkdtempSync(join(tmpdir(), 'cloud-engine-jobs-'));
      dirs.push(made);
      return made;
    };
    const database = { type: 'postgres', url: server.url };
    // Without the key every process shares, the queue refuses to start (naming the variable).
    const refused = await rejection(startTestKernel({ dataDir: dir(), database, queue: true, lifecycleInterval: 0 }));
    expect(refused).toMatchObject({ code: 'CONFIG_INVALID', field: 'CLOUD_ENGINE_SECRET_KEY' });
    front = await startTestKernel({ dataDir: dir(), database, queue: true, runner: false, secretKey: SECRET_KEY, lifecycleInterval: 0 });
    worker = await startTestKernel({ dataDir: dir(), database, queue: true, secretKey: SECRET_KEY, lifecycleInterval: 0 });
    await createProject(front.kernel, { id: 'shop', provider: 'sandbox' });
  }, 60_000);

  afterAll(async () => {
    await front?.dispose();
    await worker?.dispose();
    await server?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a front without a runner plans, applies and changes a deployment on a worker, streaming its lines, state shared in PostgreSQL', async () => {
    const { orchestrator, deployments } = front.kernel;
    const session = await orchestrator.startSession('alice', 'shop', undefined, { deployment: 'web' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets' });
    const planned: string[] = [];
    const plan = await orchestrator.runPlan(session.id, 'alice', { onOutput: (line) => planned.push(line) });
    expect(plan.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(planned.join('\n')).toMatch(/terraform_data.assets: Plan to create/);
    // The worker's working dir, not the front's: the front runs no terraform.
    expect(existsSync(join(front.dataDir, 'deployments'))).toBe(false);
    expect(existsSync(join(worker.dataDir, 'deployments', session.deploymentId, 'main.tf.json'))).toBe(true);

    const applied: string[] = [];
    const done = await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id, onOutput: (line) => applied.push(line) });
    expect(done.state, done.error ?? '').toBe('APPLIED');
    expect(applied.join('\n')).toMatch(/Apply complete! Resources: 1 added/);

    const change = await orchestrator.startSession('alice', 'shop', undefined, { deployment: 'web' });
    await orchestrator.addResource(change.id, 'alice', { type: 'sandbox.bucket', name: 'logs' });
    const second = await orchestrator.runPlan(change.id, 'alice');
    // The first apply's state is where the second plan finds it: only the new bucket is added.
    expect(second.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect((await orchestrator.approveAndApply(change.id, 'bob', { planId: second.id })).state).toBe('APPLIED');
    expect((await deployments.get('web', undefined, 'shop')).resources.map((resource) => resource.name).sort()).toEqual(['assets', 'logs']);
  }, 120_000);

  it("answers the worker's refusals as the in-process call would: four eyes, a stale plan, a project with a local backend", async () => {
    const { orchestrator } = front.kernel;
    await createProject(front.kernel, { id: 'strict', provider: 'sandbox', settings: { approval: { requireDistinctApprover: true } } });
    const session = await orchestrator.startSession('alice', 'strict');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    expect(await rejection(orchestrator.approveAndApply(session.id, 'alice', { planId: plan.id }))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await rejection(orchestrator.approveAndApply(session.id, 'bob', { planId: 'nope' }))).toMatchObject({ code: 'PLAN_STALE' });

    await front.kernel.projects.create({ id: 'local', provider: 'sandbox', createdBy: ADMIN, settings: { backend: { type: 'local' } } });
    await front.kernel.access.grant({ projectId: 'local', userId: 'alice', level: 'deploy', grantedBy: ADMIN });
    const local = await orchestrator.startSession('alice', 'local');
    await orchestrator.addResource(local.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
    const refused = await rejection(orchestrator.runPlan(local.id, 'alice'));
    expect(refused).toMatchObject({ code: 'CONFIG_INVALID', field: 'settings.backend' });
    expect(refused.message).toContain('workers with data dirs of their own cannot share');
  }, 120_000);

  it("passes the worker's events to the front once each (lobbies follow a plan run elsewhere), dates as dates", async () => {
    const { orchestrator, events } = front.kernel;
    const seen: string[] = [];
    const lines: string[] = [];
    const offs = [
      events.on('session.stateChanged', (event) => seen.push(`${event.sessionId}:${event.from}>${event.to}`)),
      events.on('plan.ready', (event) => seen.push(`${event.sessionId}:plan ${event.plan.summary} ${'planJson' in event.plan}`)),
      events.on('apply.finished', (event) => seen.push(`${event.sessionId}:finished ${event.state}`)),
      events.on('output.line', (event) => lines.push(`${event.operation} ${event.line}`)),
    ];
    try {
      const session = await orchestrator.startSession('alice', 'shop', undefined, { deployment: 'relayed' });
      await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
      const plan = await orchestrator.runPlan(session.id, 'alice');
      await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
      const id = session.id;
      await vi.waitFor(() => expect(seen).toContain(`${id}:finished APPLIED`), { timeout: 5000 });
      expect(seen).toEqual([
        `${id}:DRAFT>VALIDATING`,
        `${id}:VALIDATING>PLANNING`,
        `${id}:PLANNING>PLAN_READY`,
        `${id}:plan Plan: 1 to add, 0 to change, 0 to destroy. false`,
        `${id}:PLAN_READY>APPROVED`,
        `${id}:APPROVED>APPLYING`,
        `${id}:APPLYING>APPLIED`,
        `${id}:finished APPLIED`,
      ]);
      // The worker's lines are announced as they stream, in order.
      expect(lines).toContain('apply Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
      expect(lines.findIndex((line) => line.startsWith('plan '))).toBeLessThan(lines.findIndex((line) => line.startsWith('apply ')));
      // A lifecycle event from the worker's timer arrives with its dates as dates.
      const expiresAt = new Date('2026-12-07T10:00:00.000Z');
      const reminders: unknown[] = [];
      offs.push(events.on('deployment.expiring', (event) => reminders.push(event)));
      worker.kernel.events.emit('deployment.expiring', { deploymentId: 'd1', projectId: 'shop', name: 'relayed', expiresAt, remaining: 60_000, lateMs: 0 });
      await vi.waitFor(() => expect(reminders).toHaveLength(1), { timeout: 5000 });
      expect(reminders[0]).toEqual({ deploymentId: 'd1', projectId: 'shop', name: 'relayed', expiresAt, remaining: 60_000, lateMs: 0 });
    } finally {
      for (const off of offs) off();
    }
  }, 60_000);

  it('shows a plan waiting for a worker at its place in the queue, and runs it once a worker starts', async () => {
    const { orchestrator, events } = front.kernel;
    await worker.dispose();
    const places: number[] = [];
    const off = events.on('terraform.queued', (event) => places.push(event.position));
    try {
      const session = await orchestrator.startSession('alice', 'shop', undefined, { deployment: 'waiting' });
      await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
      const planning = orchestrator.runPlan(session.id, 'alice');
      await vi.waitFor(() => expect(places).toContain(1), { timeout: 10_000 });
      expect((await orchestrator.getSession(session.id)).queuePosition).toBe(1);
      expect((await orchestrator.stats()).jobs).toEqual({ waiting: 1, running: 0 });
      // A worker comes: the plan runs, and the session no longer waits.
      worker = await startTestKernel({ dataDir: dirs[2]!, database: { type: 'postgres', url: server.url }, queue: true, secretKey: SECRET_KEY, lifecycleInterval: 0 });
      expect((await planning).summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
      expect(places.at(-1)).toBe(0);
      expect((await orchestrator.getSession(session.id)).queuePosition).toBeNull();
      expect((await orchestrator.stats()).jobs).toEqual({ waiting: 0, running: 0 });
    } finally {
      off();
    }
  }, 60_000);
});
