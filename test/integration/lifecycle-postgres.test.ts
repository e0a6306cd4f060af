import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';
import { createProject, startTestKernel } from '../support/test-kernel.js';

if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

const MINUTE = 60_000;

describe.skipIf(!HAS_POSTGRES)('expiry on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('two kernels on one database tear an expired deployment down once', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-lifecycle-pg-'));
    let at = Date.now();
    const clock = { now: () => new Date(at) };
    const options = { dataDir, clock, lifecycleInterval: 0, database: { type: 'postgres', url: server.url } };
    const a = await startTestKernel(options);
    const b = await startTestKernel(options);
    try {
      await createProject(a.kernel, { id: 'pg-ttl', provider: 'sandbox', settings: { lifecycle: { reminders: ['10m'] } } });
      const session = await a.kernel.orchestrator.startSession('alice', 'pg-ttl', undefined, { deployment: 'web', ttl: '30m' });
      await a.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets' });
      const plan = await a.kernel.orchestrator.runPlan(session.id, 'alice');
      expect((await a.kernel.orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id })).state).toBe('APPLIED');
      const expired: string[] = [];
      const reminded: string[] = [];
      for (const kernel of [a.kernel, b.kernel]) {
        kernel.events.on('deployment.expired', (event) => expired.push(event.deploymentId));
        kernel.events.on('deployment.expiring', (event) => reminded.push(event.deploymentId));
      }
      at += 21 * MINUTE;
      await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      at += 10 * MINUTE;
      await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      await Promise.all([a.kernel.lifecycle.runDue(), b.kernel.lifecycle.runDue()]);
      expect(reminded).toEqual([session.deploymentId]);
      expect(expired).toEqual([session.deploymentId]);
      expect(await b.kernel.deployments.get(session.deploymentId)).toMatchObject({ state: 'DESTROYED', expiresAt: null });
      expect(await a.kernel.audit.list({ actor: 'cloud-engine', action: 'deployment.teardownStarted' })).toHaveLength(1);
    } finally {
      await a.kernel.close();
      await b.kernel.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
