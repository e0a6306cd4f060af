import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { KernelEventMap } from '../../src/kernel/events/kernel-events.js';
import { asMember } from '../../src/kernel/access/member-roles.js';
import { rejection } from '../support/rejection.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

type AccessEvent = 'access.requested' | 'access.decided' | 'access.requestExpired' | 'access.grantExpiring';

function recorder(kernel: Kernel) {
  const seen: { event: AccessEvent; payload: KernelEventMap[AccessEvent] }[] = [];
  for (const event of ['access.requested', 'access.decided', 'access.requestExpired', 'access.grantExpiring'] as const) {
    kernel.events.on(event, (payload) => seen.push({ event, payload }));
  }
  return seen;
}

describe('access requests: asked for, decided by an admin, granted for a time', () => {
  let t: TestKernel;
  const clock = new TestClock();
  beforeAll(async () => {
    t = await startTestKernel({ clock, lifecycleInterval: 0 });
    // carol administers "acc"; bob deploys; nobody else has access.
    await createProject(t.kernel, { id: 'acc', provider: 'sandbox' }, { carol: 'admin', bob: 'deploy' });
    await createProject(t.kernel, { id: 'capped', provider: 'sandbox', settings: { access: { maxGrant: '2h' } } }, { carol: 'admin' });
    await createProject(t.kernel, { id: 'roles', provider: 'sandbox', settings: { access: { roles: { '111': 'deploy', '222': 'admin' } } } }, {});
  });
  afterAll(() => t?.dispose());

  it('refuses bad requests naming the field and the limit, and records nothing', async () => {
    const { access } = t.kernel;
    const ask = (change: Record<string, unknown>) => rejection(access.request({ projectId: 'acc', userId: 'nina', level: 'deploy', duration: '2h', reason: 'fix the build', ...change } as never));
    expect(await ask({ level: 'root' })).toMatchObject({ code: 'INVALID_INPUT', field: 'level' });
    for (const duration of ['0', '0m', '-1h', '10y', 'soon', 0]) {
      const error = await ask({ duration });
      expect(error, String(duration)).toMatchObject({ code: 'INVALID_INPUT', field: 'duration', details: { limit: '30d' } });
    }
    const tooLong = await ask({ duration: '31d' });
    expect(tooLong.message).toContain('from 1m to 30d');
    expect(await ask({ reason: '' })).toMatchObject({ code: 'INVALID_INPUT', field: 'reason' });
    expect(await ask({ reason: '   ' })).toMatchObject({ code: 'INVALID_INPUT', field: 'reason' });
    const long = await ask({ reason: 'x'.repeat(501) });
    expect(long).toMatchObject({ code: 'INVALID_INPUT', field: 'reason', details: { limit: 500 } });
    expect(long.message).toContain('501 characters, more than the 500');
    expect(await ask({ projectId: 'nope' })).toMatchObject({ code: 'NOT_FOUND', field: 'projectId' });
    expect(await ask({ userId: 'cloud-engine' })).toMatchObject({ code: 'INVALID_INPUT', field: 'userId' });
    // Someone who already holds the level for good has nothing to ask for.
    expect(await ask({ userId: 'bob' })).toMatchObject({ code: 'INVALID_STATE', details: { state: 'HELD' } });
    expect(await t.kernel.access.requests('acc', 'carol')).toEqual([]);
    // Bad settings are refused when the project is made.
    const bad = await rejection(t.kernel.projects.create({ id: 'badacc', provider: 'sandbox', createdBy: ADMIN, settings: { access: { maxGrant: '0m' } } }));
    expect(bad).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.access.maxGrant' });
    expect(await rejection(t.kernel.projects.create({ id: 'badacc', provider: 'sandbox', createdBy: ADMIN, settings: { access: { roles: { '1': 'root' } } } }))).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('a newcomer asks, an admin approves: the grant has exactly the level and expiry asked for, works, is announced before its end once, then stops working', async () => {
    const { access, orchestrator, audit, lifecycle } = t.kernel;
    const events = recorder(t.kernel);
    expect(await rejection(orchestrator.startSession('nina', 'acc'))).toMatchObject({ code: 'PERMISSION_DENIED' });

    const request = await access.request({ projectId: 'acc', userId: 'nina', level: 'deploy', duration: '1h', reason: 'hotfix for the login page' });
    expect(request).toMatchObject({ state: 'PENDING', projectId: 'acc', userId: 'nina', level: 'deploy', duration: '1h', reason: 'hotfix for the login page', cappedTo: null });
    expect(request.expiresAt.getTime() - request.createdAt.getTime()).toBe(DAY);
    expect(events).toEqual([{ event: 'access.requested', payload: expect.objectContaining({ request, requestsChannel: null, askedIn: null }) }]);
    // Asking twice for the same while it is pending is refused, naming the open request.
    expect(await rejection(access.request({ projectId: 'acc', userId: 'nina', level: 'deploy', duration: '2h', reason: 'again' }))).toMatchObject({ code: 'INVALID_STATE', details: { requestId: request.id } });
    // Admins see every request; others only their own.
    expect((await access.requests('acc', 'carol')).map((r) => r.id)).toEqual([request.id]);
    expect(await access.requests('acc', 'bob')).toEqual([]);
    expect((await access.requests('acc', 'nina')).map((r) => r.id)).toEqual([request.id]);

    clock.advance(5 * MINUTE);
    const approvedAt = clock.now();
    const approved = await access.decide(request.id, 'carol', 'approve');
    expect(approved).toMatchObject({ state: 'APPROVED', decidedBy: 'carol', decidedAt: approvedAt, grantExpiresAt: new Date(approvedAt.getTime() + HOUR) });
    expect((await access.list('acc')).find((grant) => grant.userId === 'nina')).toMatchObject({ level: 'deploy', grantedBy: 'carol', expiresAt: new Date(approvedAt.getTime() + HOUR), expired: false });
    expect(events.at(-1)).toEqual({ event: 'access.decided', payload: { request: approved, decision: 'approve', deciderId: 'carol' } });
    // It works: nina starts a session at once.
    const session = await orchestrator.startSession('nina', 'acc');
    expect(session).toMatchObject({ userId: 'nina', projectId: 'acc' });
    // Request, decision and decider are in the audit trail.
    const trail = (await audit.list({ projectId: 'acc' })).filter((event) => event.action.startsWith('access.'));
    expect(trail.map((event) => [event.action, event.actor])).toEqual(expect.arrayContaining([['access.requested', 'nina'], ['access.approved', 'carol'], ['access.granted', 'carol']]));
    expect(trail.find((event) => event.action === 'access.approved')!.details).toMatchObject({ requestId: request.id, userId: 'nina', level: 'deploy', grantedFor: '1h', deciderVia: 'grant' });
    // Deciding again is refused, naming who decided.
    const again = await rejection(access.decide(request.id, 'carol', 'deny'));
    expect(again).toMatchObject({ code: 'INVALID_STATE' });
    expect(again.message).toContain('already approved by carol');

    // 6 minutes (a tenth of the hour) before the end, nina is told once.
    clock.advance(50 * MINUTE);
    await lifecycle.runDue();
    expect(events.filter((seen) => seen.event === 'access.grantExpiring')).toEqual([]);
    clock.advance(5 * MINUTE);
    await lifecycle.runDue();
    await lifecycle.runDue();
    const notices = events.filter((seen) => seen.event === 'access.grantExpiring');
    expect(notices).toEqual([{ event: 'access.grantExpiring', payload: { projectId: 'acc', userId: 'nina', level: 'deploy', expiresAt: new Date(approvedAt.getTime() + HOUR), remaining: 5 * MINUTE, durationMs: HOUR } }]);

    // Past its end the grant counts for nothing.
    clock.advance(5 * MINUTE);
    expect(await rejection(orchestrator.startSession('nina', 'acc'))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await access.list('acc')).find((grant) => grant.userId === 'nina')).toMatchObject({ expired: true });
    await orchestrator.cancelSession(session.id, ADMIN);
  });

  it('an admin denies: no grant, the requester is told; a requester may withdraw their own', async () => {
    const { access } = t.kernel;
    const events = recorder(t.kernel);
    const request = await access.request({ projectId: 'acc', userId: 'olga', level: 'admin', duration: '7d', reason: 'I want everything' });
    const denied = await access.decide(request.id, 'carol', 'deny');
    expect(denied).toMatchObject({ state: 'DENIED', decidedBy: 'carol', grantExpiresAt: null });
    expect(await access.levelOf('olga', 'acc')).toBeNull();
    expect(events.at(-1)).toEqual({ event: 'access.decided', payload: { request: denied, decision: 'deny', deciderId: 'carol' } });
    const second = await access.request({ projectId: 'acc', userId: 'olga', level: 'read', duration: '1d', reason: 'read the docs' });
    expect(await access.decide(second.id, 'olga', 'deny')).toMatchObject({ state: 'DENIED', decidedBy: 'olga' });
    expect((await t.kernel.audit.list({ projectId: 'acc', action: 'access.withdrawn' })).map((event) => event.actor)).toEqual(['olga']);
    expect(await rejection(access.decide(second.id, 'carol', 'maybe' as never))).toMatchObject({ code: 'INVALID_INPUT', field: 'decision' });
    expect(await rejection(access.decide('0000000000000000', 'carol', 'approve'))).toMatchObject({ code: 'NOT_FOUND', field: 'requestId' });
    expect(await rejection(access.decide('not an id', 'carol', 'approve'))).toMatchObject({ code: 'INVALID_INPUT', field: 'requestId' });
  });

  it('nobody approves their own request, an admin extending their own timed admin grant included, nor above their level; non-admins decide nothing', async () => {
    const { access, audit } = t.kernel;
    await access.grant({ projectId: 'acc', userId: 'dave', level: 'admin', grantedBy: ADMIN, expiresAt: new Date(clock.now().getTime() + HOUR) });
    const own = await access.request({ projectId: 'acc', userId: 'dave', level: 'admin', duration: '8h', reason: 'extend my on-call admin' });
    const self = await rejection(access.decide(own.id, 'dave', 'approve'));
    expect(self).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(self.message).toContain('Nobody approves their own access request');

    await access.grant({ projectId: 'acc', userId: 'erin', level: 'deploy', grantedBy: ADMIN, expiresAt: new Date(clock.now().getTime() + HOUR) });
    const above = await access.request({ projectId: 'acc', userId: 'erin', level: 'admin', duration: '1h', reason: 'rotate keys' });
    const refused = await rejection(access.decide(above.id, 'erin', 'approve'));
    expect(refused).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(refused.message).toContain('admin is above your own level, deploy');
    // bob (deploy) may not decide erin's request either way.
    expect(await rejection(access.decide(above.id, 'bob', 'approve'))).toMatchObject({ code: 'PERMISSION_DENIED', details: { needed: 'admin', held: 'deploy' } });
    expect(await rejection(access.decide(above.id, 'bob', 'deny'))).toMatchObject({ code: 'PERMISSION_DENIED' });
    // Refusals are audited, and nothing was decided.
    expect((await audit.list({ projectId: 'acc', action: 'action.refused' })).filter((event) => event.details.action === 'access.decide').map((event) => event.actor)).toEqual(['dave', 'erin', 'bob', 'bob']);
    expect((await access.requests('acc', 'carol', { states: ['PENDING'] })).map((r) => r.id).sort()).toEqual([own.id, above.id].sort());
    // Another admin may approve dave's.
    expect(await access.decide(own.id, 'carol', 'approve')).toMatchObject({ state: 'APPROVED', decidedBy: 'carol' });
    expect(await access.decide(above.id, 'dave', 'deny')).toMatchObject({ state: 'DENIED' });
  });

  it("the project's maxGrant caps the grant, and the request and the decision say so", async () => {
    const { access, audit } = t.kernel;
    const request = await access.request({ projectId: 'capped', userId: 'nina', level: 'deploy', duration: '8h', reason: 'release day' });
    expect(request).toMatchObject({ duration: '8h', grantDuration: '2h', cappedTo: '2h' });
    const at = clock.now();
    const approved = await access.decide(request.id, 'carol', 'approve');
    expect(approved.grantExpiresAt).toEqual(new Date(at.getTime() + 2 * HOUR));
    expect((await access.list('capped')).find((grant) => grant.userId === 'nina')!.expiresAt).toEqual(new Date(at.getTime() + 2 * HOUR));
    expect((await audit.list({ projectId: 'capped', action: 'access.approved' }))[0]!.details).toMatchObject({ duration: '8h', grantedFor: '2h', cappedTo: '2h' });
  });

  it('two admins deciding at once: exactly one decision, the other told who decided', async () => {
    const { access } = t.kernel;
    await access.grant({ projectId: 'acc', userId: 'frank', level: 'admin', grantedBy: ADMIN });
    const request = await access.request({ projectId: 'acc', userId: 'gina', level: 'read', duration: '2h', reason: 'look at the dashboards' });
    const results = await Promise.allSettled([access.decide(request.id, 'carol', 'approve'), access.decide(request.id, 'frank', 'deny'), access.decide(request.id, ADMIN, 'approve')]);
    const won = results.filter((result) => result.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<{ decidedBy: string; state: string }>).value;
    for (const lost of results.filter((result) => result.status === 'rejected')) {
      expect((lost as PromiseRejectedResult).reason).toMatchObject({ code: 'INVALID_STATE' });
      expect((lost as PromiseRejectedResult).reason.message).toContain(`by ${winner.decidedBy}`);
    }
    const stored = (await access.requests('acc', 'carol')).find((r) => r.id === request.id)!;
    expect(stored).toMatchObject({ state: winner.state, decidedBy: winner.decidedBy });
    expect((await t.kernel.audit.list({ projectId: 'acc' })).filter((event) => ['access.approved', 'access.denied'].includes(event.action) && event.details.requestId === request.id)).toHaveLength(1);
  });

  it('a request unanswered for a day lapses: EXPIRED once, announced, and can no longer be decided', async () => {
    const { access, lifecycle } = t.kernel;
    const events = recorder(t.kernel);
    const request = await access.request({ projectId: 'acc', userId: 'hank', level: 'read', duration: '1h', reason: 'audit' });
    clock.advance(DAY - MINUTE);
    await lifecycle.runDue();
    expect((await access.requests('acc', 'hank'))[0]).toMatchObject({ id: request.id, state: 'PENDING' });
    clock.advance(MINUTE);
    await lifecycle.runDue();
    await lifecycle.runDue();
    expect((await access.requests('acc', 'hank'))[0]).toMatchObject({ id: request.id, state: 'EXPIRED', decidedBy: null });
    expect(events.filter((seen) => seen.event === 'access.requestExpired').map((seen) => (seen.payload as KernelEventMap['access.requestExpired']).request.id)).toEqual([request.id]);
    expect(await rejection(access.decide(request.id, 'carol', 'approve'))).toMatchObject({ code: 'INVALID_STATE', details: { state: 'EXPIRED' } });
    expect(await access.levelOf('hank', 'acc')).toBeNull();
    // The requester may ask again.
    expect(await access.request({ projectId: 'acc', userId: 'hank', level: 'read', duration: '1h', reason: 'audit, again' })).toMatchObject({ state: 'PENDING' });
  });

  it('a chat role mapped by the project gives its level while the member holds it, audited as such; unmapped roles give nothing', async () => {
    const { orchestrator, access, audit } = t.kernel;
    const inChat = <T>(roles: string[], work: () => Promise<T>) => asMember({ userId: 'rita', roles }, work);
    expect(await rejection(orchestrator.startSession('rita', 'roles'))).toMatchObject({ code: 'PERMISSION_DENIED' });
    const session = await inChat(['111'], () => orchestrator.startSession('rita', 'roles'));
    expect(session.userId).toBe('rita');
    expect(await inChat(['111', '222'], () => access.held('rita', 'roles'))).toMatchObject({ level: 'admin', source: 'role', roleId: '222' });
    const used = await audit.list({ projectId: 'roles', action: 'access.viaRole' });
    expect(used.map((event) => [event.actor, event.details.roleId, event.details.level, event.details.action])).toEqual([['rita', '111', 'deploy', 'session.start']]);
    // The projects it may deploy to include the mapped one, inside the interaction only.
    expect(await inChat(['111'], () => access.projectsFor('rita', 'deploy'))).toEqual(['roles']);
    expect(await access.projectsFor('rita', 'read')).toEqual([]);
    expect(await inChat(['111'], () => access.projectsFor('rita', 'admin'))).toEqual([]);
    // The role removed (the next interaction carries none) or unmapped: nothing.
    expect(await rejection(inChat([], () => orchestrator.startSession('rita', 'roles')))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await rejection(inChat(['999'], () => orchestrator.startSession('rita', 'roles')))).toMatchObject({ code: 'PERMISSION_DENIED' });
    // Roles count only for the member of the interaction, and only on projects that map them.
    expect(await rejection(inChat(['111'], () => orchestrator.startSession('bob', 'roles')))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await rejection(inChat(['111'], () => orchestrator.startSession('rita', 'acc')))).toMatchObject({ code: 'PERMISSION_DENIED' });
    // A role-admin decides requests, and the decision records that the role gave it.
    const request = await access.request({ projectId: 'roles', userId: 'sam', level: 'read', duration: '1h', reason: 'on-call shadow' });
    await asMember({ userId: 'ravi', roles: ['222'] }, () => access.decide(request.id, 'ravi', 'approve'));
    expect((await audit.list({ projectId: 'roles', action: 'access.approved' }))[0]!.details).toMatchObject({ deciderVia: 'role', deciderRole: '222' });
    await orchestrator.cancelSession(session.id, ADMIN);
  });
});
