import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../../src/kernel/audit/audit-log.js';
import { KernelEvents, type KernelEventMap } from '../../../../src/kernel/events/kernel-events.js';
import { openDatabase, type Database } from '../../../../src/kernel/persistence/database.js';
import { CloudResourceEntity } from '../../../../src/kernel/persistence/entities/cloud-resource.entity.js';
import { CloudSessionEntity } from '../../../../src/kernel/persistence/entities/cloud-session.entity.js';
import { PlanRecordEntity } from '../../../../src/kernel/persistence/entities/plan-record.entity.js';
import { ProjectEntity } from '../../../../src/kernel/persistence/entities/project.entity.js';
import { Registry } from '../../../../src/kernel/plugin/registry.js';
import type { ResourceType } from '../../../../src/kernel/plugin/resource-type.js';
import { DeploymentState as S, type DeploymentState } from '../../../../src/kernel/sessions/deployment-state.js';
import { SessionChangedError, SessionStore } from '../../../../src/kernel/sessions/session-store.js';

let dir: string;
let db: Database;
let store: SessionStore;
let audit: AuditLog;
let changes: KernelEventMap['session.stateChanged'][];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cloud-engine-store-'));
  db = await openDatabase(dir);
  audit = new AuditLog(db);
  const events = new KernelEvents();
  changes = [];
  events.on('session.stateChanged', (event) => changes.push(event));
  store = new SessionStore(db, audit, events, new Registry<ResourceType>('resource type', (type) => type.type), dir, 'host:1:ab');
  await db.manager.insert(ProjectEntity, { id: 'p', provider: 'sandbox', settings: {}, createdBy: 'alice', createdAt: new Date() });
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function session(id: string, state: DeploymentState = S.DRAFT, updatedAt = new Date('2024-01-01T00:00:00.000Z')): Promise<CloudSessionEntity> {
  const entity = Object.assign(new CloudSessionEntity(), {
    id,
    projectId: 'p',
    provider: 'sandbox',
    userId: 'alice',
    state,
    error: null,
    lastChangedBy: null,
    currentPlanId: null,
    outputs: null,
    approvedBy: null,
    operationOwner: null,
    deploymentId: `d-${id}`,
    baseVersion: 0,
    workDir: `sessions/${id}`,
    stateKey: id,
    resourcesInState: null,
    teardownFrom: null,
    createdAt: updatedAt,
    updatedAt,
  });
  await db.manager.insert(CloudSessionEntity, entity);
  return entity;
}

async function resource(sessionId: string, name: string, at: string): Promise<void> {
  await db.manager.insert(CloudResourceEntity, { id: `${sessionId}-${name}`, sessionId, name, type: 'sandbox.bucket', config: {}, createdBy: 'alice', createdAt: new Date(at) });
}

async function plan(sessionId: string, id: string): Promise<void> {
  const record: PlanRecordEntity = Object.assign(new PlanRecordEntity(), {
    id,
    sessionId,
    createdBy: 'alice',
    summary: 'Plan: 1 to add, 0 to change, 0 to destroy.',
    toAdd: 1,
    toChange: 0,
    toDestroy: 0,
    changes: [{ address: 'terraform_data.a', type: 'terraform_data', actions: ['create'] }],
    planJson: { format_version: '1.2', big: 'x'.repeat(10_000) },
    planFile: `/plans/${id}.tfplan`,
    configHash: 'h'.repeat(64),
    cost: null,
    createdAt: new Date('2024-01-02T00:00:00.000Z'),
  });
  await db.manager.insert(PlanRecordEntity, record);
  await db.manager.update(CloudSessionEntity, { id: sessionId }, { currentPlanId: id, state: S.PLAN_READY });
}

describe('SessionStore.transition through several states', () => {
  it('one conditional update, an audit row and an event per step, in order; details and error on the last step', async () => {
    const seen = await session('s1');
    const after = await store.transition({ sessionId: 's1', from: [S.DRAFT], via: [S.VALIDATING], to: S.PLAN_FAILED, actor: 'alice', patch: { error: 'no' }, details: { code: 'X' }, seen });
    expect(after).toMatchObject({ state: S.PLAN_FAILED, error: 'no', operationOwner: null });
    expect(await store.load('s1')).toMatchObject({ state: S.PLAN_FAILED, error: 'no', updatedAt: after.updatedAt });
    const trail = await audit.list({ sessionId: 's1' });
    expect(trail.map((event) => [event.action, event.details])).toEqual([
      ['session.validating', { from: S.DRAFT, to: S.VALIDATING }],
      ['session.plan_failed', { from: S.VALIDATING, to: S.PLAN_FAILED, error: 'no', code: 'X' }],
    ]);
    expect(changes.map((event) => [event.from, event.to, event.error])).toEqual([
      [S.DRAFT, S.VALIDATING, undefined],
      [S.VALIDATING, S.PLAN_FAILED, 'no'],
    ]);
  });

  it('records the owner of a busy final state', async () => {
    const seen = await session('s1');
    const after = await store.transition({ sessionId: 's1', from: [S.DRAFT], via: [S.VALIDATING], to: S.PLANNING, actor: 'alice', seen });
    expect(after.operationOwner).toBe('host:1:ab');
    expect((await store.load('s1')).operationOwner).toBe('host:1:ab');
  });

  it('refuses a path the transition table does not allow, writing nothing', async () => {
    await session('s1');
    await expect(store.transition({ sessionId: 's1', from: [S.DRAFT], via: [S.PLANNING], to: S.PLAN_READY, actor: 'alice' })).rejects.toMatchObject({ code: 'INVALID_STATE' });
    expect((await store.load('s1')).state).toBe(S.DRAFT);
    expect(await audit.list({ sessionId: 's1' })).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('with `seen`: a session changed since it was read (same state) fails with SessionChangedError carrying it, writing nothing', async () => {
    const seen = await session('s1');
    await db.manager.update(CloudSessionEntity, { id: 's1' }, { updatedAt: new Date('2024-01-01T00:00:00.001Z'), lastChangedBy: 'bob' });
    const error = await store.transition({ sessionId: 's1', from: [S.DRAFT], via: [S.VALIDATING], to: S.PLANNING, actor: 'alice', seen }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SessionChangedError);
    expect(error).toMatchObject({ code: 'INVALID_STATE', current: { id: 's1', state: S.DRAFT, lastChangedBy: 'bob' } });
    expect((await store.load('s1')).state).toBe(S.DRAFT);
    expect(await audit.list({ sessionId: 's1' })).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('with `seen`: a session now in a state it cannot leave that way gets the usual INVALID_STATE', async () => {
    const seen = await session('s1');
    await db.manager.update(CloudSessionEntity, { id: 's1' }, { state: S.PLANNING, updatedAt: new Date('2024-01-01T00:00:01.000Z') });
    const error = await store.transition({ sessionId: 's1', from: [S.DRAFT, S.PLAN_READY], via: [S.VALIDATING], to: S.PLANNING, actor: 'alice', seen }).catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(SessionChangedError);
    expect(error).toMatchObject({ code: 'INVALID_STATE', message: 'Session s1 is PLANNING, not DRAFT or PLAN_READY, so it cannot become VALIDATING (someone else just did this).' });
    // A `seen` state outside `from` is refused before anything is written.
    const stale = { ...seen, state: S.APPLIED };
    await expect(store.transition({ sessionId: 's1', from: [S.DRAFT], via: [S.VALIDATING], to: S.PLANNING, actor: 'alice', seen: stale })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: 'Session s1 is APPLIED, not DRAFT, so it cannot become VALIDATING.',
    });
    expect(await audit.list({ sessionId: 's1' })).toEqual([]);
  });
});

describe('SessionStore views', () => {
  it('builds many views with one query for resources and one for plans, each session with its own, in order', async () => {
    await session('a', S.DRAFT, new Date('2024-01-01T00:00:00.000Z'));
    await session('b', S.DRAFT, new Date('2024-01-01T00:00:01.000Z'));
    await session('c', S.DRAFT, new Date('2024-01-01T00:00:02.000Z'));
    await resource('a', 'z', '2024-01-01T00:00:05.000Z');
    await resource('a', 'y', '2024-01-01T00:00:06.000Z');
    await resource('b', 'x', '2024-01-01T00:00:04.000Z');
    await plan('a', 'plan-a');
    await plan('c', 'plan-c');
    const views = await store.toViews(await store.list({ projectId: 'p' }));
    expect(views.map((view) => [view.id, view.resources.map((item) => item.name), view.plan?.id ?? null])).toEqual([
      ['c', [], 'plan-c'],
      ['b', ['x'], null],
      ['a', ['z', 'y'], 'plan-a'],
    ]);
    expect(views[0]!.plan).not.toHaveProperty('planJson');
    expect(views[0]!.plan).toMatchObject({ summary: 'Plan: 1 to add, 0 to change, 0 to destroy.', workingDir: join(dir, 'sessions', 'c'), configHash: 'h'.repeat(64), cost: undefined });
    expect(await store.toViews([])).toEqual([]);
  });

  it('reads the plan JSON only when asked, for the current plan', async () => {
    const a = await session('a');
    expect(await store.planJson(a)).toBeNull();
    await plan('a', 'plan-a');
    const loaded = await store.load('a');
    expect(await store.planJson(loaded)).toEqual({ format_version: '1.2', big: 'x'.repeat(10_000) });
    expect((await store.view('a')).plan).not.toHaveProperty('planJson');
  });
});
