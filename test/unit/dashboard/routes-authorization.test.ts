import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../../../src/kernel/sessions/session-view.js';
import { ADMIN, createProject, plannedVmSession, startTestKernel, type TestKernel } from '../../support/test-kernel.js';
import { cookieOf, dashboardApp, form, signIn } from './dashboard-test-app.js';

describe('dashboard routes: who sees and does what', () => {
  let t: TestKernel;
  let app: FastifyInstance;
  let planned: SessionView;
  let alice: { cookie: string; csrf: string };
  let bob: { cookie: string; csrf: string };
  let mallory: { cookie: string; csrf: string };

  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'web', provider: 'sandbox', settings: { approval: { requireDistinctApprover: true } } }, { alice: 'deploy', bob: 'deploy', reader: 'read' });
    await createProject(t.kernel, { id: 'secret', provider: 'sandbox' }, { mallory: 'admin' });
    planned = await t.kernel.orchestrator.getSession((await plannedVmSession(t.kernel, 'web', 'vm1', 0)).id);
    app = await dashboardApp(t.kernel);
    alice = await signIn(app, t.kernel, 'alice');
    bob = await signIn(app, t.kernel, 'bob');
    mallory = await signIn(app, t.kernel, 'mallory');
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  it.each(['/', `/deployments/DEPLOYMENT`, `/sessions/SESSION`, `/sessions/SESSION/output`, '/projects/web/audit'])('without a session cookie, %s answers 401 with how to sign in from chat', async (path) => {
    const url = path.replace('DEPLOYMENT', planned.deploymentId).replace('SESSION', planned.id);
    const response = await app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(401);
    expect(response.body).toContain('/cloud-dashboard');
    expect(response.body).not.toContain(planned.id);
  });

  it('a forged or unknown session cookie is no session', async () => {
    const response = await app.inject({ method: 'GET', url: '/', headers: { cookie: 'ce_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(response.statusCode).toBe(401);
  });

  it("lists only the deployments of projects the viewer can read: alice sees web's, mallory does not", async () => {
    const seen = await app.inject({ method: 'GET', url: '/', headers: { cookie: alice.cookie } });
    expect(seen.statusCode).toBe(200);
    expect(seen.body).toContain(`data-deployment="${planned.deploymentId}"`);
    const hidden = await app.inject({ method: 'GET', url: '/', headers: { cookie: mallory.cookie } });
    expect(hidden.statusCode).toBe(200);
    expect(hidden.body).not.toContain(planned.deploymentId);
    expect(hidden.body).toContain('/projects/secret/audit');
  });

  it("another project's deployment, session and output answer 404 exactly like a missing id", async () => {
    for (const url of [`/deployments/${planned.deploymentId}`, `/sessions/${planned.id}`, `/sessions/${planned.id}/output`]) {
      const response = await app.inject({ method: 'GET', url, headers: { cookie: mallory.cookie } });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).toContain('that you can see');
      expect(response.body).not.toContain('vm1');
    }
    const missing = await app.inject({ method: 'GET', url: '/sessions/nosuchsession', headers: { cookie: mallory.cookie } });
    expect(missing.statusCode).toBe(404);
  });

  it('a reader sees the session and its plan but is offered no approve or cancel', async () => {
    const reader = await signIn(app, t.kernel, 'reader');
    const response = await app.inject({ method: 'GET', url: `/sessions/${planned.id}`, headers: { cookie: reader.cookie } });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(response.body).not.toContain('id="approve"');
    expect(response.body).toContain('<td id="approvals">0/1</td>');
    const refused = await app.inject({ method: 'POST', url: `/sessions/${planned.id}/approve`, ...form({ _csrf: reader.csrf, planId: planned.plan?.id ?? '' }), headers: { ...form({}).headers, cookie: reader.cookie } });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Permission denied');
  });

  it('the audit trail is for project admins: a deploy member gets 403, a stranger 404, the global admin sees it', async () => {
    expect((await app.inject({ method: 'GET', url: '/projects/web/audit', headers: { cookie: alice.cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/projects/web/audit', headers: { cookie: mallory.cookie } })).statusCode).toBe(404);
    const admin = await signIn(app, t.kernel, ADMIN);
    const trail = await app.inject({ method: 'GET', url: '/projects/web/audit', headers: { cookie: admin.cookie } });
    expect(trail.statusCode).toBe(200);
    expect(trail.body).toContain('session.started');
    expect(trail.body).toContain('action.refused');
  });

  it('a POST without the CSRF token, or with another session\'s, is refused 403 and nothing happens', async () => {
    const body = form({ planId: 'x' });
    const without = await app.inject({ method: 'POST', url: `/sessions/${planned.id}/cancel`, payload: body.payload, headers: { ...body.headers, cookie: alice.cookie } });
    expect(without.statusCode).toBe(403);
    expect(without.body).toContain('CSRF');
    const other = form({ _csrf: bob.csrf });
    const crossed = await app.inject({ method: 'POST', url: `/sessions/${planned.id}/cancel`, payload: other.payload, headers: { ...other.headers, cookie: alice.cookie } });
    expect(crossed.statusCode).toBe(403);
    expect((await t.kernel.orchestrator.getSession(planned.id)).state).toBe('PLAN_READY');
  });

  it("the author under four eyes is refused with the kernel's message; another member's approval applies", async () => {
    const planId = planned.plan!.id;
    const mine = form({ _csrf: alice.csrf, planId });
    const refused = await app.inject({ method: 'POST', url: `/sessions/${planned.id}/approve`, payload: mine.payload, headers: { ...mine.headers, cookie: alice.cookie } });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('requires four eyes');
    const theirs = form({ _csrf: bob.csrf, planId });
    const approved = await app.inject({ method: 'POST', url: `/sessions/${planned.id}/approve`, payload: theirs.payload, headers: { ...theirs.headers, cookie: bob.cookie } });
    expect(approved.statusCode).toBe(303);
    expect(approved.headers.location).toBe(`/sessions/${planned.id}`);
    await expect.poll(async () => (await t.kernel.orchestrator.getSession(planned.id)).state, { timeout: 60_000, interval: 200 }).toBe('APPLIED');
    expect((await t.kernel.orchestrator.getSession(planned.id)).approvedBy).toBe('bob');
  }, 90_000);

  it.each([
    ['/sessions/%3Cscript%3Ealert(1)%3C%2Fscript%3E', 400],
    ["/deployments/'%20OR%201=1--", 400],
    ['/sessions/../../etc/passwd', 404],
    [`/sessions/${'a'.repeat(300)}`, 400],
    ['/projects/UPPER_CASE/audit', 400],
    ['/sessions/abc/output?after=-1', 400],
    ['/no/such/page', 404],
  ])('a hostile address %s gives a clean %i page, no stack trace', async (url, status) => {
    const response = await app.inject({ method: 'GET', url, headers: { cookie: alice.cookie } });
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).not.toMatch(/at .*\.(ts|js):\d+|node_modules|Error:/);
    expect(response.body).not.toContain('<script>alert');
  });

  it('a hostile string is escaped wherever a page shows it', async () => {
    const response = await app.inject({ method: 'GET', url: '/sessions/abc%22%3E%3Cimg', headers: { cookie: alice.cookie } });
    expect(response.body).not.toContain('"><img');
  });

  it('every page carries the security headers: CSP without inline scripts, no framing, nosniff, a referrer policy', async () => {
    const response = await app.inject({ method: 'GET', url: '/', headers: { cookie: alice.cookie } });
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('same-origin');
    expect(response.body).not.toMatch(/<script(?![^>]*\bsrc=)/);
  });

  it('signing out revokes the session server-side: the old cookie no longer works', async () => {
    const carol = await signIn(app, t.kernel, 'alice');
    const out = form({ _csrf: carol.csrf });
    const response = await app.inject({ method: 'POST', url: '/sign-out', payload: out.payload, headers: { ...out.headers, cookie: carol.cookie } });
    expect(response.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/', headers: { cookie: carol.cookie } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/', headers: { cookie: alice.cookie } })).statusCode).toBe(200);
  });

  it('a sign-in link opens once: HttpOnly, SameSite=Strict cookie for 8 hours, then on to /; the second opening is refused', async () => {
    const link = await t.kernel.signIns.issueLink('alice', 'http://127.0.0.1:8080');
    const first = await app.inject({ method: 'GET', url: `/sign-in/${link.token}` });
    // A page that moves on to / by itself (a 303 would not carry the Strict cookie after a cross-site click).
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('<meta http-equiv="refresh" content="0;url=/">');
    expect(first.headers['referrer-policy']).toBe('no-referrer');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Max-Age=28800');
    expect(cookieOf(first)).toMatch(/^ce_session=/);
    const second = await app.inject({ method: 'GET', url: `/sign-in/${link.token}` });
    expect(second.statusCode).toBe(400);
    expect(second.body).toContain('already used or has expired');
    expect(second.headers['set-cookie']).toBeUndefined();
    const garbage = await app.inject({ method: 'GET', url: '/sign-in/not-a-token' });
    expect(garbage.statusCode).toBe(400);
  });

  it('extending a TTL from the page: deploy members only, behind the CSRF token; the kernel moves the expiry', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'web', 'sandbox', { deployment: 'short-lived', ttl: '2h' });
    const before = (await t.kernel.deployments.get(session.deploymentId)).expiresAt!;
    const page = await app.inject({ method: 'GET', url: `/deployments/${session.deploymentId}`, headers: { cookie: alice.cookie } });
    expect(page.body).toContain('id="extend"');
    const reader = await signIn(app, t.kernel, 'reader');
    expect((await app.inject({ method: 'GET', url: `/deployments/${session.deploymentId}`, headers: { cookie: reader.cookie } })).body).not.toContain('id="extend"');
    const readerForm = form({ _csrf: reader.csrf });
    const refused = await app.inject({ method: 'POST', url: `/deployments/${session.deploymentId}/extend`, payload: readerForm.payload, headers: { ...readerForm.headers, cookie: reader.cookie } });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Permission denied');
    const stranger = form({ _csrf: mallory.csrf });
    expect((await app.inject({ method: 'POST', url: `/deployments/${session.deploymentId}/extend`, payload: stranger.payload, headers: { ...stranger.headers, cookie: mallory.cookie } })).statusCode).toBe(404);
    const noToken = form({});
    expect((await app.inject({ method: 'POST', url: `/deployments/${session.deploymentId}/extend`, payload: noToken.payload, headers: { ...noToken.headers, cookie: alice.cookie } })).statusCode).toBe(403);
    expect((await t.kernel.deployments.get(session.deploymentId)).expiresAt).toEqual(before);
    const blank = form({ _csrf: alice.csrf, by: '' });
    const noDefault = await app.inject({ method: 'POST', url: `/deployments/${session.deploymentId}/extend`, payload: blank.payload, headers: { ...blank.headers, cookie: alice.cookie } });
    expect(noDefault.statusCode).toBe(400);
    expect(noDefault.body).toContain('sets no lifecycle.defaultTtl');
    const mine = form({ _csrf: alice.csrf, by: '1h' });
    const extended = await app.inject({ method: 'POST', url: `/deployments/${session.deploymentId}/extend`, payload: mine.payload, headers: { ...mine.headers, cookie: alice.cookie } });
    expect(extended.statusCode).toBe(303);
    expect((await t.kernel.deployments.get(session.deploymentId)).expiresAt!.getTime()).toBe(before.getTime() + 60 * 60_000);
  });

  it('the operations page (terraform queue, provider pool, sessions by state) is for global admins; others get the kernel\'s refusal', async () => {
    const refused = await app.inject({ method: 'GET', url: '/operations', headers: { cookie: alice.cookie } });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('for global admins');
    expect((await app.inject({ method: 'GET', url: '/', headers: { cookie: alice.cookie } })).body).not.toContain('id="operations"');
    const admin = await signIn(app, t.kernel, ADMIN);
    expect((await app.inject({ method: 'GET', url: '/', headers: { cookie: admin.cookie } })).body).toContain('id="operations"');
    const page = await app.inject({ method: 'GET', url: '/operations', headers: { cookie: admin.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<table id="terraform">');
    expect(page.body).toContain('<table id="pool">');
    expect(page.body).toMatch(/<td>APPLIED<\/td><td>\d+<\/td>/);
  });
});
