import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../../support/rejection.js';
import { createProject, startTestKernel, type TestKernel } from '../../support/test-kernel.js';
import { dashboardApp, signIn } from './dashboard-test-app.js';

describe('policy results on the session page', () => {
  let t: TestKernel;
  let app: FastifyInstance;

  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'tagged', provider: 'sandbox', settings: { policies: { 'required-tags': { keys: ['team'] } } } }, { alice: 'deploy', reader: 'read' });
    app = await dashboardApp(t.kernel);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  it('lists the violations of a refused plan, then the policies a later plan passed, oldest first, for a reader too; every message escaped', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'tagged', 'sandbox');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'api', config: { tags: { env: '<b>prod</b>' } } });
    expect(await rejection(orchestrator.runPlan(session.id, 'alice'))).toMatchObject({ code: 'POLICY_VIOLATION' });
    const reader = await signIn(app, t.kernel, 'reader');
    const refused = (await app.inject({ method: 'GET', url: `/sessions/${session.id}`, headers: { cookie: reader.cookie } })).body;
    const table = /<table id="policies">([\s\S]*?)<\/table>/.exec(refused)?.[1] ?? '';
    expect(table).toContain('<tr class="policy-refused">');
    expect(table).toContain('<code>MISSING_TAGS</code> <code>api</code>: sandbox.vm &quot;api&quot; is missing required tag &quot;team&quot;');
    expect(table).not.toContain('plan passed');

    await orchestrator.updateResource(session.id, 'alice', { name: 'api', config: { tags: { env: '<b>prod</b>', team: 'web' } } });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    const passed = (await app.inject({ method: 'GET', url: `/sessions/${session.id}`, headers: { cookie: reader.cookie } })).body;
    const rows = [...(/<table id="policies">([\s\S]*?)<\/table>/.exec(passed)?.[1] ?? '').matchAll(/<tr class="policy-(\w[\w-]*)">[\s\S]*?<\/tr>/g)];
    expect(rows.map((row) => row[1])).toEqual(['refused', 'passed']);
    expect(rows[1]![0]).toContain(`<code>${plan.id}</code> <span class="muted">(current)</span>`);
    expect(rows[1]![0]).toMatch(/plan passed<\/td><td>checked by [^<]*required-tags/);
    expect(passed).not.toContain('<b>prod</b>');
  }, 60_000);

  it('says no plan was judged yet for a session never planned', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'tagged', 'sandbox');
    const alice = await signIn(app, t.kernel, 'alice');
    const page = (await app.inject({ method: 'GET', url: `/sessions/${session.id}`, headers: { cookie: alice.cookie } })).body;
    expect(page).toContain('<p class="muted" id="policies">No plan judged yet.</p>');
  });
});
