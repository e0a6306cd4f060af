import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultPlugin } from '../support/fault-plugin.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

describe('terraform failing under a session', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel({ extraPlugins: [faultPlugin], timeouts: { apply: '3s' } });
    await createProject(t.kernel, { id: 'faults', provider: 'sandbox', createdBy: ADMIN });
  });
  afterAll(() => t?.dispose());

  async function sessionWith(type: string): Promise<string> {
    const session = await t.kernel.orchestrator.startSession('alice', 'faults');
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type, name: 'thing' });
    return session.id;
  }

  it('a plan terraform rejects leaves the session PLAN_FAILED with terraform\'s own error text', async () => {
    const sessionId = await sessionWith('sandbox.fault_reference');
    const error = await t.kernel.orchestrator.runPlan(sessionId, 'alice').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'TERRAFORM_FAILED' });
    expect((error as Error).message).toContain('Reference to undeclared resource');
    const session = await t.kernel.orchestrator.getSession(sessionId);
    expect(session.state).toBe('PLAN_FAILED');
    expect(session.error).toContain('Reference to undeclared resource');
    expect(session.plan).toBeNull();
    // Failing is not final: fixing the resources and planning again works.
    await t.kernel.orchestrator.removeResource(sessionId, 'alice', 'thing');
    await t.kernel.orchestrator.addResource(sessionId, 'alice', { type: 'sandbox.bucket', name: 'ok' });
    expect((await t.kernel.orchestrator.runPlan(sessionId, 'alice')).toAdd).toBe(1);
  });

  it('an apply that exits non-zero ends FAILED with the provisioner\'s error', async () => {
    const sessionId = await sessionWith('sandbox.fault_exit');
    await t.kernel.orchestrator.runPlan(sessionId, 'alice');
    const lines: string[] = [];
    const final = await t.kernel.orchestrator.approveAndApply(sessionId, 'alice', { onOutput: (line) => lines.push(line) });
    expect(final.state).toBe('FAILED');
    expect(final.error).toContain('terraform apply failed');
    expect(final.error).toContain('exit status 3');
    expect(lines.some((line) => line.includes('disk quota exceeded on volume 7'))).toBe(true);
    const trail = await t.kernel.audit.list({ sessionId, action: 'session.failed' });
    expect(trail).toHaveLength(1);
    expect(trail[0]!.details.error).toContain('exit status 3');
  });

  it('a hung apply is stopped by the timeout and the session ends FAILED saying so', async () => {
    const sessionId = await sessionWith('sandbox.fault_hang');
    await t.kernel.orchestrator.runPlan(sessionId, 'alice');
    const final = await t.kernel.orchestrator.approveAndApply(sessionId, 'alice');
    expect(final.state).toBe('FAILED');
    expect(final.error).toMatch(/timed out after 3s/);
    // Terraform was interrupted, not killed outright: it wrote the state of what it did.
    expect(existsSync(join(final.workingDir, 'terraform.tfstate'))).toBe(true);
  });

  it('cancelling during an apply interrupts terraform, keeps the state and ends FAILED', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'faults');
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'quick' });
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'slow', config: { bootSeconds: 60 } });
    await t.kernel.orchestrator.runPlan(session.id, 'alice');
    let cancelled: Promise<unknown> | undefined;
    const applying = t.kernel.orchestrator.approveAndApply(session.id, 'alice', {
      onOutput: (line) => {
        if (!cancelled && line.includes('booting slow: 1/60s')) cancelled = t.kernel.orchestrator.cancelSession(session.id, 'alice');
      },
    });
    const final = await applying;
    await cancelled;
    expect(final.state).toBe('FAILED');
    expect(final.error).toContain('cancelled during apply');
    const state = JSON.parse(readFileSync(join(final.workingDir, 'terraform.tfstate'), 'utf8')) as { resources: { name: string }[] };
    expect(state.resources.map((resource) => resource.name)).toContain('quick');
    expect(await t.kernel.audit.list({ sessionId: session.id, action: 'session.cancel_requested' })).toHaveLength(1);
  });

  it('a missing terraform binary fails the plan with a message that says how to fix it', async () => {
    const other = await startTestKernel({ terraformBin: '/nonexistent/terraform' });
    try {
      await createProject(other.kernel, { id: 'nobin', provider: 'sandbox', createdBy: ADMIN });
      const session = await other.kernel.orchestrator.startSession('alice', 'nobin');
      await other.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
      const error = await other.kernel.orchestrator.runPlan(session.id, 'alice').catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'TERRAFORM_FAILED' });
      expect((error as Error).message).toContain('CLOUD_ENGINE_TERRAFORM_BIN');
      expect((await other.kernel.orchestrator.getSession(session.id)).state).toBe('PLAN_FAILED');
    } finally {
      await other.dispose();
    }
  });
});
