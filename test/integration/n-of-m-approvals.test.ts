import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { KernelEventMap } from '../../src/kernel/events/kernel-events.js';
import { HAS_POSTGRES, startPostgres, type PostgresServer } from '../support/postgres.js';
import { rejection } from '../support/rejection.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** alice makes the changes; bob, carol and dave review them. */
const TEAM = { alice: 'deploy', bob: 'deploy', carol: 'deploy', dave: 'deploy' } as const;

/** Two of three reviewers, never the author, each approval good for 30 minutes. */
const TWO_OF_THREE = { approval: { required: 2, requireDistinctApprover: true, expiresAfter: '30m' } };

/** A session alice starts and plans in `projectId`: one sandbox bucket named `name`. */
async function planned(kernel: Kernel, projectId: string, name = 'assets') {
  const { orchestrator } = kernel;
  const session = await orchestrator.startSession('alice', projectId);
  await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name });
  const plan = await orchestrator.runPlan(session.id, 'alice');
  return { sessionId: session.id, planId: plan.id };
}

function recordEvents<K extends keyof KernelEventMap>(kernel: Kernel, name: K): KernelEventMap[K][] {
  const seen: KernelEventMap[K][] = [];
  kernel.events.on(name, (event) => seen.push(event));
  return seen;
}

describe('N-of-M approvals bound to one plan', () => {
  let t: TestKernel;
  const clock = new TestClock();
  beforeAll(async () => {
    t = await startTestKernel({ clock, lifecycleInterval: 0 });
    await createProject(t.kernel, { id: 'two', provider: 'sandbox', settings: TWO_OF_THREE }, TEAM);
  });
  afterAll(() => t?.dispose());

  it('two of three with the author excluded: the first approval leaves PLAN_READY at 1/2, the second applies', async () => {
    const { orchestrator, audit } = t.kernel;
    const approved = recordEvents(t.kernel, 'session.approved');
    const { sessionId, planId } = await planned(t.kernel, 'two');
    expect((await orchestrator.getSession(sessionId)).approvals).toMatchObject({ required: 2, given: [], approvers: 'deploy' });

    const first = await orchestrator.approveAndApply(sessionId, 'bob', { planId });
    expect(first.state).toBe('PLAN_READY');
    expect(first.approvals).toMatchObject({ required: 2, given: [{ userId: 'bob', at: expect.any(Date) }] });
    expect(first.approvedBy).toBeNull();

    // The author never counts; one person counts once.
    expect(await rejection(orchestrator.approveAndApply(sessionId, 'alice', { planId }))).toMatchObject({ code: 'PERMISSION_DENIED', details: { rule: 'requireDistinctApprover' } });
    const again = await orchestrator.approveAndApply(sessionId, 'bob', { planId });
    expect(again).toMatchObject({ state: 'PLAN_READY', approvals: { given: [{ userId: 'bob' }] } });

    clock.advance(MINUTE);
    const second = await orchestrator.approveAndApply(sessionId, 'carol', { planId });
    expect(second).toMatchObject({ state: 'APPLIED', approvedBy: 'carol' });
    expect(second.approvals.given.map((given) => given.userId)).toEqual(['bob', 'carol']);

    const recorded = await audit.list({ sessionId, action: 'approval.recorded' });
    expect(recorded.map((event) => event.actor).sort()).toEqual(['bob', 'carol']);
    expect(recorded.every((event) => event.details.planId === planId)).toBe(true);
    expect(await audit.list({ sessionId, action: 'session.applying' })).toHaveLength(1);
    expect(await t.kernel.audit.list({ sessionId, action: 'action.refused' })).toHaveLength(1);
    expect(approved.filter((event) => event.sessionId === sessionId).map((event) => [event.userId, event.given, event.required])).toEqual([
      ['bob', 1, 2],
      ['carol', 2, 2],
    ]);
  });

  it('a change between the two approvals voids the first: it is never carried to the new plan, and the view says approvals were cleared', async () => {
    const { orchestrator, audit } = t.kernel;
    const { sessionId, planId } = await planned(t.kernel, 'two');
    expect((await orchestrator.approveAndApply(sessionId, 'bob', { planId })).approvals.given).toHaveLength(1);

    await orchestrator.addResource(sessionId, 'alice', { type: 'sandbox.bucket', name: 'logs' });
    const changed = await orchestrator.getSession(sessionId);
    expect(changed).toMatchObject({ state: 'DRAFT', approvals: { given: [], cleared: 1 } });
    const voided = await audit.list({ sessionId, action: 'approval.voided' });
    expect(voided).toHaveLength(1);
    expect(voided[0]).toMatchObject({ actor: 'alice', details: { approver: 'bob', planId, reason: expect.stringContaining('plan changed') } });

    const replanned = await orchestrator.runPlan(sessionId, 'alice');
    expect((await orchestrator.getSession(sessionId)).approvals).toMatchObject({ given: [], cleared: 1 });
    // bob's approval of the old plan does not count for the new one: carol's is the first.
    const first = await orchestrator.approveAndApply(sessionId, 'carol', { planId: replanned.id });
    expect(first).toMatchObject({ state: 'PLAN_READY', approvals: { given: [{ userId: 'carol' }], cleared: 0 } });
    // An approval of the old plan by its id is refused, and records nothing.
    expect(await rejection(orchestrator.approveAndApply(sessionId, 'dave', { planId }))).toMatchObject({ code: 'PLAN_STALE' });
    clock.advance(MINUTE);
    expect((await orchestrator.approveAndApply(sessionId, 'bob', { planId: replanned.id })).state).toBe('APPLIED');
    const rows = await t.kernel.orchestrator.getSession(sessionId);
    expect(rows.approvals.given.map((given) => given.userId)).toEqual(['carol', 'bob']);
  });

  it('an approval older than expiresAfter does not count; its approver may approve again', async () => {
    const { orchestrator, audit } = t.kernel;
    const { sessionId, planId } = await planned(t.kernel, 'two');
    await orchestrator.approveAndApply(sessionId, 'bob', { planId });
    clock.advance(31 * MINUTE);
    expect((await orchestrator.getSession(sessionId)).approvals).toMatchObject({ given: [], expired: 1 });

    // carol's approval is the only one that counts now: still 1/2.
    const afterCarol = await orchestrator.approveAndApply(sessionId, 'carol', { planId });
    expect(afterCarol).toMatchObject({ state: 'PLAN_READY', approvals: { given: [{ userId: 'carol' }], expired: 1 } });

    // bob approves again: a fresh approval replaces his expired one and completes the count.
    clock.advance(5 * MINUTE);
    expect((await orchestrator.approveAndApply(sessionId, 'bob', { planId })).state).toBe('APPLIED');
    expect(await audit.list({ sessionId, action: 'approval.expired' })).toMatchObject([{ actor: 'bob', details: { approver: 'bob' } }]);
  });

  it('approve records without applying, even when it completes the count; approveAndApply by an approver then applies', async () => {
    const { orchestrator } = t.kernel;
    const { sessionId, planId } = await planned(t.kernel, 'two');
    expect((await orchestrator.approve(sessionId, 'bob', { planId })).approvals.given).toHaveLength(1);
    const complete = await orchestrator.approve(sessionId, 'carol', { planId });
    expect(complete).toMatchObject({ state: 'PLAN_READY', approvals: { required: 2 } });
    expect(complete.approvals.given).toHaveLength(2);
    const applied = await orchestrator.approveAndApply(sessionId, 'bob', { planId });
    expect(applied).toMatchObject({ state: 'APPLIED', approvedBy: 'bob' });
    expect(await t.kernel.audit.list({ sessionId, action: 'approval.recorded' })).toHaveLength(2);
  });

  it('revokeApproval withdraws only one’s own approval, and only before the apply', async () => {
    const { orchestrator, audit } = t.kernel;
    const revoked = recordEvents(t.kernel, 'session.approvalRevoked');
    const { sessionId, planId } = await planned(t.kernel, 'two');
    await orchestrator.approveAndApply(sessionId, 'bob', { planId });
    expect(await rejection(orchestrator.revokeApproval(sessionId, 'dave'))).toMatchObject({ code: 'NOT_FOUND' });

    const withdrawn = await orchestrator.revokeApproval(sessionId, 'bob');
    expect(withdrawn).toMatchObject({ state: 'PLAN_READY', approvals: { given: [] } });
    expect(await audit.list({ sessionId, action: 'approval.revoked' })).toMatchObject([{ actor: 'bob', details: { approver: 'bob', planId } }]);
    expect(revoked).toEqual([{ sessionId, projectId: 'two', userId: 'bob', given: 0, required: 2 }]);

    // With bob's withdrawn, carol's approval is the first again; bob may approve anew.
    expect((await orchestrator.approveAndApply(sessionId, 'carol', { planId })).state).toBe('PLAN_READY');
    expect((await orchestrator.approveAndApply(sessionId, 'bob', { planId })).state).toBe('APPLIED');
    expect(await rejection(orchestrator.revokeApproval(sessionId, 'bob'))).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('takes approvals only from the listed approvers, who must still hold deploy access', async () => {
    const { orchestrator, projects } = t.kernel;
    await createProject(t.kernel, { id: 'listed', provider: 'sandbox', settings: { approval: { approvers: ['carol', 'erin'], required: 1 } } }, TEAM);
    const { sessionId, planId } = await planned(t.kernel, 'listed');
    const refused = await rejection(orchestrator.approveAndApply(sessionId, 'bob', { planId }));
    expect(refused).toMatchObject({ code: 'PERMISSION_DENIED', details: { rule: 'approvers', approvers: ['carol', 'erin'] } });
    expect(refused.message).toContain('settings.approval.approvers');
    await expect(orchestrator.checkApproval(sessionId, 'bob', { planId })).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    // erin is listed but holds no access to the project.
    expect(await rejection(orchestrator.approveAndApply(sessionId, 'erin', { planId }))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await orchestrator.getSession(sessionId)).approvals).toMatchObject({ given: [], approvers: ['carol', 'erin'] });
    expect((await orchestrator.approveAndApply(sessionId, 'carol', { planId })).state).toBe('APPLIED');
    expect((await projects.get('listed')).settings.approval).toMatchObject({ approvers: ['carol', 'erin'], required: 1 });
  });

  it('refuses bad approval settings with INVALID_INPUT naming the field', async () => {
    const { projects } = t.kernel;
    const bad = async (approval: unknown) => rejection(projects.create({ id: 'bad', provider: 'sandbox', createdBy: ADMIN, settings: { approval } }));
    expect(await bad({ required: 0 })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval.required' });
    expect(await bad({ required: 11 })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval.required' });
    expect(await bad({ required: 1.5 })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval.required' });
    expect(await bad({ expiresAfter: '1s' })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval.expiresAfter' });
    const abc = await bad({ expiresAfter: 'abc' });
    expect(abc).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval.expiresAfter' });
    expect(abc.message).toContain('"30m"');
    expect(await bad({ approvers: [] })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval.approvers' });
    expect(await bad({ approvers: 'everyone' })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval.approvers' });
    expect(await bad({ approvers: ['bob', 'not ok'] })).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.approval.approvers.1' });
    // Today's keys alone keep working: one approval from anyone with deploy access.
    await projects.create({ id: 'classic', provider: 'sandbox', createdBy: ADMIN, settings: { approval: { requireDistinctApprover: true, approvers: 'admin' } } });
  });

  it('the system’s TTL teardown is not held up by a two-approval rule: it applies at once', async () => {
    const { orchestrator, lifecycle, deployments } = t.kernel;
    await createProject(t.kernel, { id: 'ttl2', provider: 'sandbox', settings: { ...TWO_OF_THREE, lifecycle: { maxTtl: '1d' } } }, TEAM);
    const session = await orchestrator.startSession('alice', 'ttl2', undefined, { deployment: 'short', ttl: '1h' });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'tmp' });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
    expect((await orchestrator.approveAndApply(session.id, 'carol', { planId: plan.id })).state).toBe('APPLIED');

    clock.advance(HOUR + MINUTE);
    await lifecycle.runDue();
    const deployment = await deployments.get(session.deploymentId);
    expect(deployment.state).toBe('DESTROYED');
    const teardown = (await orchestrator.listSessions({ projectId: 'ttl2' })).find((view) => view.id !== session.id)!;
    expect(teardown).toMatchObject({ state: 'APPLIED', approvedBy: 'cloud-engine', resources: [] });
    // Approved by the system alone: no person's approval was needed or recorded.
    expect(await t.kernel.audit.list({ sessionId: teardown.id, action: 'approval.recorded' })).toEqual([]);
  });
});

/**
 * Three approvers clicking at once at a two-approval project, spread over two
 * kernels sharing one database: exactly one apply, and every approval that
 * returned is recorded once (a refused one, not at all).
 */
async function raceThreeApprovers(first: Kernel, second: Kernel, round: number): Promise<void> {
  const { sessionId, planId } = await planned(first, 'race2', `r${round}`);
  const kernels = [first, second, round % 2 === 0 ? first : second];
  const approvers = ['bob', 'carol', 'dave'];
  const results = await Promise.allSettled(approvers.map((userId, index) => kernels[index]!.orchestrator.approveAndApply(sessionId, userId, { planId })));
  const refused = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
  for (const result of refused) expect(['INVALID_STATE', 'LOCKED']).toContain(result.reason.code);
  const final = await first.orchestrator.getSession(sessionId);
  expect(final.state).toBe('APPLIED');
  expect(await first.audit.list({ sessionId, action: 'session.applying' })).toHaveLength(1);
  expect(await first.audit.list({ sessionId, action: 'session.approved' })).toHaveLength(1);
  // The approvals the view counts are the ones recorded, each once, and they are the clicks that returned.
  const counted = final.approvals.given.map((given) => given.userId);
  expect(new Set(counted).size).toBe(2);
  const recorded = await first.audit.list({ sessionId, action: 'approval.recorded' });
  expect(recorded.map((event) => event.actor).sort()).toEqual([...counted].sort());
  const returned = results.flatMap((result, index) => (result.status === 'fulfilled' ? [approvers[index]!] : []));
  expect([...counted].sort()).toEqual(returned.sort());
}

describe('approvals racing across two kernels on one database', () => {
  let first: TestKernel;
  let second: TestKernel;
  beforeAll(async () => {
    first = await startTestKernel();
    // A second process on the same data dir: only the database can arbitrate between them.
    second = await startTestKernel({ dataDir: first.dataDir });
    await createProject(first.kernel, { id: 'race2', provider: 'sandbox', settings: { approval: { required: 2, requireDistinctApprover: true } } }, TEAM);
  });
  afterAll(async () => {
    await second?.dispose();
    await first?.dispose();
  });

  it('three approvers clicking at once at a two-approval project give exactly one apply, each approval recorded once', async () => {
    for (const round of [0, 1, 2]) await raceThreeApprovers(first.kernel, second.kernel, round);
  });

  it('the same person approving from both kernels at once is recorded once', async () => {
    const { sessionId, planId } = await planned(first.kernel, 'race2', 'same');
    const views = await Promise.all([first.kernel.orchestrator.approve(sessionId, 'bob', { planId }), second.kernel.orchestrator.approve(sessionId, 'bob', { planId })]);
    for (const view of views) expect(view).toMatchObject({ state: 'PLAN_READY', approvals: { given: [{ userId: 'bob' }] } });
    expect(await first.kernel.audit.list({ sessionId, action: 'approval.recorded' })).toHaveLength(1);
  });
});

describe.skipIf(!HAS_POSTGRES)('approvals racing across two kernels on one PostgreSQL database', () => {
  let server: PostgresServer;
  let first: TestKernel;
  let second: TestKernel;
  beforeAll(async () => {
    server = await startPostgres();
    const options = { dataDir: mkdtempSync(join(tmpdir(), 'cloud-engine-n-of-m-pg-')), database: { type: 'postgres', url: server.url } };
    first = await startTestKernel(options);
    second = await startTestKernel(options);
    await createProject(first.kernel, { id: 'race2', provider: 'sandbox', settings: { approval: { required: 2, requireDistinctApprover: true } } }, TEAM);
  });
  afterAll(async () => {
    await second?.dispose();
    await first?.dispose();
    rmSync(first?.dataDir ?? '', { recursive: true, force: true });
    await server?.stop();
  });

  it('three approvers clicking at once give exactly one apply, each approval recorded once', async () => {
    for (const round of [0, 1]) await raceThreeApprovers(first.kernel, second.kernel, round);
  });
});
