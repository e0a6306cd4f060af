import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';
import { ADMIN, createProject, startTestKernel } from '../support/test-kernel.js';

if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

const MINUTE = 60_000;

describe.skipIf(!HAS_POSTGRES)('access requests on PostgreSQL, two kernels on one database', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('admins clicking on two kernels at once make one decision; a grant ending soon is announced once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-access-pg-'));
    let at = Date.now();
    const clock = { now: () => new Date(at) };
    const options = { dataDir, clock, lifecycleInterval: 0, database: { type: 'postgres', url: server.url } };
    const a = await startTestKernel(options);
    const b = await startTestKernel(options);
    try {
      await createProject(a.kernel, { id: 'pg-acc', provider: 'sandbox' }, { carol: 'admin', dave: 'admin' });
      for (let round = 0; round < 5; round += 1) {
        const request = await a.kernel.access.request({ projectId: 'pg-acc', userId: `user${round}`, level: 'deploy', duration: '30m', reason: `round ${round}` });
        const results = await Promise.allSettled([a.kernel.access.decide(request.id, 'carol', 'approve'), b.kernel.access.decide(request.id, 'dave', 'deny')]);
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const rejected = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
        expect(rejected.reason).toMatchObject({ code: 'INVALID_STATE' });
        const decisions = (await a.kernel.audit.list({ projectId: 'pg-acc' })).filter((event) => ['access.approved', 'access.denied'].includes(event.action) && event.details.requestId === request.id);
        expect(decisions).toHaveLength(1);
        // The grant exists exactly when the approval won.
        expect(await b.kernel.access.levelOf(`user${round}`, 'pg-acc')).toBe(decisions[0]!.action === 'access.approved' ? 'deploy' : null);
      }
      const notices: string[] = [];
      for (const kernel of [a.kernel, b.kernel]) kernel.events.on('access.grantExpiring', (event) => notices.push(event.userId));
      await a.kernel.access.grant({ projectId: 'pg-acc', userId: 'erin', level: 'read', grantedBy: ADMIN, expiresAt: new Date(at + 30 * MINUTE) });
      at += 28 * MINUTE;
      await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      expect(notices.filter((user) => user === 'erin')).toEqual(['erin']);
    } finally {
      await a.kernel.close();
      await b.kernel.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
