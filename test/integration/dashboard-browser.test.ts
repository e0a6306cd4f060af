import { join } from 'node:path';
import { createServer } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/server.js';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { converse } from '../support/console-conversation.js';

const CHROMIUM = '/usr/bin/chromium';
const DOCS = join(import.meta.dirname, '..', '..', 'docs');
/** DASHBOARD_SCREENSHOTS=1 writes the main pages to docs/dashboard-*.png. */
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS === '1';

/** The sign-in link a user gets from `/cloud-dashboard` in the console chat. */
async function linkFromChat(t: TestKernel, userId: string): Promise<string> {
  const printed = await converse(t.kernel, userId, ['/cloud-dashboard']);
  const url = /(http:\/\/\S+\/sign-in\/[A-Za-z0-9_-]+)/.exec(printed)?.[1];
  if (!url) throw new Error(`no link in:\n${printed}`);
  return url;
}

/** A clock the test can move (expired links). */
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };

describe('the dashboard in a real browser (Debian chromium, headless)', () => {
  let t: TestKernel;
  let dashboard: RunningDashboard;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  /** A fresh browser (its own cookies) signed in as `userId` through a link from the console chat. */
  async function signedInPage(userId: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(await linkFromChat(t, userId));
    // The sign-in page moves on to / by itself.
    await page.waitForURL(`${dashboard.url}/`, { timeout: 10_000 });
    expect(await page.locator('header .who').textContent()).toBe(userId);
    return page;
  }

  beforeAll(async () => {
    t = await startTestKernel({ clock });
    await createProject(t.kernel, { id: 'web', provider: 'sandbox', settings: { approval: { requireDistinctApprover: true } } }, { alice: 'deploy', bob: 'deploy', reader: 'read' });
    await createProject(t.kernel, { id: 'secret', provider: 'sandbox' }, { mallory: 'admin' });
    const hidden = await t.kernel.orchestrator.startSession('mallory', 'secret', 'sandbox', { deployment: 'hidden-db' });
    await t.kernel.orchestrator.addResource(hidden.id, 'mallory', { type: 'sandbox.bucket', name: 'vault' });
    dashboard = (await startDashboard(t.kernel, { port: 0, host: '127.0.0.1' }, {}))!;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // launch() gives chromium a fresh temporary profile (user-data-dir) each run: nothing carried over.
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await dashboard?.close();
    await t?.dispose();
  });

  it('signs in through the link from /cloud-dashboard in the console chat and shows the deployments', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'web', 'sandbox', { deployment: 'shop' });
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'api', config: { bootSeconds: 0 } });
    await t.kernel.orchestrator.runPlan(session.id, 'alice');
    const page = await signedInPage('alice');
    await expect.poll(() => page.locator('#deployments').textContent()).toContain('shop');
    expect(await page.locator('header .who').textContent()).toBe('alice');
    // Another user's project is invisible.
    expect(await page.content()).not.toContain('hidden-db');
    await page.locator('a', { hasText: 'shop' }).click();
    await page.waitForURL(/\/deployments\//);
    expect(await page.locator('h1').textContent()).toBe('Deployment shop');
    expect(await page.locator('#sessions').textContent()).toContain('PLAN_READY');
    // docs/dashboard-deployment.png is written by dashboard-drift.test.ts: a deployment with references, prices and a drift.
  }, 60_000);

  it('a link clicked on another site (as in a chat web app) still signs in: the SameSite=Strict cookie is sent once at home', async () => {
    const url = await linkFromChat(t, 'alice');
    // "Another site": a page on localhost (a different site from 127.0.0.1) holding the link.
    const chat = createServer((_request, response) => response.end(`<!doctype html><a id="open" href="${url}">open the dashboard</a>`));
    await new Promise<void>((resolve) => chat.listen(0, '127.0.0.1', resolve));
    const context = await browser.newContext();
    contexts.push(context);
    try {
      const page = await context.newPage();
      await page.goto(`http://localhost:${(chat.address() as { port: number }).port}/`);
      await page.locator('#open').click();
      await page.waitForURL(`${dashboard.url}/`, { timeout: 10_000 });
      await page.waitForLoadState('load');
      expect(await page.locator('h1').textContent()).toBe('Deployments');
      expect(await page.locator('header .who').textContent()).toBe('alice');
    } finally {
      chat.close();
    }
  }, 60_000);

  it('refuses a link used once already, and a link opened after its 5 minutes', async () => {
    const url = await linkFromChat(t, 'alice');
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForURL(`${dashboard.url}/`, { timeout: 10_000 });
    const again = await page.goto(url);
    expect(again?.status()).toBe(400);
    expect(await page.locator('#message').textContent()).toContain('already used or has expired');

    const late = await linkFromChat(t, 'alice');
    clock.offsetMs = 5 * 60_000 + 1_000;
    try {
      const fresh = await (await browser.newContext()).newPage();
      const response = await fresh.goto(late);
      expect(response?.status()).toBe(400);
      expect(await fresh.locator('#message').textContent()).toContain('already used or has expired');
      await fresh.context().close();
    } finally {
      clock.offsetMs = 0;
    }
  }, 60_000);

  it('refuses the author under four eyes from the page, then another member approves and watches the apply stream in live', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'web', 'sandbox', { deployment: 'api' });
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'worker', config: { bootSeconds: 6 } });
    await t.kernel.orchestrator.runPlan(session.id, 'alice');

    const alice = await signedInPage('alice');
    await alice.goto(`${dashboard.url}/sessions/${session.id}`);
    expect(await alice.locator('#plan-summary').textContent()).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    await alice.locator('#approve').click();
    await alice.waitForLoadState();
    expect(await alice.locator('#message').textContent()).toContain('requires four eyes');
    expect((await t.kernel.orchestrator.getSession(session.id)).state).toBe('PLAN_READY');

    const bob = await signedInPage('bob');
    await bob.goto(`${dashboard.url}/sessions/${session.id}`);
    if (SCREENSHOTS) await bob.screenshot({ path: join(DOCS, 'dashboard-plan.png'), fullPage: true });
    await bob.locator('#approve').click();
    await bob.waitForURL(new RegExp(`/sessions/${session.id}$`));
    // The page came with the lines persisted so far; the rest arrive over server-sent events, in order, without a reload.
    const shownAtLoad = await bob.locator('#live-log .line').count();
    await expect.poll(() => bob.locator('#live-log').textContent(), { timeout: 30_000 }).toContain('booting worker: 3/6s');
    expect(await bob.locator('#live-log .line').count()).toBeGreaterThan(shownAtLoad);
    expect(await bob.locator('#live-status').textContent()).toBe('live');
    if (SCREENSHOTS) await bob.screenshot({ path: join(DOCS, 'dashboard-live-log.png'), fullPage: true });
    await expect.poll(() => bob.locator('#session-state').textContent(), { timeout: 60_000 }).toBe('APPLIED');
    expect(await bob.locator('#live-status').textContent()).toBe('finished');
    const seqs = await bob.locator('#live-log .line').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-seq'))));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    // A reload loses nothing: every persisted line is on the page.
    const persisted = await t.kernel.orchestrator.getOutput(session.id);
    await bob.reload();
    expect(await bob.locator('#live-log .line').count()).toBe(persisted.length);
    expect((await t.kernel.orchestrator.getSession(session.id)).approvedBy).toBe('bob');
  }, 120_000);

  it('refuses a user without access, and a POST without the CSRF token', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'web', 'sandbox', { deployment: 'batch' });
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'logs' });
    const planned = await t.kernel.orchestrator.runPlan(session.id, 'alice');

    const mallory = await signedInPage('mallory');
    expect(await mallory.content()).toContain('hidden-db');
    expect(await mallory.content()).not.toContain('batch');
    const peek = await mallory.goto(`${dashboard.url}/sessions/${session.id}`);
    expect(peek?.status()).toBe(404);
    const csrf = await mallory.locator('input[name=_csrf]').first().inputValue();
    const forced = await mallory.request.post(`${dashboard.url}/sessions/${session.id}/approve`, { form: { _csrf: csrf, planId: planned.id } });
    expect(forced.status()).toBe(404);

    const bob = await signedInPage('bob');
    const noToken = await bob.request.post(`${dashboard.url}/sessions/${session.id}/approve`, { form: { planId: planned.id } });
    expect(noToken.status()).toBe(403);
    expect(await noToken.text()).toContain('CSRF');
    expect((await t.kernel.orchestrator.getSession(session.id)).state).toBe('PLAN_READY');

    if (SCREENSHOTS) {
      await bob.goto(dashboard.url);
      await bob.screenshot({ path: join(DOCS, 'dashboard-deployments.png'), fullPage: true });
    }
  }, 60_000);
});
