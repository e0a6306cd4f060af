import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../../src/kernel/kernel.js';
import { definePlugin } from '../../../src/kernel/plugin/define-plugin.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../../support/test-kernel.js';
import { dashboardApp, form, signIn } from './dashboard-test-app.js';

type Browser = { cookie: string; csrf: string };

/** A policy that refuses every plan while it is on: a reconcile whose plan a policy stops. */
const freeze = { on: false };
const freezePlugin = definePlugin({
  id: 'test.freeze',
  register(ctx) {
    ctx.addPolicyValidator({
      id: 'test.freeze',
      description: 'Refuses every plan while frozen.',
      validatePlan: () => (freeze.on ? [{ code: 'FROZEN', message: 'Changes are frozen <until monday>.' }] : []),
    });
  },
});

/** Applies a sandbox deployment: a network, two VMs on it and a bucket (planned by alice, approved by bob). */
async function deployShop(kernel: Kernel, projectId: string, name: string): Promise<string> {
  const { orchestrator } = kernel;
  const session = await orchestrator.startSession('alice', projectId, 'sandbox', { deployment: name });
  await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.network', name: 'net' });
  await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web', config: { network: 'net' } });
  await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'db', config: { network: 'net', size: 'medium' } });
  await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'logs' });
  const plan = await orchestrator.runPlan(session.id, 'alice');
  expect((await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id })).state).toBe('APPLIED');
  return session.deploymentId;
}

describe('the deployment page: reference graph, cost per resource, drift and its actions', () => {
  let t: TestKernel;
  let app: FastifyInstance;
  let alice: Browser;
  let reader: Browser;
  let mallory: Browser;
  let deploymentId: string;

  const get = (url: string, browser: Browser) => app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } });
  const post = (url: string, browser: Browser, fields: Record<string, string> = { _csrf: browser.csrf }) => {
    const body = form(fields);
    return app.inject({ method: 'POST', url, payload: body.payload, headers: { ...body.headers, cookie: browser.cookie } });
  };

  beforeAll(async () => {
    t = await startTestKernel({ extraPlugins: [freezePlugin] });
    await createProject(t.kernel, { id: 'shop', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy', reader: 'read' });
    await createProject(t.kernel, { id: 'secret', provider: 'sandbox' }, { mallory: 'admin' });
    deploymentId = await deployShop(t.kernel, 'shop', 'storefront');
    app = await dashboardApp(t.kernel);
    alice = await signIn(app, t.kernel, 'alice');
    reader = await signIn(app, t.kernel, 'reader');
    mallory = await signIn(app, t.kernel, 'mallory');
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  it('draws the resources as SVG nodes in layers by reference depth, with an arrow for each reference, the same on every load', async () => {
    const page = await get(`/deployments/${deploymentId}`, alice);
    expect(page.statusCode).toBe(200);
    const svg = /<figure class="ref-graph" id="graph">([\s\S]*?)<\/figure>/.exec(page.body)?.[1] ?? '';
    expect(svg).toContain('<svg');
    const nodes = [...svg.matchAll(/<g class="node" data-resource="([^"]+)" data-layer="(\d+)">/g)].map((match) => [match[1], Number(match[2])]);
    expect(nodes).toEqual([
      ['db', 1],
      ['logs', 0],
      ['net', 0],
      ['web', 1],
    ]);
    const edges = [...svg.matchAll(/<path class="edge" data-from="([^"]+)" data-to="([^"]+)"/g)].map((match) => `${match[1]}→${match[2]}`);
    expect(edges).toEqual(['db→net', 'web→net']);
    expect(svg).toContain('<title>web.network → net</title>');
    expect(svg).toContain('<text x="');
    expect(svg).toContain('4 resources, 2 references');
    // No script, no inline style: the CSP holds.
    expect(svg).not.toMatch(/<script|style=|on[a-z]+=/);
    expect((await get(`/deployments/${deploymentId}`, alice)).body).toContain(svg);
  });

  it('shows each resource\'s monthly cost from the applied plan\'s cost lines', async () => {
    const page = (await get(`/deployments/${deploymentId}`, alice)).body;
    for (const name of ['net', 'web', 'db', 'logs']) {
      expect(page, name).toMatch(new RegExp(`<tr data-resource="${name}">.*?<td class="cost"><span title="[^"]*sandbox resource: runs locally, no cloud cost[^"]*">\\$0\\.00/mo</span></td>`));
    }
  });

  it('shows a deployment never checked for drift, offers Check drift now to deploy members only; a check from the page is kept and shown', async () => {
    const before = (await get(`/deployments/${deploymentId}`, alice)).body;
    expect(before).toContain('<h2>Drift</h2>');
    expect(before).toContain('never checked');
    expect(before).toContain('none scheduled');
    expect(before).toContain('id="drift-check"');
    expect(before).not.toContain('id="drift-reconcile"');
    expect((await get(`/deployments/${deploymentId}`, reader)).body).not.toContain('id="drift-check"');

    const checked = await post(`/deployments/${deploymentId}/drift/check`, alice);
    expect(checked.statusCode).toBe(303);
    expect(checked.headers.location).toBe(`/deployments/${deploymentId}#drift`);
    expect((await t.kernel.deployments.get(deploymentId)).drift).toMatchObject({ status: 'NONE', checkedBy: 'alice' });
    const after = (await get(`/deployments/${deploymentId}`, alice)).body;
    expect(after).toMatch(/<span id="drift-status" class="state drift-NONE">NONE<\/span> no drift <span class="muted">— .* by alice<\/span>/);
  }, 60_000);

  it('refuses drift actions with the kernel\'s message: a reader, nothing to dismiss; a stranger gets 404 and a form without its token 403', async () => {
    const byReader = await post(`/deployments/${deploymentId}/drift/check`, reader);
    expect(byReader.statusCode).toBe(403);
    expect(byReader.body).toContain('Permission denied');
    const reconcileByReader = await post(`/deployments/${deploymentId}/drift/reconcile`, reader);
    expect(reconcileByReader.statusCode).toBe(403);
    const nothing = await post(`/deployments/${deploymentId}/drift/dismiss`, alice);
    expect(nothing.statusCode).toBe(409);
    expect(nothing.body).toContain('has no drift to dismiss');
    for (const action of ['check', 'reconcile', 'dismiss']) {
      expect((await post(`/deployments/${deploymentId}/drift/${action}`, mallory)).statusCode, action).toBe(404);
      const noToken = await post(`/deployments/${deploymentId}/drift/${action}`, alice, {});
      expect(noToken.statusCode, action).toBe(403);
      expect(noToken.body).toContain('CSRF');
    }
    expect((await post('/deployments/%3Cx%3E/drift/check', alice)).statusCode).toBe(400);
    expect(await t.kernel.deployments.get(deploymentId)).toMatchObject({ openSessionId: null });
  });

  it('Reconcile opens a change of the deployment as declared and goes on to its session page; meanwhile no check is offered, and one is refused LOCKED', async () => {
    const reconciled = await post(`/deployments/${deploymentId}/drift/reconcile`, alice);
    expect(reconciled.statusCode).toBe(303);
    const sessionId = /^\/sessions\/([A-Za-z0-9_-]+)$/.exec(String(reconciled.headers.location))?.[1];
    expect(sessionId).toBeDefined();
    const session = await t.kernel.orchestrator.getSession(sessionId!);
    expect(session).toMatchObject({ deploymentId, userId: 'alice' });
    expect(session.resources.map((resource) => resource.name).sort()).toEqual(['db', 'logs', 'net', 'web']);
    await expect.poll(async () => (await t.kernel.orchestrator.getSession(sessionId!)).state, { timeout: 60_000, interval: 200 }).toBe('PLAN_READY');
    expect((await t.kernel.audit.list({ action: 'deployment.driftReconcile', sessionId })).map((event) => event.actor)).toEqual(['alice']);

    const page = (await get(`/deployments/${deploymentId}`, alice)).body;
    expect(page).not.toContain('id="drift-check"');
    const locked = await post(`/deployments/${deploymentId}/drift/check`, alice);
    expect(locked.statusCode).toBe(409);
    expect(locked.body).toContain(`has a change open (session ${sessionId})`);
    await t.kernel.orchestrator.cancelSession(sessionId!, 'alice');
  }, 90_000);

  it('Reconcile whose plan a policy refuses still goes on to the change it opened, whose page lists the violation', async () => {
    freeze.on = true;
    try {
      const reconciled = await post(`/deployments/${deploymentId}/drift/reconcile`, alice);
      expect(reconciled.statusCode).toBe(303);
      const sessionId = /^\/sessions\/([A-Za-z0-9_-]+)$/.exec(String(reconciled.headers.location))?.[1];
      expect(sessionId).toBeDefined();
      await expect.poll(async () => (await t.kernel.orchestrator.getSession(sessionId!)).state, { timeout: 60_000, interval: 200 }).toBe('PLAN_FAILED');
      expect((await t.kernel.orchestrator.getSession(sessionId!)).deploymentId).toBe(deploymentId);
      const page = (await get(`/sessions/${sessionId}`, alice)).body;
      expect(page).toContain('<tr class="policy-refused">');
      expect(page).toContain('<li><code>FROZEN</code> Changes are frozen &lt;until monday&gt;.</li>');
      await t.kernel.orchestrator.cancelSession(sessionId!, 'alice');
    } finally {
      freeze.on = false;
    }
  }, 90_000);

  it('walks back to each resource\'s latest priced change: a removed resource leaves the table, the others keep their lines', async () => {
    const { orchestrator } = t.kernel;
    const change = await orchestrator.startSession('alice', 'shop', 'sandbox', { deployment: 'storefront' });
    await orchestrator.removeResource(change.id, 'alice', 'logs');
    await orchestrator.updateResource(change.id, 'alice', { name: 'db', config: { network: 'net', size: 'large' } });
    const plan = await orchestrator.runPlan(change.id, 'alice');
    await orchestrator.approveAndApply(change.id, 'bob', { planId: plan.id });
    const page = (await get(`/deployments/${deploymentId}`, alice)).body;
    expect(page).not.toContain('<tr data-resource="logs">');
    for (const name of ['net', 'web', 'db']) expect(page, name).toMatch(new RegExp(`<tr data-resource="${name}">.*?\\$0\\.00/mo`));
    expect(page).not.toContain('data-resource="logs"');
  }, 90_000);

  it('the global admin is offered the drift actions on any project; a stranger to the project gets 404', async () => {
    const admin = await signIn(app, t.kernel, ADMIN);
    const page = await get(`/deployments/${deploymentId}`, admin);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('id="drift-check"');
    expect((await get(`/deployments/${deploymentId}`, mallory)).statusCode).toBe(404);
  });
});
