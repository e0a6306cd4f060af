import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { rejection } from '../support/rejection.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A deployment with one sandbox bucket, planned by alice and applied by bob. */
async function deploy(kernel: Kernel, projectId: string, name: string) {
  const { orchestrator } = kernel;
  const session = await orchestrator.startSession('alice', projectId, undefined, { deployment: name });
  await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets', config: { tags: { env: 'prod' } } });
  const plan = await orchestrator.runPlan(session.id, 'alice');
  expect((await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id })).state).toBe('APPLIED');
  return session.deploymentId;
}

// The sandbox's terraform_data never drifts, so these are the rules around a check: who may, when,
// what is kept and audited, Reconcile's change, and the schedule. Drift itself is found on moto
// (drift-moto.test.ts).
describe('drift checks', () => {
  let t: TestKernel;

  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'shop', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy', rita: 'read' });
  });
  afterAll(async () => t?.dispose());

  it('a check of a deployed deployment says NONE, is kept on the deployment and audited; Reconcile opens a planned change', async () => {
    const { orchestrator, deployments, audit } = t.kernel;
    const id = await deploy(t.kernel, 'shop', 'web');
    expect((await deployments.get(id)).drift).toBeNull();

    const drift = await orchestrator.checkDrift('web', 'alice', { projectId: 'shop' });
    expect(drift).toEqual({ status: 'NONE', checkedAt: expect.any(Date), checkedBy: 'alice', resources: [], error: null, fingerprint: null, dismissed: null });
    expect((await deployments.get(id)).drift).toEqual(drift);
    expect((await audit.list({ projectId: 'shop', action: 'deployment.driftChecked' })).map((event) => event.details)).toEqual([
      expect.objectContaining({ deploymentId: id, deployment: 'web', status: 'NONE', drifted: [] }),
    ]);

    // Nothing to dismiss.
    expect(await rejection(orchestrator.dismissDrift(id, 'alice'))).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('has no drift to dismiss') });

    // Reconcile: a change of the deployment with its current resources, planned at once.
    const change = await orchestrator.reconcileDrift(id, 'alice');
    expect(change).toMatchObject({ state: 'PLAN_READY', deploymentId: id, resources: [expect.objectContaining({ name: 'assets', config: { tags: { env: 'prod' } } })] });
    expect(change.plan).toMatchObject({ toAdd: 0, toChange: 0, toDestroy: 0 });
    expect((await deployments.get(id)).openSessionId).toBe(change.id);
    expect(await audit.list({ projectId: 'shop', action: 'deployment.driftReconcile' })).toEqual([expect.objectContaining({ actor: 'alice', sessionId: change.id })]);

    // While that change is open, no check: the change's own plan compares with the cloud.
    const locked = await rejection(orchestrator.checkDrift(id, 'bob'));
    expect(locked).toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`has a change open (session ${change.id})`) });
    await orchestrator.cancelSession(change.id, 'alice');
    expect((await orchestrator.checkDrift(id, 'bob')).status).toBe('NONE');
  });

  it('is refused for a reader, for a deployment with nothing deployed, and for one that does not exist', async () => {
    const { orchestrator } = t.kernel;
    const id = await deploy(t.kernel, 'shop', 'api');
    expect(await rejection(orchestrator.checkDrift(id, 'rita'))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await rejection(orchestrator.reconcileDrift(id, 'rita'))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await rejection(orchestrator.checkDrift(id, 'cloud-engine'))).toMatchObject({ code: 'INVALID_INPUT', field: 'userId' });

    const fresh = await orchestrator.startSession('alice', 'shop', undefined, { deployment: 'empty' });
    await orchestrator.cancelSession(fresh.id, 'alice');
    expect(await rejection(orchestrator.checkDrift(fresh.deploymentId, 'alice'))).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('is NEW') });
    expect(await rejection(orchestrator.checkDrift('nope', 'alice', { projectId: 'shop' }))).toMatchObject({ code: 'NOT_FOUND', field: 'deployment' });
  });

  it('refuses drift schedules that are not a duration from 5m to 52w, naming the field and the limit', async () => {
    for (const every of ['1s', 'abc', '0', '100w']) {
      const error = await rejection(t.kernel.projects.create({ id: `bad-${every.replace(/[^a-z0-9]/g, '')}`, provider: 'sandbox', createdBy: ADMIN, settings: { drift: { every } } }));
      expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.drift.every' });
    }
    const error = await rejection(t.kernel.projects.create({ id: 'bad-short', provider: 'sandbox', createdBy: ADMIN, settings: { drift: { every: '1s' } } }));
    expect(error.message).toContain('from 5m to 52w');
  });
});

describe('scheduled drift checks', () => {
  it('check each deployment of a project with drift.every once per interval, as cloud-engine, exactly once across two kernels, never while a change is open', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-drift-'));
    const clock = new TestClock();
    try {
      const a = await startTestKernel({ dataDir, clock, lifecycleInterval: 0 });
      const b = await startTestKernel({ dataDir, clock, lifecycleInterval: 0 });
      await createProject(a.kernel, { id: 'watched', provider: 'sandbox', settings: { drift: { every: '1h' } } });
      await createProject(a.kernel, { id: 'quiet', provider: 'sandbox' });
      const start = clock.now();
      const watched = await deploy(a.kernel, 'watched', 'web');
      const quiet = await deploy(a.kernel, 'quiet', 'web');

      // The first round schedules: within one interval, spread by the deployment's id.
      expect(await a.kernel.lifecycle.runDue()).toMatchObject({ driftChecked: 0 });
      const [scheduled] = (await a.kernel.lifecycle.pending(watched)).filter((action) => action.kind === 'drift');
      expect(scheduled).toMatchObject({ deploymentId: watched, projectId: 'watched', kind: 'drift', expiresAt: null });
      expect(scheduled!.dueAt.getTime()).toBeGreaterThanOrEqual(start.getTime());
      expect(scheduled!.dueAt.getTime()).toBeLessThan(start.getTime() + HOUR);
      expect(await a.kernel.lifecycle.pending(quiet)).toEqual([]);
      expect((await a.kernel.deployments.get(watched)).nextDriftCheck).toEqual(scheduled!.dueAt);

      // Due: two kernels run at once, one checks.
      clock.set(scheduled!.dueAt, 0);
      const [ra, rb] = await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      expect(ra.driftChecked + rb.driftChecked).toBe(1);
      const checks = await a.kernel.audit.list({ action: 'deployment.driftChecked' });
      expect(checks).toEqual([expect.objectContaining({ actor: 'cloud-engine', projectId: 'watched' })]);
      expect((await b.kernel.deployments.get(watched)).drift).toMatchObject({ status: 'NONE', checkedBy: 'cloud-engine' });
      expect((await a.kernel.deployments.get(quiet)).drift).toBeNull();
      const next = (await a.kernel.deployments.get(watched)).nextDriftCheck!;
      expect(next.getTime()).toBe(scheduled!.dueAt.getTime() + HOUR);

      // Not due again before the interval.
      clock.set(scheduled!.dueAt, 30 * MINUTE);
      expect((await a.kernel.lifecycle.runDue()).driftChecked).toBe(0);

      // A change open at the due time: not checked, tried again within 15 minutes.
      const change = await a.kernel.orchestrator.startSession('alice', 'watched', undefined, { deployment: 'web' });
      clock.set(next, 0);
      expect(await a.kernel.lifecycle.runDue()).toMatchObject({ driftChecked: 0, driftSkipped: 1 });
      expect((await a.kernel.deployments.get(watched)).nextDriftCheck!.getTime()).toBe(next.getTime() + 15 * MINUTE);
      await a.kernel.orchestrator.cancelSession(change.id, 'alice');
      clock.set(next, 15 * MINUTE);
      expect((await a.kernel.lifecycle.runDue()).driftChecked).toBe(1);
      expect(await a.kernel.audit.list({ action: 'deployment.driftChecked' })).toHaveLength(2);

      // Torn down: nothing left to check, nothing scheduled.
      const teardown = await a.kernel.orchestrator.destroyDeployment(watched, 'alice');
      const open = (await a.kernel.deployments.get(watched)).openSessionId!;
      expect((await a.kernel.orchestrator.approveAndApply(open, 'bob', { planId: teardown.id })).state).toBe('APPLIED');
      await a.kernel.lifecycle.runDue();
      expect(await a.kernel.lifecycle.pending(watched)).toEqual([]);
      await a.kernel.close();
      await b.kernel.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a round checks every due deployment, up to the terraform cap at once', async () => {
    const clock = new TestClock();
    const t = await startTestKernel({ clock, lifecycleInterval: 0, maxTerraform: 2 });
    try {
      await createProject(t.kernel, { id: 'many', provider: 'sandbox', settings: { drift: { every: '1h' } } });
      const ids = [await deploy(t.kernel, 'many', 'a'), await deploy(t.kernel, 'many', 'b'), await deploy(t.kernel, 'many', 'c')];
      await t.kernel.lifecycle.runDue();
      clock.advance(HOUR);
      expect(await t.kernel.lifecycle.runDue()).toMatchObject({ driftChecked: 3, driftSkipped: 0 });
      for (const id of ids) expect((await t.kernel.deployments.get(id)).drift).toMatchObject({ status: 'NONE', checkedBy: 'cloud-engine' });
    } finally {
      await t.dispose();
    }
  });
});
