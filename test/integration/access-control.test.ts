import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

type Role = 'none' | 'read' | 'deploy' | 'admin' | 'expired' | 'global';
const ROLES: readonly Role[] = ['none', 'read', 'deploy', 'admin', 'expired', 'global'];
const ACTOR: Record<Role, string> = { none: 'u-none', read: 'u-read', deploy: 'u-deploy', admin: 'u-admin', expired: 'u-expired', global: ADMIN };
const OWNER = 'owner';

/** What each role may do to a project and to a session someone else owns. */
const MATRIX: Record<string, readonly Role[]> = {
  'view a session': ['read', 'deploy', 'admin', 'global'],
  "list a project's sessions": ['read', 'deploy', 'admin', 'global'],
  'view the Terraform of a session': ['read', 'deploy', 'admin', 'global'],
  'start a session': ['deploy', 'admin', 'global'],
  // Deploy access changes, plans and tears down one's own sessions; someone else's take admin.
  'add a resource to my own session': ['deploy', 'admin', 'global'],
  "add a resource to someone else's session": ['admin', 'global'],
  "remove a resource from someone else's session": ['admin', 'global'],
  "validate someone else's session": ['admin', 'global'],
  'plan my own session': ['deploy', 'admin', 'global'],
  "plan someone else's session": ['admin', 'global'],
  "tear down someone else's deployment": ['admin', 'global'],
  'approve and apply': ['deploy', 'admin', 'global'],
  "cancel someone else's session": ['admin', 'global'],
  'grant access': ['admin', 'global'],
  'set a quota': ['admin', 'global'],
};

async function draftOf(kernel: Kernel): Promise<string> {
  const session = await kernel.orchestrator.startSession(OWNER, 'acl');
  await kernel.orchestrator.addResource(session.id, OWNER, { type: 'sandbox.bucket', name: 'b' });
  return session.id;
}

const OPERATIONS: Record<string, (kernel: Kernel, actor: string) => Promise<unknown>> = {
  'view a session': async (kernel, actor) => kernel.orchestrator.getSession(await draftOf(kernel), actor),
  "list a project's sessions": async (kernel, actor) => {
    await draftOf(kernel);
    expect((await kernel.orchestrator.listSessions({ projectId: 'acl' }, actor)).length).toBeGreaterThan(0);
  },
  'view the Terraform of a session': async (kernel, actor) => kernel.orchestrator.synthesize(await draftOf(kernel), actor),
  'start a session': (kernel, actor) => kernel.orchestrator.startSession(actor, 'acl'),
  'add a resource to my own session': async (kernel, actor) => {
    const session = await kernel.orchestrator.startSession(actor, 'acl');
    return kernel.orchestrator.addResource(session.id, actor, { type: 'sandbox.bucket', name: 'extra' });
  },
  "add a resource to someone else's session": async (kernel, actor) => kernel.orchestrator.addResource(await draftOf(kernel), actor, { type: 'sandbox.bucket', name: 'extra' }),
  "remove a resource from someone else's session": async (kernel, actor) => kernel.orchestrator.removeResource(await draftOf(kernel), actor, 'b'),
  "validate someone else's session": async (kernel, actor) => kernel.orchestrator.validateSession(await draftOf(kernel), actor),
  'plan my own session': async (kernel, actor) => {
    const session = await kernel.orchestrator.startSession(actor, 'acl');
    await kernel.orchestrator.addResource(session.id, actor, { type: 'sandbox.bucket', name: 'mine' });
    return kernel.orchestrator.runPlan(session.id, actor);
  },
  "plan someone else's session": async (kernel, actor) => kernel.orchestrator.runPlan(await draftOf(kernel), actor),
  "tear down someone else's deployment": async (kernel, actor) => {
    const sessionId = await draftOf(kernel);
    await kernel.orchestrator.runPlan(sessionId, OWNER);
    await kernel.orchestrator.approveAndApply(sessionId, ADMIN);
    return kernel.orchestrator.destroySession(sessionId, actor);
  },
  'approve and apply': async (kernel, actor) => {
    const sessionId = await draftOf(kernel);
    await kernel.orchestrator.runPlan(sessionId, OWNER);
    const final = await kernel.orchestrator.approveAndApply(sessionId, actor);
    expect(final.state).toBe('APPLIED');
  },
  "cancel someone else's session": async (kernel, actor) => kernel.orchestrator.cancelSession(await draftOf(kernel), actor),
  'grant access': (kernel, actor) => kernel.access.grant({ projectId: 'acl', userId: 'newcomer', level: 'read', grantedBy: actor }),
  'set a quota': (kernel, actor) => kernel.quotas.set({ projectId: 'acl', quotaKey: 'compute_vm', limit: 50, setBy: actor }),
};

describe('the authorization matrix: every operation × every kind of access', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'acl', provider: 'sandbox' }, { [OWNER]: 'deploy', 'u-read': 'read', 'u-deploy': 'deploy', 'u-admin': 'admin' });
    await t.kernel.access.grant({ projectId: 'acl', userId: 'u-expired', level: 'admin', grantedBy: ADMIN, expiresAt: new Date(Date.now() + 400) });
    // An expired grant is no grant, whether or not anything swept it away.
    await sleep(450);
  });
  afterAll(() => t?.dispose());

  const cases = Object.keys(MATRIX).flatMap((operation) => ROLES.map((role) => [operation, role, MATRIX[operation]!.includes(role)] as const));
  it.each(cases)('%s as %s: allowed = %s', async (operation, role, allowed) => {
    if (role === 'none' || role === 'read' || role === 'expired') {
      // Starting one's own session already needs deploy: these roles are refused there.
      if (operation.includes('my own')) return expect(OPERATIONS[operation]!(t.kernel, ACTOR[role])).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    }
    const attempt = OPERATIONS[operation]!(t.kernel, ACTOR[role]);
    if (allowed) {
      await expect(attempt).resolves.not.toThrow();
    } else {
      const error = await attempt.then(() => undefined, (caught: { code: string; message: string }) => caught);
      expect(error?.code).toBe('PERMISSION_DENIED');
      expect(error?.message).toMatch(/needs (read|deploy|admin)/);
      // The way out is named for chat and for the command line alike.
      if (operation !== 'grant access' && operation !== 'set a quota') {
        expect(error?.message).toMatch(/Ask a project admin for a grant \(chat: \/cloud-grant; command line: cloud-engine grant\)\.$/);
      }
    }
  });

  it('lists, across projects, only the sessions of projects the viewer can read', async () => {
    await createProject(t.kernel, { id: 'secret', provider: 'sandbox' }, { [OWNER]: 'deploy' });
    const hidden = await t.kernel.orchestrator.startSession(OWNER, 'secret');
    const seenByReader = await t.kernel.orchestrator.listSessions({}, ACTOR.read);
    expect(seenByReader.length).toBeGreaterThan(0);
    expect(seenByReader.every((session) => session.projectId === 'acl')).toBe(true);
    expect(await t.kernel.orchestrator.listSessions({}, ACTOR.none)).toEqual([]);
    expect((await t.kernel.orchestrator.listSessions({}, ADMIN)).map((session) => session.id)).toContain(hidden.id);
    await expect(t.kernel.orchestrator.stats(ACTOR.admin)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await t.kernel.orchestrator.stats(ADMIN)).byProject.secret).toBe(1);
  });

  it('lists grants with their expiry, marking the expired one', async () => {
    const grants = await t.kernel.access.list('acl');
    expect(grants.find((grant) => grant.userId === 'u-expired')).toMatchObject({ level: 'admin', expired: true });
    expect(grants.find((grant) => grant.userId === 'u-read')).toMatchObject({ level: 'read', expired: false, expiresAt: null });
    expect(grants.find((grant) => grant.userId === ADMIN)).toMatchObject({ level: 'admin' });
  });
});

describe('grants over time', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'jit', provider: 'sandbox' }, { lead: 'admin', dev: 'deploy', viewer: 'read' });
  });
  afterAll(() => t?.dispose());

  it('revocation takes effect at once, also on a session already open', async () => {
    const { orchestrator, access } = t.kernel;
    const session = await orchestrator.startSession('dev', 'jit');
    await orchestrator.addResource(session.id, 'dev', { type: 'sandbox.bucket', name: 'one' });
    await access.revoke({ projectId: 'jit', userId: 'dev', revokedBy: 'lead' });
    const error = await orchestrator.addResource(session.id, 'dev', { type: 'sandbox.bucket', name: 'two' }).catch((caught: { code: string }) => caught);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await access.check('dev', 'jit', 'read')).toBe(false);
    expect(await orchestrator.cancelSession(session.id, 'lead')).toMatchObject({ state: 'CANCELLED' });
  });

  it('a grant that expires while a session is open stops working at its next action', async () => {
    const { orchestrator, access } = t.kernel;
    await access.grant({ projectId: 'jit', userId: 'temp', level: 'deploy', grantedBy: 'lead', expiresAt: new Date(Date.now() + 600) });
    const session = await orchestrator.startSession('temp', 'jit');
    await sleep(650);
    const error = await orchestrator.addResource(session.id, 'temp', { type: 'sandbox.bucket', name: 'late' }).catch((caught: { code: string }) => caught);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('only admins grant, a grant replaces the previous one, and bad input names the field', async () => {
    const { access } = t.kernel;
    await expect(access.grant({ projectId: 'jit', userId: 'x', level: 'read', grantedBy: 'dev2' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(access.grant({ projectId: 'jit', userId: 'x', level: 'read', grantedBy: 'viewer' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await access.grant({ projectId: 'jit', userId: 'x', level: 'read', grantedBy: 'lead' });
    await access.grant({ projectId: 'jit', userId: 'x', level: 'deploy', grantedBy: 'lead' });
    expect((await access.list('jit')).filter((grant) => grant.userId === 'x')).toEqual([expect.objectContaining({ level: 'deploy' })]);
    await expect(access.grant({ projectId: 'jit', userId: 'x', level: 'owner' as never, grantedBy: 'lead' })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'level' });
    await expect(access.grant({ projectId: 'jit', userId: 'x', level: 'read', grantedBy: 'lead', expiresAt: new Date(Date.now() - 1000) })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'expiresAt',
    });
    await expect(access.grant({ projectId: 'nope', userId: 'x', level: 'read', grantedBy: ADMIN })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(access.revoke({ projectId: 'jit', userId: 'nobody', revokedBy: 'lead' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('bootstrap gives a fresh install its first project, administered by the named user, once', async () => {
    const first = await t.kernel.projects.bootstrap({ id: 'sandbox', provider: 'sandbox', adminUserId: 'console-user' });
    expect(first.created).toBe(true);
    expect(first.project).toMatchObject({ id: 'sandbox', provider: 'sandbox', createdBy: 'system' });
    expect(await t.kernel.access.levelOf('console-user', 'sandbox')).toBe('admin');
    expect(t.kernel.authorizer.isGlobalAdmin('console-user')).toBe(false);
    const again = await t.kernel.projects.bootstrap({ id: 'sandbox', provider: 'sandbox', adminUserId: 'someone-else' });
    expect(again.created).toBe(false);
    expect(await t.kernel.access.levelOf('someone-else', 'sandbox')).toBeNull();
    expect((await t.kernel.audit.list({ projectId: 'sandbox' })).map((event) => `${event.actor}:${event.action}`)).toEqual(['system:project.created', 'system:access.granted']);
  });

  it('the creator of a project becomes its admin', async () => {
    await createProject(t.kernel, { id: 'made', provider: 'sandbox' }, {});
    expect(await t.kernel.access.levelOf(ADMIN, 'made')).toBe('admin');
    expect((await t.kernel.access.list('made')).map((grant) => [grant.userId, grant.level])).toEqual([[ADMIN, 'admin']]);
  });

  it('audits grants and revocations with who, whom and when', async () => {
    const since = new Date(Date.now() - 60_000);
    const events = await t.kernel.audit.list({ projectId: 'jit', actor: 'lead', since });
    const actions = events.map((event) => `${event.action}:${String(event.details.userId)}`);
    expect(actions).toContain('access.revoked:dev');
    expect(actions).toContain('access.granted:temp');
    expect(events.every((event) => event.at >= since)).toBe(true);
  });
});

describe('approval rules', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(
      t.kernel,
      { id: 'four-eyes', provider: 'sandbox', settings: { approval: { requireDistinctApprover: true } } },
      // bob administers the project, so he may change alice's session (and is then no second pair of eyes for it).
      { alice: 'deploy', bob: 'admin', carol: 'deploy' },
    );
    await createProject(t.kernel, { id: 'admins-only', provider: 'sandbox', settings: { approval: { approvers: 'admin' } } }, { alice: 'deploy', lead: 'admin' });
  });
  afterAll(() => t?.dispose());

  it('four eyes: neither the owner nor the last changer may approve; a third member may', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'four-eyes');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'a' });
    await orchestrator.addResource(session.id, 'bob', { type: 'sandbox.bucket', name: 'b' });
    await orchestrator.runPlan(session.id, 'alice');
    const byOwner = await orchestrator.approveAndApply(session.id, 'alice').catch((caught: { code: string; message: string }) => caught);
    expect(byOwner).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((byOwner as { message: string }).message).toContain('four eyes');
    await expect(orchestrator.approveAndApply(session.id, 'bob')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
    expect(await orchestrator.approveAndApply(session.id, 'carol')).toMatchObject({ state: 'APPLIED', approvedBy: 'carol' });
  });

  it('approvers: admin lets only project admins approve', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'admins-only');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'a' });
    await orchestrator.runPlan(session.id, 'alice');
    await expect(orchestrator.approveAndApply(session.id, 'alice')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await orchestrator.approveAndApply(session.id, 'lead')).toMatchObject({ state: 'APPLIED' });
  });

  it('rejects unknown approval settings when the project is created', async () => {
    await expect(
      t.kernel.projects.create({ id: 'typo', provider: 'sandbox', createdBy: ADMIN, settings: { approval: { requireDistinctAprover: true } } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval' });
  });
});

describe('refusals are audited; the engine\'s own names are not user ids', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'watched', provider: 'sandbox' }, { alice: 'deploy', viewer: 'read' });
  });
  afterAll(() => t?.dispose());

  it('records every refused action with the actor and the reason: permissions, and a quota refusing a plan', async () => {
    const { orchestrator } = t.kernel;
    await expect(orchestrator.startSession('viewer', 'watched')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(t.kernel.access.grant({ projectId: 'watched', userId: 'friend', level: 'deploy', grantedBy: 'alice' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(t.kernel.quotas.set({ projectId: 'watched', quotaKey: 'compute_vm', limit: 0, setBy: 'alice' })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await t.kernel.quotas.set({ projectId: 'watched', quotaKey: 'compute_vm', limit: 0, setBy: ADMIN });
    const session = await orchestrator.startSession('alice', 'watched');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web' });
    await expect(orchestrator.runPlan(session.id, 'alice')).rejects.toMatchObject({ code: 'QUOTA_EXCEEDED' });

    const refusals = await t.kernel.audit.list({ projectId: 'watched', action: 'action.refused' });
    expect(refusals.map((event) => [event.actor, event.details.action, event.details.code])).toEqual([
      ['viewer', 'session.start', 'PERMISSION_DENIED'],
      ['alice', 'access.grant', 'PERMISSION_DENIED'],
      ['alice', 'quota.set', 'PERMISSION_DENIED'],
    ]);
    expect(refusals.every((event) => typeof event.details.reason === 'string' && (event.details.reason as string).length > 20)).toBe(true);
    // A plan refused by a quota or a policy is the session's own audited outcome: plan_failed, with the actor, the code and the reason.
    const [failed] = await t.kernel.audit.list({ sessionId: session.id, action: 'session.plan_failed' });
    expect(failed).toMatchObject({ actor: 'alice', details: { code: 'QUOTA_EXCEEDED', error: expect.stringContaining('compute_vm') } });
  });

  it.each(['system', 'cloud-engine', 'System', 'CLOUD-ENGINE'])('refuses %s as a user id, for sessions and grants alike', async (name) => {
    const started = await t.kernel.orchestrator.startSession(name, 'watched').catch((caught: { code: string; field: string; message: string }) => caught);
    expect(started).toMatchObject({ code: 'INVALID_INPUT', field: 'userId' });
    expect((started as { message: string }).message).toContain('a name the engine acts under itself');
    await expect(t.kernel.access.grant({ projectId: 'watched', userId: name, level: 'read', grantedBy: ADMIN })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'userId' });
  });

  it('still accepts ids that merely contain those words', async () => {
    expect((await t.kernel.access.grant({ projectId: 'watched', userId: 'system-admin', level: 'read', grantedBy: ADMIN })).userId).toBe('system-admin');
  });
});
