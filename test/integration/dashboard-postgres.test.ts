import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';
import { rejection } from '../support/rejection.js';
import { createProject, startTestKernel } from '../support/test-kernel.js';
import { dashboardApp, signIn } from '../unit/dashboard/dashboard-test-app.js';

if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

describe.skipIf(!HAS_POSTGRES)('dashboard sign-ins on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('migrates dashboard_sessions, and of two kernels opening one link at once exactly one opens a session', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-dashboard-pg-'));
    const options = { dataDir, lifecycleInterval: 0, database: { type: 'postgres', url: server.url } };
    const a = await startTestKernel(options);
    const b = await startTestKernel(options);
    try {
      const link = await a.kernel.signIns.issueLink('alice', 'http://127.0.0.1:8080');
      const results = await Promise.allSettled([a.kernel.signIns.redeem(link.token), b.kernel.signIns.redeem(link.token)]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const opened = results.find((result) => result.status === 'fulfilled') as PromiseFulfilledResult<{ token: string }>;
      expect(await b.kernel.signIns.authenticate(opened.value.token)).toMatchObject({ userId: 'alice' });
      expect((await rejection(a.kernel.signIns.redeem(link.token))).code).toBe('INVALID_INPUT');
      expect(await a.kernel.signIns.revokeUser('alice')).toBe(1);
      expect(await b.kernel.signIns.authenticate(opened.value.token)).toBeNull();
    } finally {
      await a.dispose();
      await b.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it("counts a drift check another kernel on the database made, once, and draws that deployment's page with its graph, costs and drift", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-dashboard-pg-'));
    const options = { dataDir, lifecycleInterval: 0, database: { type: 'postgres', url: server.url } };
    const front = await startTestKernel(options);
    const other = await startTestKernel(options);
    const app = await dashboardApp(front.kernel);
    try {
      const { orchestrator } = other.kernel;
      await createProject(other.kernel, { id: 'pgshop', provider: 'sandbox' });
      const session = await orchestrator.startSession('alice', 'pgshop', 'sandbox', { deployment: 'web' });
      await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.network', name: 'net' });
      await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'api', config: { network: 'net' } });
      const plan = await orchestrator.runPlan(session.id, 'alice');
      await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
      await orchestrator.checkDrift(session.deploymentId, 'alice');

      const scrape = async () => (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(await scrape()).toContain('cloud_engine_drift_checks_total{status="NONE"} 1');
      expect(await scrape()).toContain('cloud_engine_drift_checks_total{status="NONE"} 1');

      const alice = await signIn(app, front.kernel, 'alice');
      const page = (await app.inject({ method: 'GET', url: `/deployments/${session.deploymentId}`, headers: { cookie: alice.cookie } })).body;
      expect(page).toContain('<path class="edge" data-from="api" data-to="net"');
      expect(page).toMatch(/<tr data-resource="api">.*?\$0\.00\/mo/);
      expect(page).toContain('<span id="drift-status" class="state drift-NONE">NONE</span>');
    } finally {
      await app.close();
      await front.dispose();
      await other.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
