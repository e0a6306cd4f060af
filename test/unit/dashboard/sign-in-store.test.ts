import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/kernel/persistence/database.js';
import { DashboardSessionEntity } from '../../../src/kernel/persistence/entities/dashboard-session.entity.js';
import { hashToken } from '../../../src/kernel/sign-ins/sign-in-store.js';
import { rejection } from '../../support/rejection.js';
import { startTestKernel, type TestKernel } from '../../support/test-kernel.js';

const clock = { offsetMs: 0, now: () => new Date(Date.UTC(2026, 11, 6, 12, 0, 0) + clock.offsetMs) };
const BASE = 'http://127.0.0.1:8080';

describe('kernel.signIns: single-use links and the browser sessions they open', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel({ clock });
  });
  afterAll(() => t?.dispose());

  it('a link is the public URL plus a 256-bit token; only its SHA-256 is stored', async () => {
    const link = await t.kernel.signIns.issueLink('alice', `${BASE}/`);
    expect(link.url).toBe(`${BASE}/sign-in/${link.token}`);
    expect(link.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(link.expiresAt.getTime() - clock.now().getTime()).toBe(5 * 60_000);
    // A second connection to the kernel's SQLite file: what a copy of the database would hold.
    const db = await openDatabase(t.dataDir);
    const rows = await db.manager.find(DashboardSessionEntity, { where: { userId: 'alice' } }).finally(() => db.close());
    expect(rows.map((row) => row.tokenHash)).toContain(hashToken(link.token));
    expect(JSON.stringify(rows)).not.toContain(link.token);
  });

  it('without a dashboard address in this process, asking for a link says how to get one', async () => {
    const error = await rejection(t.kernel.signIns.issueLink('alice'));
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain('dashboard-link');
  });

  it('refuses a bad user id, naming the field', async () => {
    const error = await rejection(t.kernel.signIns.issueLink('cloud-engine', BASE));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('userId');
  });

  it('opens one 8-hour session; the same link opened twice at once opens exactly one', async () => {
    const link = await t.kernel.signIns.issueLink('bob', BASE);
    const results = await Promise.allSettled([t.kernel.signIns.redeem(link.token), t.kernel.signIns.redeem(link.token)]);
    const opened = results.filter((result) => result.status === 'fulfilled');
    expect(opened).toHaveLength(1);
    const session = (opened[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof t.kernel.signIns.redeem>>>).value;
    expect(session.userId).toBe('bob');
    expect(session.expiresAt.getTime() - clock.now().getTime()).toBe(8 * 60 * 60_000);
    expect(await t.kernel.signIns.authenticate(session.token)).toMatchObject({ id: session.id, userId: 'bob' });
  });

  it('a link older than 5 minutes is refused; a session older than 8 hours is no session', async () => {
    const link = await t.kernel.signIns.issueLink('carol', BASE);
    const fresh = await t.kernel.signIns.issueLink('carol', BASE);
    const session = await t.kernel.signIns.redeem(fresh.token);
    clock.offsetMs = 5 * 60_000;
    try {
      const error = await rejection(t.kernel.signIns.redeem(link.token));
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).toContain('/cloud-dashboard');
      expect(await t.kernel.signIns.authenticate(session.token)).not.toBeNull();
      clock.offsetMs = 8 * 60 * 60_000;
      expect(await t.kernel.signIns.authenticate(session.token)).toBeNull();
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('revoking a user ends their sessions and unused links at once', async () => {
    const used = await t.kernel.signIns.issueLink('dave', BASE);
    const session = await t.kernel.signIns.redeem(used.token);
    const unused = await t.kernel.signIns.issueLink('dave', BASE);
    expect(await t.kernel.signIns.revokeUser('dave')).toBe(2);
    expect(await t.kernel.signIns.authenticate(session.token)).toBeNull();
    expect((await rejection(t.kernel.signIns.redeem(unused.token))).code).toBe('INVALID_INPUT');
  });

  it.each(['', 'short', 'x'.repeat(43) + '!', '../../etc', "' OR 1=1 --"])('a malformed token %j is refused before any query', async (token) => {
    expect((await rejection(t.kernel.signIns.redeem(token))).code).toBe('INVALID_INPUT');
    expect(await t.kernel.signIns.authenticate(token)).toBeNull();
  });

  it('a link token is not a session token, nor the other way round', async () => {
    const link = await t.kernel.signIns.issueLink('erin', BASE);
    expect(await t.kernel.signIns.authenticate(link.token)).toBeNull();
    const session = await t.kernel.signIns.redeem(link.token);
    expect((await rejection(t.kernel.signIns.redeem(session.token))).code).toBe('INVALID_INPUT');
  });
});
