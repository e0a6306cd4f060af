import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { KernelEventMap } from '../../src/kernel/events/kernel-events.js';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { rejection } from '../support/rejection.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A policy that refuses every plan that deletes something while it is on: a teardown a policy stops. */
const freeze = { on: false };
const freezePlugin = definePlugin({
  id: 'test.freeze',
  register(ctx) {
    ctx.addPolicyValidator({
      id: 'test.freeze',
      description: 'Refuses deletes while frozen.',
      validatePlan: ({ plan }) =>
        freeze.on && (plan.resource_changes ?? []).some((change) => change.change.actions.includes('delete'))
          ? [{ code: 'FROZEN', message: 'Changes are frozen: nothing may be deleted now.' }]
          : [],
    });
  },
});

/** Records the lifecycle events a kernel emits. */
function recorder(kernel: Kernel) {
  const seen: { event: string; payload: Record<string, unknown> }[] = [];
  for (const event of ['deployment.expiring', 'deployment.expired', 'deployment.expiryFailed'] as const) {
    kernel.events.on(event, (payload: KernelEventMap[typeof event]) => seen.push({ event, payload: payload as unknown as Record<string, unknown> }));
  }
  return seen;
}

/** Starts a deployment with one sandbox bucket, planned by alice and applied by bob. */
async function deploy(kernel: Kernel, projectId: string, name: string, ttl?: string) {
  const { orchestrator } = kernel;
  const session = await orchestrator.startSession('alice', projectId, undefined, { deployment: name, ...(ttl !== undefined ? { ttl } : {}) });
  await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets' });
  const plan = await orchestrator.runPlan(session.id, 'alice');
  expect((await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id })).state).toBe('APPLIED');
  return session;
}

function stateNames(dataDir: string, deploymentId: string): string[] {
  const file = join(dataDir, 'deployments', deploymentId, 'terraform.tfstate');
  if (!existsSync(file)) return [];
  return (JSON.parse(readFileSync(file, 'utf8')) as { resources: { name: string }[] }).resources.map((resource) => resource.name);
}

describe('deployments that expire', () => {
  let t: TestKernel;
  const clock = new TestClock();
  beforeAll(async () => {
    t = await startTestKernel({ clock, lifecycleInterval: 0, extraPlugins: [freezePlugin] });
    await createProject(t.kernel, {
      id: 'ttl',
      provider: 'sandbox',
      settings: { approval: { requireDistinctApprover: true }, lifecycle: { defaultTtl: '2h', maxTtl: '1d', reminders: ['1h', '10m'] } },
    });
  });
  afterAll(() => t?.dispose());

  it('refuses lifecycle settings and TTLs that are not durations or pass the maximum, naming the field and the limit', async () => {
    const { projects, orchestrator } = t.kernel;
    const bad = async (lifecycle: unknown) => rejection(projects.create({ id: 'bad', provider: 'sandbox', createdBy: ADMIN, settings: { lifecycle } }));
    expect(await bad({ defaultTtl: '0m' })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.lifecycle.defaultTtl' });
    expect(await bad({ maxTtl: '-1h' })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.lifecycle.maxTtl' });
    expect(await bad({ maxTtl: '10y' })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.lifecycle.maxTtl' });
    const tooLong = await bad({ defaultTtl: '2d', maxTtl: '1d' });
    expect(tooLong).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.lifecycle.defaultTtl' });
    expect(tooLong.message).toContain('1d');

    for (const ttl of ['0s', '-1h', '10y']) {
      expect(await rejection(orchestrator.startSession('alice', 'ttl', undefined, { deployment: 'never', ttl }))).toMatchObject({ code: 'INVALID_INPUT', field: 'ttl' });
    }
    const past = await rejection(orchestrator.startSession('alice', 'ttl', undefined, { deployment: 'never', ttl: '2d' }));
    expect(past).toMatchObject({ code: 'INVALID_INPUT', field: 'ttl', details: { limit: '1d' } });
    expect(past.message).toContain('maximum TTL of 1d');
    // Nothing was made by a refused TTL.
    expect(await t.kernel.deployments.list({ projectId: 'ttl' })).toEqual([]);
    // Nobody can act as the system.
    expect(await rejection(orchestrator.startSession('cloud-engine', 'ttl'))).toMatchObject({ code: 'INVALID_INPUT', field: 'userId' });
  });

  it('reminds in order at the moved times, once each; extending moves them; at expiry the system tears it down for real, audited', async () => {
    const { orchestrator, deployments, lifecycle, audit } = t.kernel;
    const events = recorder(t.kernel);
    const start = clock.now();
    const session = await deploy(t.kernel, 'ttl', 'web', '3h');
    const id = session.deploymentId;
    expect((await deployments.get(id)).expiresAt).toEqual(new Date(start.getTime() + 3 * HOUR));
    expect((await lifecycle.pending(id)).map((action) => [action.kind, action.before, action.dueAt.getTime() - start.getTime()])).toEqual([
      ['reminder', '1h', 2 * HOUR],
      ['reminder', '10m', 2 * HOUR + 50 * MINUTE],
      ['expiry', null, 3 * HOUR],
    ]);

    clock.set(start, HOUR);
    await lifecycle.runDue();
    expect(events).toEqual([]);
    clock.set(start, 2 * HOUR);
    await lifecycle.runDue();
    await lifecycle.runDue();
    expect(events).toEqual([{ event: 'deployment.expiring', payload: expect.objectContaining({ deploymentId: id, remaining: HOUR, lateMs: 0 }) }]);

    // Extending by 2h moves the reminders and the expiry; past the maximum it is refused, naming it.
    const extended = await orchestrator.extendTtl(id, 'alice', '2h');
    expect(extended.expiresAt).toEqual(new Date(start.getTime() + 5 * HOUR));
    expect(extended.reminders.map((at) => at.getTime() - start.getTime())).toEqual([4 * HOUR, 4 * HOUR + 50 * MINUTE]);
    const refused = await rejection(orchestrator.extendTtl(id, 'alice', '1d'));
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', field: 'duration', details: { limit: '1d' } });
    expect(refused.message).toContain('maximum TTL of 1d');
    expect(await rejection(orchestrator.extendTtl(id, 'carol', '1h'))).toMatchObject({ code: 'PERMISSION_DENIED' });

    clock.set(start, 3 * HOUR);
    await lifecycle.runDue();
    expect(events).toHaveLength(1);
    clock.set(start, 4 * HOUR);
    await lifecycle.runDue();
    clock.set(start, 4 * HOUR + 50 * MINUTE);
    await lifecycle.runDue();
    await lifecycle.runDue();
    expect(events.map((seen) => [seen.event, seen.payload.remaining])).toEqual([
      ['deployment.expiring', HOUR],
      ['deployment.expiring', HOUR],
      ['deployment.expiring', 10 * MINUTE],
    ]);
    expect((await deployments.get(id)).state).toBe('ACTIVE');

    // At expiry: torn down by cloud-engine, under four eyes (which never lets alice approve her own plan).
    clock.set(start, 5 * HOUR);
    expect(await lifecycle.runDue()).toMatchObject({ expired: 1, failed: 0 });
    await lifecycle.runDue();
    const gone = await deployments.get(id);
    expect(gone).toMatchObject({ state: 'DESTROYED', resources: [], expiresAt: null, openSessionId: null });
    expect(stateNames(t.dataDir, id)).toEqual([]);
    expect(events.filter((seen) => seen.event === 'deployment.expired')).toEqual([{ event: 'deployment.expired', payload: expect.objectContaining({ deploymentId: id, lateMs: 0 }) }]);
    const teardown = await orchestrator.getSession(gone.sessions[0]!);
    expect(teardown).toMatchObject({ userId: 'cloud-engine', state: 'APPLIED' });
    const trail = await audit.list({ actor: 'cloud-engine', projectId: 'ttl' });
    const actions = trail.map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['deployment.expiring', 'deployment.teardownStarted', 'session.started', 'session.approved', 'session.applied', 'deployment.expired']));
    expect(trail.find((event) => event.action === 'deployment.expired')!.details).toMatchObject({ reason: 'ttl', deploymentId: id });
    expect(await lifecycle.pending(id)).toEqual([]);
  });

  it('four eyes still stops a user approving their own plan; the default TTL applies to a new deployment', async () => {
    const { orchestrator, deployments } = t.kernel;
    const start = clock.now();
    const session = await orchestrator.startSession('alice', 'ttl', undefined, { deployment: 'own' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
    await orchestrator.runPlan(session.id, 'alice');
    expect(await rejection(orchestrator.approveAndApply(session.id, 'alice'))).toMatchObject({ code: 'PERMISSION_DENIED', details: { rule: 'requireDistinctApprover' } });
    expect((await deployments.get(session.deploymentId)).expiresAt).toEqual(new Date(start.getTime() + 2 * HOUR));
    // Clearing the TTL removes its due times.
    expect(await orchestrator.setTtl(session.deploymentId, 'alice', null)).toMatchObject({ expiresAt: null, reminders: [] });
    expect(await t.kernel.lifecycle.pending(session.deploymentId)).toEqual([]);
    await orchestrator.cancelSession(session.id, 'alice');
  });

  it('a deployment its team tears down takes its reminders and expiry with it', async () => {
    const { orchestrator, deployments, lifecycle } = t.kernel;
    const { deploymentId: id } = await deploy(t.kernel, 'ttl', 'short', '1h');
    expect((await lifecycle.pending(id)).map((action) => action.kind)).toEqual(['reminder', 'expiry']);
    const plan = await orchestrator.destroyDeployment(id, 'alice');
    const teardown = (await deployments.get(id)).openSessionId!;
    expect((await orchestrator.approveAndApply(teardown, 'bob', { planId: plan.id })).state).toBe('APPLIED');
    expect(await deployments.get(id)).toMatchObject({ state: 'DESTROYED', expiresAt: null });
    expect(await lifecycle.pending(id)).toEqual([]);
    expect(await rejection(orchestrator.setTtl(id, 'alice', '1h'))).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('a teardown that cannot happen (a change open, a policy) is marked and retried with back-off until it does', async () => {
    const { orchestrator, deployments, lifecycle, audit } = t.kernel;
    const events = recorder(t.kernel);
    const start = clock.now();
    const { deploymentId: id } = await deploy(t.kernel, 'ttl', 'busy', '1h');
    // A change open at expiry.
    const open = await orchestrator.startSession('alice', 'ttl', undefined, { deployment: 'busy' });
    clock.set(start, HOUR);
    expect(await lifecycle.runDue()).toMatchObject({ failed: 1 });
    const [retry] = await lifecycle.pending(id);
    expect(retry).toMatchObject({ kind: 'expiry', attempts: 1, dueAt: new Date(start.getTime() + HOUR + MINUTE) });
    expect(retry!.lastError).toContain(open.id);
    expect(events.at(-1)).toMatchObject({ event: 'deployment.expiryFailed', payload: { deploymentId: id, attempts: 1 } });
    expect((await deployments.get(id)).expiryFailure).toMatchObject({ attempts: 1, retryAt: retry!.dueAt, error: expect.stringContaining(open.id) });
    await orchestrator.cancelSession(open.id, 'alice');

    // Then a policy refuses it: retried again, twice as late.
    freeze.on = true;
    clock.set(start, HOUR + MINUTE);
    expect(await lifecycle.runDue()).toMatchObject({ failed: 1 });
    expect((await lifecycle.pending(id))[0]).toMatchObject({ attempts: 2, dueAt: new Date(start.getTime() + HOUR + 3 * MINUTE) });
    expect((await lifecycle.pending(id))[0]!.lastError).toContain('frozen');
    freeze.on = false;
    clock.set(start, HOUR + 3 * MINUTE);
    expect(await lifecycle.runDue()).toMatchObject({ expired: 1 });
    expect(await deployments.get(id)).toMatchObject({ state: 'DESTROYED', expiresAt: null, expiryFailure: null });
    const failures = await audit.list({ actor: 'cloud-engine', action: 'deployment.teardownFailed' });
    expect(failures.filter((event) => event.details.deploymentId === id)).toHaveLength(2);
  });
});

describe('due times survive restarts and act once across kernels on one database', () => {
  it('a kernel closed across the due time acts on restart, late and saying so; two kernels act once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-lifecycle-'));
    const clock = new TestClock();
    try {
      const first = await startTestKernel({ dataDir, clock, lifecycleInterval: 0 });
      await createProject(first.kernel, { id: 'later', provider: 'sandbox', settings: { lifecycle: { reminders: ['10m'] } } });
      const start = clock.now();
      const { deploymentId: id } = await deploy(first.kernel, 'later', 'web', '1h');
      await first.dispose();

      // Down through the reminder (due at 50m): two kernels start on the same database at 55m.
      clock.set(start, 55 * MINUTE);
      const a = await startTestKernel({ dataDir, clock, lifecycleInterval: 0 });
      const b = await startTestKernel({ dataDir, clock, lifecycleInterval: 0 });
      const seenA = recorder(a.kernel);
      const seenB = recorder(b.kernel);
      await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      const reminders = [...seenA, ...seenB];
      expect(reminders).toEqual([{ event: 'deployment.expiring', payload: expect.objectContaining({ deploymentId: id, remaining: 5 * MINUTE, lateMs: 5 * MINUTE }) }]);
      const reminded = await a.kernel.audit.list({ action: 'deployment.expiring' });
      expect(reminded).toHaveLength(1);
      expect(reminded[0]!.details).toMatchObject({ late: '5m' });

      clock.set(start, HOUR + 2 * MINUTE);
      await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      const expired = [...seenA, ...seenB].filter((seen) => seen.event === 'deployment.expired');
      expect(expired).toEqual([{ event: 'deployment.expired', payload: expect.objectContaining({ deploymentId: id, lateMs: 2 * MINUTE }) }]);
      expect((await a.kernel.audit.list({ action: 'deployment.expired' }))[0]!.details).toMatchObject({ reason: 'ttl', late: '2m' });
      expect(await a.kernel.audit.list({ action: 'deployment.teardownStarted' })).toHaveLength(1);
      expect((await b.kernel.deployments.get(id)).state).toBe('DESTROYED');
      await a.kernel.close();
      await b.kernel.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
