import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

describe('two approvals of the same plan at once', () => {
  let first: TestKernel;
  let second: TestKernel;
  beforeAll(async () => {
    first = await startTestKernel();
    // A second process on the same data dir: only the database can arbitrate between them.
    second = await startTestKernel({ dataDir: first.dataDir });
    await createProject(first.kernel, { id: 'race', provider: 'sandbox', createdBy: ADMIN });
  });
  afterAll(async () => {
    await second?.dispose();
    await first?.dispose();
  });

  async function plannedSession(): Promise<string> {
    const { orchestrator } = first.kernel;
    const session = await orchestrator.startSession('alice', 'race');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'vm', config: { bootSeconds: 1 } });
    await orchestrator.runPlan(session.id, 'alice');
    return session.id;
  }

  it('in one process: exactly one applies, the other is refused', async () => {
    const sessionId = await plannedSession();
    const results = await Promise.allSettled([
      first.kernel.orchestrator.approveAndApply(sessionId, 'alice'),
      first.kernel.orchestrator.approveAndApply(sessionId, ADMIN),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(['LOCKED', 'INVALID_STATE']).toContain(lost[0]!.reason.code);
    const trail = await first.kernel.audit.list({ sessionId, action: 'session.applying' });
    expect(trail).toHaveLength(1);
  });

  it('in two processes sharing the database: exactly one applies, the other gets INVALID_STATE', async () => {
    const sessionId = await plannedSession();
    const results = await Promise.allSettled([
      first.kernel.orchestrator.approveAndApply(sessionId, 'alice'),
      second.kernel.orchestrator.approveAndApply(sessionId, ADMIN),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(won[0]!.status === 'fulfilled' && won[0]!.value.state).toBe('APPLIED');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason.code).toBe('INVALID_STATE');
    expect(await first.kernel.audit.list({ sessionId, action: 'session.approved' })).toHaveLength(1);
    expect(await first.kernel.audit.list({ sessionId, action: 'session.applying' })).toHaveLength(1);
  });
});
