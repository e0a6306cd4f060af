import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

describe('tearing a deployment down: destroySession, approved like any plan', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'teardown', provider: 'sandbox', settings: { approval: { requireDistinctApprover: true } } }, { alice: 'deploy', bob: 'deploy' });
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

    const trail = (await t.kernel.audit.list({ sessionId })).map((event) => event.action);
    expect(trail.slice(-3)).toEqual(['session.destroy_ready', 'session.destroying', 'session.destroyed']);
    await expect(orchestrator.destroySession(sessionId, 'alice')).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });

  it('withdrawing a planned teardown leaves the deployment APPLIED', async () => {
    const { orchestrator } = t.kernel;
    const sessionId = await deployed();
    await orchestrator.destroySession(sessionId, 'alice');
    expect((await orchestrator.cancelSession(sessionId, 'alice')).state).toBe('APPLIED');
    expect(existsSync(join(t.dataDir, 'sessions', sessionId, 'terraform.tfstate'))).toBe(true);
  });

  it('refuses to destroy a session that was never deployed, and a user without deploy access', async () => {
    const { orchestrator } = t.kernel;
    const draft = await orchestrator.startSession('alice', 'teardown');
    await expect(orchestrator.destroySession(draft.id, 'alice')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    const sessionId = await deployed();
    await expect(orchestrator.destroySession(sessionId, 'mallory')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await orchestrator.getSession(sessionId)).state).toBe('APPLIED');
  });
});
