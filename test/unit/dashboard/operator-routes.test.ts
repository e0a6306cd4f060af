import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestKernel, createProject, type TestKernel } from '../../support/test-kernel.js';
import { dashboardApp } from './dashboard-test-app.js';

const TOKEN = 'scrape-me-please-0123456789';

describe('the operators endpoints: /metrics, /healthz, /readyz', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
  });
  afterAll(() => t?.dispose());

  it('on loopback, /metrics needs no token and counts plans, applies, approvals and sessions by state from kernel events', async () => {
    const app = await dashboardApp(t.kernel);
    try {
      await createProject(t.kernel, { id: 'metered', provider: 'sandbox' });
      const session = await t.kernel.orchestrator.startSession('alice', 'metered', 'sandbox');
      await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'logs' });
      const plan = await t.kernel.orchestrator.runPlan(session.id, 'alice');
      await t.kernel.orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
      // A chat adapter says how fast it answered (the Discord bot does, for each interaction).
      t.kernel.events.emit('chat.acknowledged', { adapter: 'discord', ms: 120 });
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/plain');
      expect(response.body).toContain('cloud_engine_chat_ack_seconds_bucket{le="0.25",adapter="discord"} 1');
      expect(response.body).toContain('cloud_engine_chat_ack_seconds_bucket{le="0.1",adapter="discord"} 0');
      const text = response.body;
      expect(text).toContain('cloud_engine_plans_total{outcome="success"} 1');
      expect(text).toContain('cloud_engine_applies_total{outcome="APPLIED"} 1');
      expect(text).toContain('cloud_engine_approvals_total 1');
      expect(text).toMatch(/cloud_engine_sessions\{state="APPLIED"\} 1/);
      expect(text).toMatch(/cloud_engine_terraform_duration_seconds_count\{operation="apply",outcome="success"\} 1/);
      expect(text).toContain('cloud_engine_terraform_processes{status="running"} 0');
      expect(text).toContain('cloud_engine_provider_pool{measure="hits"}');
      // Terraform runs in this process: the job queue's gauge is there, with no samples.
      expect(text).toContain('# TYPE cloud_engine_job_queue gauge');
      expect(text).not.toContain('cloud_engine_job_queue{');
    } finally {
      await app.close();
    }
  }, 60_000);

  it('counts approvals given and withdrawn, drift checks by status (from the audit trail, since the dashboard started) and how long terraform waited for a slot', async () => {
    const single = await startTestKernel({ maxTerraform: 1 });
    const app = await dashboardApp(single.kernel);
    try {
      const { orchestrator } = single.kernel;
      await createProject(single.kernel, { id: 'twice', provider: 'sandbox', settings: { approval: { required: 2 } } }, { alice: 'deploy', bob: 'deploy', carol: 'deploy' });
      const session = await orchestrator.startSession('alice', 'twice', 'sandbox', { deployment: 'web' });
      await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'logs' });
      const plan = await orchestrator.runPlan(session.id, 'alice');
      await orchestrator.approve(session.id, 'bob', { planId: plan.id });
      await orchestrator.revokeApproval(session.id, 'bob');
      await orchestrator.approve(session.id, 'bob', { planId: plan.id });
      expect((await orchestrator.approveAndApply(session.id, 'carol', { planId: plan.id })).state).toBe('APPLIED');
      await orchestrator.checkDrift(session.deploymentId, 'alice');
      await orchestrator.checkDrift(session.deploymentId, 'bob');

      // Two plans at once with one terraform slot: one of them waits.
      const [a, b] = await Promise.all(['one', 'two'].map((name) => orchestrator.startSession('alice', 'twice', 'sandbox', { deployment: name })));
      await orchestrator.addResource(a!.id, 'alice', { type: 'sandbox.bucket', name: 'a' });
      await orchestrator.addResource(b!.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
      await Promise.all([orchestrator.runPlan(a!.id, 'alice'), orchestrator.runPlan(b!.id, 'alice')]);

      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(text).toContain('cloud_engine_session_approvals_total{event="approved"} 3');
      expect(text).toContain('cloud_engine_session_approvals_total{event="revoked"} 1');
      expect(text).toContain('cloud_engine_drift_checks_total{status="NONE"} 2');
      expect(text).toContain('cloud_engine_drift_detected_total 0');
      expect(text).toMatch(/cloud_engine_terraform_queue_wait_seconds_count [1-9]\d*\n/);
      // A second scrape counts no check twice.
      expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain('cloud_engine_drift_checks_total{status="NONE"} 2');
    } finally {
      await app.close();
      await single.dispose();
    }
  }, 90_000);

  it('beyond loopback without a token the endpoints are closed (403); with metrics.token they want it as a Bearer token', async () => {
    const open = await dashboardApp(t.kernel, { host: '0.0.0.0' });
    const guarded = await dashboardApp(t.kernel, { host: '0.0.0.0', metricsToken: TOKEN });
    try {
      expect((await open.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(403);
      expect((await open.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(403);
      const missing = await guarded.inject({ method: 'GET', url: '/metrics' });
      expect(missing.statusCode).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer');
      expect((await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}x` } })).statusCode).toBe(401);
      expect((await guarded.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
      expect((await guarded.inject({ method: 'GET', url: '/healthz?x=1', headers: { authorization: `Bearer ${TOKEN}` } })).body).toBe('ok\n');
    } finally {
      await open.close();
      await guarded.close();
    }
  });

  it('/readyz answers 200 when the database answers and terraform is found, 503 naming what failed otherwise', async () => {
    const app = await dashboardApp(t.kernel);
    const broken = await startTestKernel({ terraformBin: '/nonexistent/terraform' });
    const brokenApp = await dashboardApp(broken.kernel);
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.body).toContain('database: ok');
      expect(ready.body).toContain('terraform: ok');
      const notReady = await brokenApp.inject({ method: 'GET', url: '/readyz' });
      expect(notReady.statusCode).toBe(503);
      expect(notReady.body).toContain('terraform: FAILED ("/nonexistent/terraform" not found');
      expect(notReady.body).toContain('database: ok');
    } finally {
      await app.close();
      await brokenApp.close();
      await broken.dispose();
    }
  });
});
