import { readFileSync } from 'node:fs';
import { DataResource } from 'cdktf';
import { z } from 'zod';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { defineResourceType } from '../../src/kernel/plugin/resource-type.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderQuotaBar } from '../../src/kernel/quotas/quota-bar.js';
import { faultPlugin } from '../support/fault-plugin.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

describe('quotas', () => {
  let t: TestKernel;
  let other: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    // A second process on the same database: approvals race across processes too.
    other = await startTestKernel({ dataDir: t.dataDir });
    await createProject(t.kernel, { id: 'q', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy', lead: 'admin' });
  });
  afterAll(async () => {
    await other?.dispose();
    await t?.dispose();
  });

  async function plannedSession(kernel: TestKernel['kernel'], user: string, vms: number): Promise<string> {
    const session = await kernel.orchestrator.startSession(user, 'q');
    for (let i = 0; i < vms; i++) await kernel.orchestrator.addResource(session.id, user, { type: 'sandbox.vm', name: `vm-${i}` });
    await kernel.orchestrator.runPlan(session.id, user);
    return session.id;
  }

  it('only project admins set quotas, and a bad limit or key names the field', async () => {
    await expect(t.kernel.quotas.set({ projectId: 'q', quotaKey: 'compute_vm', limit: 3, setBy: 'alice' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(t.kernel.quotas.set({ projectId: 'q', quotaKey: 'compute_vm', limit: -1, setBy: 'lead' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'limit' });
    await expect(t.kernel.quotas.set({ projectId: 'q', quotaKey: 'compute_vm', limit: 2.5, setBy: 'lead' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'limit' });
    await expect(t.kernel.quotas.set({ projectId: 'q', quotaKey: 'Compute VM', limit: 3, setBy: 'lead' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'quotaKey' });
    await t.kernel.quotas.set({ projectId: 'q', quotaKey: 'compute_vm', limit: 3, setBy: 'lead' });
    expect(await t.kernel.quotas.usage('q')).toEqual([{ quotaKey: 'compute_vm', used: 0, reserved: 0, limit: 3, percent: 0 }]);
    const audit = await t.kernel.audit.list({ projectId: 'q', action: 'quota.set' });
    expect(audit.map((event) => [event.actor, event.details])).toEqual([['lead', { quotaKey: 'compute_vm', limit: 3 }]]);
  });

  it('refuses to plan a session that alone exceeds a limit, with key, requested, used and limit', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'q');
    for (let i = 0; i < 4; i++) await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: `vm-${i}` });
    const check = await t.kernel.orchestrator.validateSession(session.id, 'alice');
    expect(check.violations).toEqual([expect.objectContaining({ code: 'QUOTA_EXCEEDED' })]);
    const error = await t.kernel.orchestrator.runPlan(session.id, 'alice').catch((caught: { code: string; message: string }) => caught);
    expect(error).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect((error as { message: string }).message).toContain('compute_vm: requested 4, used 0, limit 3');
    expect((await t.kernel.orchestrator.getSession(session.id)).state).toBe('PLAN_FAILED');
  });

  it('two sessions that each fit but together exceed: exactly one approval wins, across processes', async () => {
    const first = await plannedSession(t.kernel, 'alice', 2);
    const second = await plannedSession(t.kernel, 'bob', 2);
    const results = await Promise.allSettled([
      t.kernel.orchestrator.approveAndApply(first, 'alice'),
      other.kernel.orchestrator.approveAndApply(second, 'bob'),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(lost[0]!.reason.message).toMatch(/compute_vm: requested 2, used (0 \+ 2 reserved|2), limit 3/);
    expect(lost[0]!.reason.message).toContain('ask a project admin to raise the limit (chat: /cloud-set-quota; command line: cloud-engine quota set).');
    const states = [(await t.kernel.orchestrator.getSession(first)).state, (await t.kernel.orchestrator.getSession(second)).state].sort();
    expect(states).toEqual(['APPLIED', 'PLAN_READY']);

    const [usage] = await t.kernel.quotas.usage('q');
    expect(usage).toEqual({ quotaKey: 'compute_vm', used: 2, reserved: 0, limit: 3, percent: 67 });
    expect(renderQuotaBar(usage!.used + usage!.reserved, usage!.limit!)).toBe('[███████░░░] 2/3 (67%)');
  });

  it('raising the limit lets the refused session through', async () => {
    await t.kernel.quotas.set({ projectId: 'q', quotaKey: 'compute_vm', limit: 10, setBy: ADMIN });
    const waiting = (await t.kernel.orchestrator.listSessions({ projectId: 'q', states: ['PLAN_READY'] }))[0]!;
    expect(await t.kernel.orchestrator.approveAndApply(waiting.id, waiting.userId)).toMatchObject({ state: 'APPLIED' });
    expect(await t.kernel.quotas.usage('q')).toEqual([{ quotaKey: 'compute_vm', used: 4, reserved: 0, limit: 10, percent: 40 }]);
  });
});

/** A VM that terraform creates only after the resource named boom: when boom fails, it is never made. */
const afterBoomPlugin = definePlugin({
  id: 'test.after-boom',
  register(ctx) {
    ctx.addResourceType(
      defineResourceType({
        type: 'sandbox.vm_after_boom',
        provider: 'sandbox',
        description: 'A VM that waits for boom.',
        quotaKey: 'compute_vm',
        schema: z.strictObject({}),
        synthesize(scope, { name }) {
          new DataResource(scope, name, { input: { after: '${terraform_data.boom.id}' } });
        },
      }),
    );
  },
});

describe('quotas count what a failed apply left in terraform state', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel({ extraPlugins: [faultPlugin, afterBoomPlugin] });
    await createProject(t.kernel, { id: 'leftover', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy', lead: 'admin' });
    await t.kernel.quotas.set({ projectId: 'leftover', quotaKey: 'compute_vm', limit: 1, setBy: 'lead' });
  });
  afterAll(() => t?.dispose());

  it('a VM created by an apply that then failed counts until torn down: no second VM over a limit of 1', async () => {
    const { orchestrator } = t.kernel;
    // Real terraform creates the VM, then the other resource's provisioner fails the apply.
    const failing = await orchestrator.startSession('alice', 'leftover');
    await orchestrator.addResource(failing.id, 'alice', { type: 'sandbox.vm', name: 'web' });
    await orchestrator.addResource(failing.id, 'alice', { type: 'sandbox.fault_exit', name: 'boom' });
    await orchestrator.runPlan(failing.id, 'alice');
    const failed = await orchestrator.approveAndApply(failing.id, 'bob');
    expect(failed.state).toBe('FAILED');
    const state = JSON.parse(readFileSync(join(failed.workingDir, 'terraform.tfstate'), 'utf8')) as { resources: { name: string }[] };
    expect(state.resources.map((resource) => resource.name)).toContain('web');
    expect((await t.kernel.quotas.usage('leftover')).find((row) => row.quotaKey === 'compute_vm')).toMatchObject({ used: 1, limit: 1 });

    const second = await orchestrator.startSession('bob', 'leftover');
    await orchestrator.addResource(second.id, 'bob', { type: 'sandbox.vm', name: 'api' });
    await expect(orchestrator.runPlan(second.id, 'bob')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });

    // Tearing the failed deployment down frees the quota.
    await orchestrator.destroySession(failing.id, 'alice');
    expect((await orchestrator.approveAndApply(failing.id, 'bob')).state).toBe('DESTROYED');
    expect((await t.kernel.quotas.usage('leftover')).find((row) => row.quotaKey === 'compute_vm')).toMatchObject({ used: 0 });
    expect((await orchestrator.runPlan(second.id, 'bob')).summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
  });

  it('counts only what the state holds: the failed resource (tainted) counts, a VM terraform never reached does not', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'leftover');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.fault_exit', name: 'boom' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm_after_boom', name: 'late' });
    // The limit of 1 is taken by the plan-ready session of the test before; room for this one.
    await t.kernel.quotas.set({ projectId: 'leftover', quotaKey: 'compute_vm', limit: 3, setBy: 'lead' });
    await orchestrator.runPlan(session.id, 'alice');
    const failed = await orchestrator.approveAndApply(session.id, 'bob');
    expect(failed.state).toBe('FAILED');
    const usage = await t.kernel.quotas.usage('leftover');
    expect(usage.find((row) => row.quotaKey === 'test')).toMatchObject({ used: 1 });
    expect(usage.find((row) => row.quotaKey === 'compute_vm')).toMatchObject({ used: 0 });
    const trail = await t.kernel.audit.list({ sessionId: session.id, action: 'session.failed' });
    expect(trail[0]?.details).toMatchObject({ resourcesInState: ['boom'] });
  });
});
