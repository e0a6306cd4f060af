import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultPlugin } from '../support/fault-plugin.js';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

describe('tearing a deployment down: destroySession, approved like any plan', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel({ extraPlugins: [faultPlugin] });
    await createProject(
      t.kernel,
      { id: 'teardown', provider: 'sandbox', settings: { approval: { requireDistinctApprover: true } } },
      { alice: 'deploy', bob: 'deploy', carol: 'admin' },
    );
    await t.kernel.quotas.set({ projectId: 'teardown', quotaKey: 'compute_vm', limit: 5, setBy: 'admin' });
  });
  afterAll(() => t?.dispose());

  async function deployed(): Promise<string> {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'teardown');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets' });
    await orchestrator.runPlan(session.id, 'alice');
    expect((await orchestrator.approveAndApply(session.id, 'bob')).state).toBe('APPLIED');
    return session.id;
  }

  it('plans the destroy, shows it like any plan, applies it under four eyes, ends DESTROYED and frees the quota', async () => {
    const { orchestrator } = t.kernel;
    const sessionId = await deployed();
    expect((await t.kernel.quotas.usage('teardown'))[0]).toMatchObject({ quotaKey: 'compute_vm', used: 1 });

    const plan = await orchestrator.destroySession(sessionId, 'alice');
    expect(plan.summary).toBe('Plan: 0 to add, 0 to change, 2 to destroy.');
    expect(plan.changes.map((change) => change.actions.join())).toEqual(['delete', 'delete']);
    expect(plan.cost?.lines.every((line) => line.action === 'delete' && line.monthlyDelta <= 0)).toBe(true);
    const ready = await orchestrator.getSession(sessionId);
    expect(ready.state).toBe('DESTROY_READY');
    // Still deployed until the teardown is applied.
    expect((await t.kernel.quotas.usage('teardown'))[0]).toMatchObject({ used: 1 });

    // Same approval rules as any plan: the owner may not approve under four eyes.
    await expect(orchestrator.approveAndApply(sessionId, 'alice')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const lines: string[] = [];
    const final = await orchestrator.approveAndApply(sessionId, 'bob', { onOutput: (line) => lines.push(line) });
    expect(final.state).toBe('DESTROYED');
    expect(final.outputs).toBeNull();
    expect(lines.some((line) => line.includes('Destruction complete'))).toBe(true);
    const state = JSON.parse(readFileSync(join(final.workingDir, 'terraform.tfstate'), 'utf8')) as { resources: unknown[] };
    expect(state.resources).toEqual([]);
    expect((await t.kernel.quotas.usage('teardown'))[0]).toMatchObject({ used: 0, reserved: 0 });

    // The state trail; the refused approval is audited too, as its own event.
    const trail = (await t.kernel.audit.list({ sessionId })).map((event) => event.action);
    expect(trail.filter((action) => action !== 'action.refused').slice(-4)).toEqual(['session.destroy_ready', 'approval.recorded', 'session.destroying', 'session.destroyed']);
    expect(trail).toContain('action.refused');
    await expect(orchestrator.destroySession(sessionId, 'alice')).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('withdrawing a planned teardown leaves the deployment APPLIED', async () => {
    const { orchestrator } = t.kernel;
    const sessionId = await deployed();
    await orchestrator.destroySession(sessionId, 'alice');
    expect((await orchestrator.cancelSession(sessionId, 'alice')).state).toBe('APPLIED');
    expect(existsSync(join((await orchestrator.getSession(sessionId)).workingDir, 'terraform.tfstate'))).toBe(true);
  });

  it('refuses to destroy a session that was never deployed, and a user without deploy access', async () => {
    const { orchestrator } = t.kernel;
    const draft = await orchestrator.startSession('alice', 'teardown');
    await expect(orchestrator.destroySession(draft.id, 'alice')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const sessionId = await deployed();
    await expect(orchestrator.destroySession(sessionId, 'mallory')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await orchestrator.getSession(sessionId)).state).toBe('APPLIED');
  });

  it('four eyes covers teardowns: whoever planned the teardown may not approve it, an admin included', async () => {
    const { orchestrator } = t.kernel;
    const sessionId = await deployed();
    // carol administers the project, so she may plan the teardown of alice's deployment...
    const plan = await orchestrator.destroySession(sessionId, 'carol');
    expect(plan.createdBy).toBe('carol');
    // ...but planning a teardown is a change: she cannot also approve it.
    const alone = await orchestrator.approveAndApply(sessionId, 'carol').catch((caught: { code: string; message: string }) => caught);
    expect(alone).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((alone as { message: string }).message).toContain(`carol planned the teardown of session ${sessionId}`);
    // Nor can the owner; a third member can.
    await expect(orchestrator.approveAndApply(sessionId, 'alice')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await orchestrator.getSession(sessionId)).state).toBe('DESTROY_READY');
    expect((await orchestrator.approveAndApply(sessionId, 'bob')).state).toBe('DESTROYED');
  });

  it("a deploy member cannot plan the teardown of someone else's deployment", async () => {
    const { orchestrator } = t.kernel;
    const sessionId = await deployed();
    const error = await orchestrator.destroySession(sessionId, 'bob').catch((caught: { code: string; message: string }) => caught);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((error as { message: string }).message).toContain(`session ${sessionId} of alice needs admin`);
    expect((await orchestrator.getSession(sessionId)).state).toBe('APPLIED');
  });

  it('a FAILED deployment stays FAILED when its teardown is withdrawn, also after the teardown was planned twice', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'teardown');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.fault_exit', name: 'boom' });
    await orchestrator.runPlan(session.id, 'alice');
    expect((await orchestrator.approveAndApply(session.id, 'bob')).state).toBe('FAILED');

    await orchestrator.destroySession(session.id, 'alice');
    expect((await orchestrator.getSession(session.id)).state).toBe('DESTROY_READY');
    // Withdrawn: the deployment is as it was — half applied, FAILED — not APPLIED.
    expect((await orchestrator.cancelSession(session.id, 'alice')).state).toBe('FAILED');

    // Planned again and re-planned from DESTROY_READY: it still remembers where it started.
    await orchestrator.destroySession(session.id, 'alice');
    await orchestrator.destroySession(session.id, 'alice');
    expect((await orchestrator.cancelSession(session.id, 'alice')).state).toBe('FAILED');

    // The teardown is torn down for real in the end.
    await orchestrator.destroySession(session.id, 'alice');
    expect((await orchestrator.approveAndApply(session.id, 'bob')).state).toBe('DESTROYED');
  });
});
