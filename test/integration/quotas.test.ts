import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderQuotaBar } from '../../src/kernel/quotas/quota-bar.js';
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
