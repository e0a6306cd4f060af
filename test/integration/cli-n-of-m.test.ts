import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKernel } from '../../src/engine.js';
import { CLI_BIN, runCli } from '../support/cli-runner.js';

const ADMIN = 'admin';

describe.skipIf(!existsSync(CLI_BIN))('cloud-engine approve at a two-approval project (built bin)', () => {
  let dir: string;
  let sessionId: string;
  let planId: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloud-engine-cli-n-of-m-'));
    // The project and alice's planned change, made by a kernel on the data dir the bin then uses.
    const kernel = await createKernel({ dataDir: join(dir, 'data'), logLevel: 'silent', admins: [ADMIN], env: {}, lifecycleInterval: 0 });
    try {
      await kernel.projects.create({ id: 'pair', provider: 'sandbox', createdBy: ADMIN, settings: { approval: { required: 2, requireDistinctApprover: true } } });
      for (const userId of ['alice', 'bob', 'carol', 'dave']) await kernel.access.grant({ projectId: 'pair', userId, level: 'deploy', grantedBy: ADMIN });
      const session = await kernel.orchestrator.startSession('alice', 'pair');
      await kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets' });
      sessionId = session.id;
      planId = (await kernel.orchestrator.runPlan(session.id, 'alice')).id;
    } finally {
      await kernel.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('records the first approval (exit 0, 1/2), withdraws it with revoke-approval, records with --no-apply without applying, and the approval that completes the count applies', () => {
    const first = runCli(dir, 'bob', ['approve', sessionId, '--plan', planId, '--json']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ sessionId, state: 'PLAN_READY', approvals: { required: 2, given: [{ userId: 'bob' }] } });
    expect(first.stderr).toContain('Approvals 1/2: bob');
    expect(first.stderr).toContain('needs 1 more from deploy-level members');

    const revoked = runCli(dir, 'bob', ['revoke-approval', sessionId, '--json']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.json()).toMatchObject({ state: 'PLAN_READY', approvals: { given: [] } });
    const none = runCli(dir, 'dave', ['revoke-approval', sessionId]);
    expect(none.status).not.toBe(0);
    expect(none.stderr).toContain('has no approval');

    // --no-apply records, even when it completes the count.
    expect(runCli(dir, 'bob', ['approve', sessionId, '--plan', planId, '--no-apply']).status).toBe(0);
    const complete = runCli(dir, 'carol', ['approve', sessionId, '--plan', planId, '--no-apply', '--json']);
    expect(complete.status, complete.stderr).toBe(0);
    expect(complete.json()).toMatchObject({ state: 'PLAN_READY' });
    expect(complete.json().approvals.given).toHaveLength(2);
    expect(complete.stderr).toContain('nothing was applied (--no-apply)');
    // `sessions --json` shows where the count stands too.
    const listed = runCli(dir, 'alice', ['sessions', '--json']).json().sessions.find((session: { id: string }) => session.id === sessionId);
    expect(listed.approvals).toEqual({ required: 2, given: [expect.objectContaining({ userId: 'bob' }), expect.objectContaining({ userId: 'carol', at: expect.stringMatching(/Z$/) })] });

    // The author is refused under four eyes (PERMISSION_DENIED's exit code), and nothing runs.
    const author = runCli(dir, 'alice', ['approve', sessionId, '--plan', planId]);
    expect(author.status).not.toBe(0);
    expect(author.stderr).toContain('four eyes');

    const applied = runCli(dir, 'carol', ['approve', sessionId, '--plan', planId, '--json']);
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.json()).toMatchObject({ state: 'APPLIED', approvals: { required: 2 } });
  });
});
