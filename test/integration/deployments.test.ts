import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudSessionEntity } from '../../src/kernel/persistence/entities/cloud-session.entity.js';
import { DeploymentEntity } from '../../src/kernel/persistence/entities/deployment.entity.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { rejection } from '../support/rejection.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

/** The resource names terraform's state of a working dir holds. */
function stateNames(workingDir: string): string[] {
  const state = JSON.parse(readFileSync(join(workingDir, 'terraform.tfstate'), 'utf8')) as { resources: { name: string }[] };
  return state.resources.map((resource) => resource.name).sort();
}

/** The plan's actions by address, as terraform gave them. */
function actions(plan: { changes: readonly { address: string; actions: readonly string[] }[] }): Record<string, string> {
  return Object.fromEntries(plan.changes.map((change) => [change.address, change.actions.join(',')]));
}

async function change(kernel: Kernel, deployment: string, edit: (sessionId: string) => Promise<unknown>) {
  const session = await kernel.orchestrator.startSession('alice', 'live', undefined, { deployment });
  await edit(session.id);
  const plan = await kernel.orchestrator.runPlan(session.id, 'alice');
  return { session, plan };
}

describe('a deployment lives: deploy, change, change again, tear down', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    // Replacing a machine is part of the story here; destroy-guard refuses it unless the project allows it.
    await createProject(t.kernel, { id: 'live', provider: 'sandbox', settings: { policies: { 'destroy-guard': { allowReplace: true } } } }, { alice: 'deploy', bob: 'deploy', lead: 'admin' });
  });
  afterAll(() => t?.dispose());

  it('each change starts from what is deployed, plans exactly what changes, and the state holds exactly the deployment', async () => {
    const { orchestrator, deployments } = t.kernel;
    // First change: creates the deployment "web".
    const first = await change(t.kernel, 'web', async (id) => {
      await orchestrator.addResource(id, 'alice', { type: 'sandbox.vm', name: 'app', config: { size: 'small' } });
      await orchestrator.addResource(id, 'alice', { type: 'sandbox.bucket', name: 'assets' });
    });
    expect(first.session).toMatchObject({ deploymentName: 'web', resources: [] });
    expect(actions(first.plan)).toEqual({ 'terraform_data.app': 'create', 'terraform_data.assets': 'create' });
    const applied = await orchestrator.approveAndApply(first.session.id, 'bob');
    expect(applied).toMatchObject({ state: 'APPLIED', deploymentId: first.session.deploymentId, deploymentName: 'web' });
    expect(applied.workingDir).toBe(join(t.dataDir, 'deployments', first.session.deploymentId));
    const deployed = await deployments.get('web', 'alice', 'live');
    expect(deployed).toMatchObject({ state: 'ACTIVE', version: 1, openSessionId: null, sessions: [first.session.id] });
    expect(deployed.resources.map((resource) => resource.name)).toEqual(['app', 'assets']);
    // What it costs: the first plan priced everything it made (the sandbox is free; the arithmetic is in the store's unit test).
    expect(deployed.monthlyCost).toBe(first.plan.cost?.monthly);

    // Update in place: a bigger size.
    const bigger = await change(t.kernel, 'web', (id) => orchestrator.updateResource(id, 'alice', { name: 'app', config: { size: 'large' } }));
    expect(bigger.session.resources.map((resource) => resource.name)).toEqual(['app', 'assets']);
    expect(actions(bigger.plan)).toEqual({ 'terraform_data.app': 'update' });
    expect(bigger.plan.summary).toBe('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect((await orchestrator.approveAndApply(bigger.session.id, 'bob')).state).toBe('APPLIED');
    expect((await deployments.get('web', undefined, 'live')).monthlyCost).toBeCloseTo(deployed.monthlyCost! + bigger.plan.cost!.monthlyDelta, 2);

    // Replacement (a new image is a new machine), an addition and a removal in one change.
    const mixed = await change(t.kernel, 'web', async (id) => {
      await orchestrator.updateResource(id, 'alice', { name: 'app', config: { size: 'large', image: 'debian-13' } });
      await orchestrator.addResource(id, 'alice', { type: 'sandbox.bucket', name: 'logs' });
      await orchestrator.removeResource(id, 'alice', 'assets');
    });
    expect(actions(mixed.plan)).toEqual({ 'terraform_data.app': 'delete,create', 'terraform_data.logs': 'create', 'terraform_data.assets': 'delete' });
    const final = await orchestrator.approveAndApply(mixed.session.id, 'bob');
    expect(final.state).toBe('APPLIED');
    expect(stateNames(final.workingDir)).toEqual(['app', 'logs']);
    const now = await deployments.get('web', 'alice', 'live');
    expect(now).toMatchObject({ version: 3, sessions: [mixed.session.id, bigger.session.id, first.session.id] });
    expect(now.resources.map((resource) => [resource.name, resource.config.image])).toEqual([
      ['app', 'debian-13'],
      ['logs', undefined],
    ]);

    // No change at all plans nothing.
    const same = await change(t.kernel, 'web', async () => undefined);
    expect(same.plan.summary).toMatch(/No changes|0 to add, 0 to change, 0 to destroy/);
    await orchestrator.cancelSession(same.session.id, 'alice');

    // Torn down: a change that removes everything, approved like any other.
    const teardown = await orchestrator.destroyDeployment(now.id, 'alice');
    expect(teardown.summary).toBe('Plan: 0 to add, 0 to change, 2 to destroy.');
    const openId = (await deployments.get(now.id)).openSessionId!;
    expect((await orchestrator.approveAndApply(openId, 'bob')).state).toBe('APPLIED');
    expect(await deployments.get(now.id)).toMatchObject({ state: 'DESTROYED', resources: [], openSessionId: null, version: 4, monthlyCost: null });
    expect(stateNames(final.workingDir)).toEqual([]);
  });

  it('one open change per deployment: a second is LOCKED, naming the open session, its owner and since when; an admin may cancel it', async () => {
    const { orchestrator } = t.kernel;
    const open = await orchestrator.startSession('alice', 'live', undefined, { deployment: 'api' });
    const error = await rejection(orchestrator.startSession('bob', 'live', undefined, { deployment: 'api' }));
    expect(error.code).toBe('LOCKED');
    expect(error.message).toContain(`Deployment api already has an open change: session ${open.id} by alice, DRAFT since`);
    expect(error.details).toMatchObject({ openSessionId: open.id, owner: 'alice', state: 'DRAFT' });
    await expect(orchestrator.cancelSession(open.id, 'bob')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await orchestrator.cancelSession(open.id, 'lead')).state).toBe('CANCELLED');
    const next = await orchestrator.startSession('bob', 'live', undefined, { deployment: 'api' });
    expect(next).toMatchObject({ deploymentId: open.deploymentId, deploymentName: 'api' });
    await orchestrator.cancelSession(next.id, 'bob');
  });

  it('an approval over a newer version of the deployment is PLAN_STALE and applies nothing', async () => {
    const { orchestrator } = t.kernel;
    const planned = await change(t.kernel, 'stale', (id) => orchestrator.addResource(id, 'alice', { type: 'sandbox.bucket', name: 'b' }));
    // Another writer (a drift reconcile, an expiry; a second process here) moved the deployment on meanwhile.
    await bumpVersion(t, planned.session.deploymentId);
    const error = await rejection(orchestrator.approveAndApply(planned.session.id, 'bob'));
    expect(error).toMatchObject({ code: 'PLAN_STALE', details: { reason: 'deployment-changed', baseVersion: 0, version: 1 } });
    expect((await orchestrator.getSession(planned.session.id)).state).toBe('PLAN_READY');
  });

  it('a kernel restart keeps deployments and their open changes', async () => {
    const { orchestrator } = t.kernel;
    const open = await orchestrator.startSession('alice', 'live', undefined, { deployment: 'kept' });
    await orchestrator.addResource(open.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
    const again = await startTestKernel({ dataDir: t.dataDir });
    try {
      expect(await again.kernel.deployments.get('kept', ADMIN, 'live')).toMatchObject({ openSessionId: open.id, state: 'NEW' });
      await expect(again.kernel.orchestrator.startSession('bob', 'live', undefined, { deployment: 'kept' })).rejects.toMatchObject({ code: 'LOCKED' });
      const plan = await again.kernel.orchestrator.runPlan(open.id, 'alice');
      expect(plan.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    } finally {
      await again.dispose();
    }
  });

  it('lists deployments of the projects a viewer can read, with their state and open change', async () => {
    const listed = await t.kernel.deployments.list({ projectId: 'live' }, 'alice');
    expect(listed.map((deployment) => deployment.name)).toEqual(expect.arrayContaining(['web', 'api', 'stale', 'kept']));
    expect(listed.find((deployment) => deployment.name === 'kept')?.openSessionId).not.toBeNull();
    expect(await t.kernel.deployments.list({}, 'stranger')).toEqual([]);
    await expect(t.kernel.deployments.list({ projectId: 'live' }, 'stranger')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
  });
});

describe('quotas count a change by its net effect on its deployment', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'live', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy', lead: 'admin' });
    await t.kernel.quotas.set({ projectId: 'live', quotaKey: 'compute_vm', limit: 1, setBy: 'lead' });
  });
  afterAll(() => t?.dispose());

  it('replacing the one VM by another passes at the limit; one more does not', async () => {
    const { orchestrator } = t.kernel;
    const first = await change(t.kernel, 'vms', (id) => orchestrator.addResource(id, 'alice', { type: 'sandbox.vm', name: 'one' }));
    await orchestrator.approveAndApply(first.session.id, 'bob');
    expect((await t.kernel.quotas.usage('live'))[0]).toMatchObject({ quotaKey: 'compute_vm', used: 1, limit: 1 });

    const swap = await change(t.kernel, 'vms', async (id) => {
      await orchestrator.removeResource(id, 'alice', 'one');
      await orchestrator.addResource(id, 'alice', { type: 'sandbox.vm', name: 'two' });
    });
    expect(actions(swap.plan)).toEqual({ 'terraform_data.one': 'delete', 'terraform_data.two': 'create' });
    expect((await orchestrator.approveAndApply(swap.session.id, 'bob')).state).toBe('APPLIED');
    expect((await t.kernel.quotas.usage('live'))[0]).toMatchObject({ used: 1 });

    const more = await orchestrator.startSession('alice', 'live', undefined, { deployment: 'vms' });
    await orchestrator.addResource(more.id, 'alice', { type: 'sandbox.vm', name: 'three' });
    await expect(orchestrator.runPlan(more.id, 'alice')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });
  });
});

async function bumpVersion(t: TestKernel, deploymentId: string): Promise<void> {
  const { openDatabase } = await import('../../src/kernel/persistence/database.js');
  const db = await openDatabase(t.dataDir);
  try {
    await db.manager.increment(DeploymentEntity, { id: deploymentId }, 'version', 1);
    expect(await db.manager.countBy(CloudSessionEntity, { deploymentId })).toBe(1);
  } finally {
    await db.close();
  }
}

describe('destroy-guard in a change of a deployment', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'live', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy' });
  });
  afterAll(() => t?.dispose());

  it('a removed resource is a destroy asked for and passes; a replacement forced by a config change is refused', async () => {
    const { orchestrator } = t.kernel;
    const first = await change(t.kernel, 'guarded', async (id) => {
      await orchestrator.addResource(id, 'alice', { type: 'sandbox.vm', name: 'app' });
      await orchestrator.addResource(id, 'alice', { type: 'sandbox.bucket', name: 'old' });
    });
    await orchestrator.approveAndApply(first.session.id, 'bob');
    const removal = await change(t.kernel, 'guarded', (id) => orchestrator.removeResource(id, 'alice', 'old'));
    expect(actions(removal.plan)).toEqual({ 'terraform_data.old': 'delete' });
    await orchestrator.approveAndApply(removal.session.id, 'bob');

    const session = await orchestrator.startSession('alice', 'live', undefined, { deployment: 'guarded' });
    await orchestrator.updateResource(session.id, 'alice', { name: 'app', config: { image: 'debian-13' } });
    const refused = await rejection(orchestrator.runPlan(session.id, 'alice'));
    expect(refused.code).toBe('POLICY_VIOLATION');
    expect(refused.message).toContain('terraform_data.app would be destroyed and created again because triggers_replace changed');
  });
});
