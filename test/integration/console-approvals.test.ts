import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { converse } from '../support/console-conversation.js';

// A project that needs two approvals, from the console: /approve says it records one of two (nothing is
// applied yet), /withdraw takes it back, and the lobby says where the count stands.
describe('two approvals from the console', () => {
  let t: TestKernel;
  let sessionId = '';
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'pair', provider: 'sandbox', settings: { approval: { required: 2 } } }, { alice: 'deploy', bob: 'deploy', carol: 'deploy' });
    const session = await t.kernel.orchestrator.startSession('alice', 'pair');
    sessionId = session.id;
    await t.kernel.orchestrator.addResource(sessionId, 'alice', { type: 'sandbox.bucket', name: 'b' });
    await t.kernel.orchestrator.runPlan(sessionId, 'alice');
  });
  afterAll(() => t?.dispose());

  it('/approve records one of two without saying it applies; /withdraw takes it back; someone who gave none is told so', async () => {
    const approved = await converse(t.kernel, 'bob', [`/session ${sessionId}`, '/approve']);
    expect(approved).toContain(`of ${sessionId} (approval 1 of 2)`);
    expect(approved).not.toContain(`Approving ${sessionId} and applying`);
    expect(approved).toContain('Approvals 1/2: bob');
    expect((await t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');

    const refused = await converse(t.kernel, 'carol', [`/withdraw ${sessionId}`]);
    expect(refused).toContain('carol has no approval');
    const withdrawn = await converse(t.kernel, 'bob', [`/withdraw ${sessionId}`]);
    expect(withdrawn).toContain('Approvals 0/2');
    expect((await t.kernel.orchestrator.getSession(sessionId)).approvals?.given).toEqual([]);
  });
});
