import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { getMetadataArgsStorage } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEvent } from '../../src/kernel/audit/audit-log.js';
import type { KernelOptions } from '../../src/kernel/config/engine-config.js';
import { KernelEvents } from '../../src/kernel/events/kernel-events.js';
import { ENTITIES, MIGRATIONS, openDatabase, type Database } from '../../src/kernel/persistence/database.js';
import { ProjectEntity } from '../../src/kernel/persistence/entities/project.entity.js';
import { Registry } from '../../src/kernel/plugin/registry.js';
import type { ResourceType } from '../../src/kernel/plugin/resource-type.js';
import { SessionStore } from '../../src/kernel/sessions/session-store.js';
import type { PlanResult, SessionView } from '../../src/kernel/sessions/session-view.js';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

// The brief's "past one machine" promise: the same kernel on PostgreSQL instead of SQLite.
if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

const MIGRATION_NAMES = MIGRATIONS.map((Migration) => new Migration().name ?? Migration.name);
const entityClasses = new Set<unknown>(ENTITIES);
const TABLES = getMetadataArgsStorage()
  .tables.filter((table) => entityClasses.has(table.target))
  .map((table) => table.name!);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sql<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Connections other than ours to the database behind `url`. */
async function otherConnections(url: string): Promise<number> {
  const [row] = await sql<{ count: string }>(url, 'SELECT count(*) AS count FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
  return Number(row!.count);
}

function pgOptions(url: string, extra: KernelOptions = {}): KernelOptions {
  return { ...extra, database: { type: 'postgres', url } };
}

describe.skipIf(!HAS_POSTGRES)('the kernel on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('migrations', () => {
    it('run on a fresh database and create every table with portable types', async () => {
      const url = await server.createDatabase('fresh');
      const first = await startTestKernel(pgOptions(url));
      try {
        const tables = await sql<{ table_name: string }>(url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
        expect(tables.map((row) => row.table_name)).toEqual([...TABLES, 'migrations'].sort());
        expect(TABLES).toEqual(expect.arrayContaining(['audit_events', 'plans', 'projects', 'resources', 'sessions']));
        expect((await sql<{ name: string }>(url, 'SELECT name FROM migrations ORDER BY id')).map((row) => row.name)).toEqual(MIGRATION_NAMES);
        const columns = await sql<{ table_name: string; column_name: string; data_type: string; max: number | null; nullable: string; default: string | null }>(
          url,
          `SELECT table_name, column_name, data_type, character_maximum_length AS max, is_nullable AS nullable, column_default AS default
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'migrations'`,
        );
        const column = (table: string, name: string) => columns.find((row) => row.table_name === table && row.column_name === name);
        expect(column('sessions', 'created_at')).toMatchObject({ data_type: 'character varying', max: 32, nullable: 'NO' });
        expect(column('sessions', 'outputs')).toMatchObject({ data_type: 'text', nullable: 'YES' });
        expect(column('plans', 'plan_json')).toMatchObject({ data_type: 'text', nullable: 'NO' });
        expect(column('plans', 'to_add')).toMatchObject({ data_type: 'integer' });
        expect(column('audit_events', 'id')).toMatchObject({ data_type: 'integer' });
        expect(column('audit_events', 'id')!.default).toMatch(/^nextval\(/);
        const unique = await sql<{ indexdef: string }>(url, "SELECT indexdef FROM pg_indexes WHERE tablename = 'resources' AND indexdef LIKE 'CREATE UNIQUE%' AND indexname NOT LIKE 'PK_%'");
        expect(unique.map((row) => row.indexdef)).toEqual([expect.stringMatching(/\(session_id, name\)/)]);
        await createProject(first.kernel, { id: 'kept', provider: 'sandbox' });
      } finally {
        await first.dispose();
      }
      const ran = await sql(url, 'SELECT id, name, timestamp FROM migrations ORDER BY id');

      const second = await startTestKernel(pgOptions(url));
      try {
        // Had the migration run again, createTable would have failed and the kernel would not have started.
        expect(await sql(url, 'SELECT id, name, timestamp FROM migrations ORDER BY id')).toEqual(ran);
        const kept = await second.kernel.projects.get('kept');
        expect(kept).toMatchObject({ id: 'kept', provider: 'sandbox', settings: {}, createdBy: ADMIN });
        expect(kept.createdAt).toBeInstanceOf(Date);
      } finally {
        await second.dispose();
      }
    });

    it('run once when several kernels start at the same time on a fresh database', async () => {
      const url = await server.createDatabase('crowd');
      const started = await Promise.allSettled([1, 2, 3].map(() => startTestKernel(pgOptions(url))));
      try {
        const failures = started.filter((result): result is PromiseRejectedResult => result.status === 'rejected').map((result) => String(result.reason));
        expect(failures).toEqual([]);
        expect((await sql<{ name: string }>(url, 'SELECT name FROM migrations ORDER BY id')).map((row) => row.name)).toEqual(MIGRATION_NAMES);
      } finally {
        await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.dispose() : undefined)));
      }
    });
  });

  describe('a sandbox session from project to APPLIED', () => {
    let url: string;
    let t: TestKernel;
    let session: SessionView;
    let withResources: SessionView;
    let plan: PlanResult;
    let final: SessionView;
    let before: Date;
    const applyLines: string[] = [];

    beforeAll(async () => {
      url = await server.createDatabase('flow');
      t = await startTestKernel(pgOptions(url));
      const { kernel } = t;
      before = new Date();
      await createProject(kernel, { id: 'dev', provider: 'sandbox' });
      session = await kernel.orchestrator.startSession('alice', 'dev', 'sandbox');
      await kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web', config: { size: 'medium', bootSeconds: 1, tags: { team: 'web', 'cost-center': 'ü-42' } } });
      withResources = await kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets', config: { tags: { team: 'web' } } });
      plan = await kernel.orchestrator.runPlan(session.id, 'alice');
      final = await kernel.orchestrator.approveAndApply(session.id, 'alice', { onOutput: (line) => applyLines.push(line) });
    });
    afterAll(() => t?.dispose());

    it('creates the project and the session with real Dates', async () => {
      const project = await t.kernel.projects.get('dev');
      expect(project).toMatchObject({ id: 'dev', provider: 'sandbox', settings: {}, createdBy: ADMIN });
      expect(project.createdAt).toBeInstanceOf(Date);
      expect(project.createdAt.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect((await t.kernel.projects.list()).map((item) => item.id)).toEqual(['dev']);
      expect(session).toMatchObject({ state: 'DRAFT', projectId: 'dev', provider: 'sandbox', userId: 'alice', resources: [], plan: null });
    });

    it('keeps resource configs (JSON columns) exactly, unicode included', async () => {
      const stored = await t.kernel.orchestrator.getSession(session.id);
      expect(stored.resources).toEqual([
        { name: 'web', type: 'sandbox.vm', quotaKey: expect.any(String), createdBy: 'alice', config: { size: 'medium', image: 'debian-12', bootSeconds: 1, tags: { team: 'web', 'cost-center': 'ü-42' } } },
        { name: 'assets', type: 'sandbox.bucket', quotaKey: expect.any(String), createdBy: 'alice', config: { tags: { team: 'web' } } },
      ]);
      expect(stored.resources).toEqual(withResources.resources);
      const [raw] = await sql<{ config: string }>(url, "SELECT config FROM resources WHERE name = 'web'");
      expect(JSON.parse(raw!.config)).toEqual(stored.resources[0]!.config);
    });

    it('plans the two resources and stores the plan JSON as terraform showed it', async () => {
      expect(plan).toMatchObject({ toAdd: 2, toChange: 0, toDestroy: 0, summary: 'Plan: 2 to add, 0 to change, 0 to destroy.', createdBy: 'alice' });
      expect(plan.createdAt).toBeInstanceOf(Date);
      expect(plan.changes.map((change) => change.address).sort()).toEqual(['terraform_data.assets', 'terraform_data.web']);
      const stored = (await t.kernel.orchestrator.getSession(session.id)).plan!;
      expect(stored.id).toBe(plan.id);
      expect(stored).not.toHaveProperty('planJson');
      const storedJson = (await t.kernel.orchestrator.getPlanJson(session.id, 'alice'))!;
      expect(storedJson).toEqual(plan.planJson);
      expect(storedJson.resource_changes?.length).toBe(2);
      expect(stored.changes).toEqual(plan.changes);
      expect(stored.createdAt).toBeInstanceOf(Date);
      expect(stored.createdAt.getTime()).toBe(plan.createdAt.getTime());
    });

    it('ends APPLIED with the outputs, read back from the database', async () => {
      expect(final.state).toBe('APPLIED');
      expect(final.error).toBeNull();
      expect(final.approvedBy).toBe('alice');
      expect(applyLines.some((line) => line.startsWith('Apply complete! Resources: 2 added'))).toBe(true);
      for (const view of [final, await t.kernel.orchestrator.getSession(session.id)]) {
        const web = view.outputs?.web as { id: string; ip: string };
        expect(web.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(web.ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
        expect((view.outputs?.assets as { url: string }).url).toBe('sandbox://assets');
        expect(view.createdAt).toBeInstanceOf(Date);
        expect(view.updatedAt).toBeInstanceOf(Date);
        expect(view.updatedAt.getTime()).toBeGreaterThan(view.createdAt.getTime());
        expect(view.createdAt.getTime()).toBe(session.createdAt.getTime());
      }
    });

    it('records the audit trail in order, with Dates and JSON details', async () => {
      const trail = await t.kernel.audit.list({ sessionId: session.id });
      expect(trail.map((event) => event.action)).toEqual([
        'session.started',
        'resource.added',
        'resource.added',
        'session.validating',
        'session.planning',
        'session.plan_ready',
        'approval.recorded',
        'session.approved',
        'session.applying',
        'session.applied',
      ]);
      expect(trail.every((event) => event.actor === 'alice' && event.projectId === 'dev' && event.sessionId === session.id)).toBe(true);
      expect(trail.every((event) => typeof event.id === 'number')).toBe(true);
      expect(trail.every((event) => event.at instanceof Date)).toBe(true);
      const times = trail.map((event) => event.at.getTime());
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const byAction = (action: string): AuditEvent => trail.find((event) => event.action === action)!;
      expect(byAction('session.started').details).toEqual({ provider: 'sandbox', deploymentId: expect.any(String), deployment: expect.stringMatching(/^d-/), version: 0, newDeployment: true });
      expect(trail.filter((event) => event.action === 'resource.added').map((event) => event.details)).toEqual([
        { name: 'web', type: 'sandbox.vm' },
        { name: 'assets', type: 'sandbox.bucket' },
      ]);
      expect(byAction('session.plan_ready').details).toMatchObject({ from: 'PLANNING', to: 'PLAN_READY', planId: plan.id, summary: plan.summary, hash: plan.configHash });
      expect(byAction('session.applied').details).toMatchObject({ from: 'APPLYING', to: 'APPLIED', planId: plan.id, durationMs: expect.any(Number) });

      const projectTrail = await t.kernel.audit.list({ projectId: 'dev', action: 'project.created' });
      expect(projectTrail).toEqual([expect.objectContaining({ actor: ADMIN, sessionId: null, details: { provider: 'sandbox' } })]);
      const since = await t.kernel.audit.list({ sessionId: session.id, since: byAction('session.approved').at });
      expect(since.map((event) => event.action)).toEqual(['session.approved', 'session.applying', 'session.applied']);
      expect(await t.kernel.audit.list({ sessionId: session.id, limit: 2 })).toEqual(trail.slice(0, 2));
    });

    it('lists and counts the session', async () => {
      const mine = await t.kernel.orchestrator.listSessions({ userId: 'alice' });
      expect(mine.map((item) => item.id)).toEqual([session.id]);
      expect(mine[0]!.resources.map((resource) => resource.name)).toEqual(['web', 'assets']);
      expect(mine[0]!.plan?.summary).toBe(plan.summary);
      expect(await t.kernel.orchestrator.listSessions({ projectId: 'dev', states: ['APPLIED', 'FAILED'] })).toHaveLength(1);
      expect(await t.kernel.orchestrator.listSessions({ states: ['DRAFT'] })).toEqual([]);
      expect(await t.kernel.orchestrator.stats()).toMatchObject({ sessions: 1, byState: { APPLIED: 1 }, byProject: { dev: 1 }, resourcesApplied: 2, plans: 1 });
    });

    it('shows the same session to another kernel on the same database', async () => {
      const other = await startTestKernel(pgOptions(url, { dataDir: t.dataDir }));
      try {
        const seen = await other.kernel.orchestrator.getSession(session.id);
        const { plan: seenPlan, ...rest } = seen;
        const { plan: finalPlan, ...finalRest } = await t.kernel.orchestrator.getSession(session.id);
        expect(rest).toEqual(finalRest);
        expect(seenPlan).toEqual(finalPlan);
      } finally {
        await other.dispose();
      }
    });

    it('refuses to apply the same session twice', async () => {
      await expect(t.kernel.orchestrator.approveAndApply(session.id, 'alice')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    });

    it('keeps plugin state: stored, replaced in place, read by another kernel, deleted', async () => {
      const state = t.kernel.pluginState('discord');
      await state.set(`lobby:${session.id}`, { channelId: '1', messageId: '2' });
      await state.set(`lobby:${session.id}`, { channelId: '1', messageId: '3', note: 'ü' });
      const other = await startTestKernel(pgOptions(url, { dataDir: t.dataDir }));
      try {
        expect(await other.kernel.pluginState('discord').get(`lobby:${session.id}`)).toEqual({ channelId: '1', messageId: '3', note: 'ü' });
        expect(await other.kernel.pluginState('slack').get(`lobby:${session.id}`)).toBeUndefined();
      } finally {
        await other.dispose();
      }
      await state.delete(`lobby:${session.id}`);
      expect(await state.get(`lobby:${session.id}`)).toBeUndefined();
    });
  });

  describe('two kernels on one database racing approveAndApply', () => {
    let url: string;
    let first: TestKernel;
    let second: TestKernel;
    beforeAll(async () => {
      url = await server.createDatabase('race');
      first = await startTestKernel(pgOptions(url));
      // Same data dir: the plan file and working dir are on this machine's disk.
      second = await startTestKernel(pgOptions(url, { dataDir: first.dataDir }));
      await createProject(first.kernel, { id: 'race', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy', carol: 'deploy', dave: 'deploy', erin: 'deploy' });
    });
    afterAll(async () => {
      await second?.dispose();
      await first?.dispose();
    });

    async function plannedSession(user: string): Promise<string> {
      const { orchestrator } = first.kernel;
      const session = await orchestrator.startSession(user, 'race');
      await orchestrator.addResource(session.id, user, { type: 'sandbox.vm', name: 'vm', config: {} });
      await orchestrator.runPlan(session.id, user);
      return session.id;
    }

    it('exactly one applies, the other gets INVALID_STATE', async () => {
      const sessionIds = await Promise.all(['alice', 'bob', 'carol'].map(plannedSession));
      for (const sessionId of sessionIds) {
        const results = await Promise.allSettled([
          first.kernel.orchestrator.approveAndApply(sessionId, ADMIN),
          second.kernel.orchestrator.approveAndApply(sessionId, ADMIN),
        ]);
        const won = results.filter((result): result is PromiseFulfilledResult<SessionView> => result.status === 'fulfilled');
        const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(won[0]!.value.state).toBe('APPLIED');
        expect(lost).toHaveLength(1);
        expect(lost[0]!.reason.code).toBe('INVALID_STATE');
        expect(await first.kernel.audit.list({ sessionId, action: 'session.approved' })).toHaveLength(1);
        expect(await second.kernel.audit.list({ sessionId, action: 'session.applying' })).toHaveLength(1);
        expect((await second.kernel.orchestrator.getSession(sessionId)).state).toBe('APPLIED');
      }
      expect(await first.kernel.orchestrator.stats()).toMatchObject({ sessions: 3, byState: { APPLIED: 3 }, resourcesApplied: 3, plans: 3 });
    });

    it('the conditional update lets exactly one of many simultaneous transitions through', async () => {
      // Three more "processes" (each its own connection pool and in-process queue), two attempts each:
      // every attempt reaches UPDATE ... WHERE state IN (...) without the orchestrator's checks in front.
      const dbs = await Promise.all([1, 2, 3].map(() => openDatabase(first.dataDir, { type: 'postgres', url })));
      try {
        const stores = dbs.flatMap((db) => {
          const store = new SessionStore(db, new AuditLog(db), new KernelEvents(), new Registry<ResourceType>('resource type', (type) => type.type), first.dataDir, 'test-host:1:00000000');
          return [store, store];
        });
        const sessionIds = await Promise.all(['dave', 'erin'].map(plannedSession));
        for (const sessionId of sessionIds) {
          const results = await Promise.allSettled(
            stores.map((store, i) => store.transition({ sessionId, from: ['PLAN_READY'], to: 'APPROVED', actor: `user${i}`, patch: { approvedBy: `user${i}` } })),
          );
          expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
          const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
          expect(lost.map((result) => result.reason.code)).toEqual(Array(stores.length - 1).fill('INVALID_STATE'));
          const approvals = await first.kernel.audit.list({ sessionId, action: 'session.approved' });
          expect(approvals).toHaveLength(1);
          expect((await first.kernel.orchestrator.getSession(sessionId)).approvedBy).toBe(approvals[0]!.actor);
        }
      } finally {
        await Promise.all(dbs.map((db) => db.close()));
      }
    });

    it('two kernels creating the same project at once: one creates it, the other is told it exists', async () => {
      const results = await Promise.allSettled([
        first.kernel.projects.create({ id: 'twin', provider: 'sandbox', createdBy: ADMIN }),
        second.kernel.projects.create({ id: 'twin', provider: 'sandbox', createdBy: ADMIN }),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(lost.map((result) => ({ code: result.reason.code, message: result.reason.message }))).toEqual([
        { code: 'INVALID_INPUT', message: expect.stringContaining('already exists') },
      ]);
    });
  });

  describe('grants and quotas', () => {
    let url: string;
    let first: TestKernel;
    let second: TestKernel;
    beforeAll(async () => {
      url = await server.createDatabase('governance');
      first = await startTestKernel(pgOptions(url));
      second = await startTestKernel(pgOptions(url, { dataDir: first.dataDir }));
      await createProject(first.kernel, { id: 'gov', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy' });
    });
    afterAll(async () => {
      await second?.dispose();
      await first?.dispose();
    });

    it('keeps just-in-time grants with their expiry as Dates', async () => {
      const expiresAt = new Date(Date.now() + 60 * 60_000);
      await first.kernel.access.grant({ projectId: 'gov', userId: 'carol', level: 'read', grantedBy: ADMIN, expiresAt });
      const grants = await second.kernel.access.list('gov');
      expect(grants.filter((grant) => grant.userId !== ADMIN).map((grant) => `${grant.userId}:${grant.level}`)).toEqual(['alice:deploy', 'bob:deploy', 'carol:read']);
      const carol = grants.find((grant) => grant.userId === 'carol')!;
      expect(carol.expiresAt).toBeInstanceOf(Date);
      expect(carol.expiresAt!.getTime()).toBe(expiresAt.getTime());
      expect(carol.grantedAt).toBeInstanceOf(Date);
      expect(carol.expired).toBe(false);
      expect(grants.find((grant) => grant.userId === 'alice')!.expiresAt).toBeNull();
      expect(await second.kernel.access.levelOf('carol', 'gov')).toBe('read');
      expect(await second.kernel.access.levelOf('carol', 'gov', new Date(expiresAt.getTime() + 1))).toBeNull();
    });

    it('enforces a quota atomically when two kernels approve at once', async () => {
      await first.kernel.quotas.set({ projectId: 'gov', quotaKey: 'compute_vm', limit: 1, setBy: ADMIN });
      const sessionIds: string[] = [];
      for (const user of ['alice', 'bob']) {
        const session = await first.kernel.orchestrator.startSession(user, 'gov');
        await first.kernel.orchestrator.addResource(session.id, user, { type: 'sandbox.vm', name: 'vm', config: {} });
        await first.kernel.orchestrator.runPlan(session.id, user);
        sessionIds.push(session.id);
      }
      const results = await Promise.allSettled([
        first.kernel.orchestrator.approveAndApply(sessionIds[0]!, ADMIN),
        second.kernel.orchestrator.approveAndApply(sessionIds[1]!, ADMIN),
      ]);
      const won = results.filter((result): result is PromiseFulfilledResult<SessionView> => result.status === 'fulfilled');
      const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(won.map((result) => result.value.state)).toEqual(['APPLIED']);
      expect(lost.map((result) => result.reason.code)).toEqual(['QUOTA_EXCEEDED']);
      expect(await second.kernel.quotas.usage('gov')).toEqual([{ quotaKey: 'compute_vm', used: 1, reserved: 0, limit: 1, percent: 100 }]);
    });
  });

  describe('Database.transaction across processes', () => {
    const dirs: string[] = [];
    const dbs: Database[] = [];
    afterAll(async () => {
      await Promise.all(dbs.map((db) => db.close()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    async function open(url: string): Promise<Database> {
      const dir = mkdtempSync(join(tmpdir(), 'cloud-engine-pgdb-'));
      dirs.push(dir);
      const db = await openDatabase(dir, { type: 'postgres', url });
      dbs.push(db);
      return db;
    }

    it('serializes read-then-write transactions of two processes, as BEGIN IMMEDIATE does on SQLite', async () => {
      const url = await server.createDatabase('serial');
      const [a, b] = [await open(url), await open(url)];
      const claim = (db: Database, who: string) =>
        db.transaction(async (manager) => {
          const taken = await manager.existsBy(ProjectEntity, { id: 'claimed' });
          await sleep(100); // the other process runs its check now, unless transactions are serialized
          if (taken) return `${who}: already claimed`;
          await manager.insert(ProjectEntity, { id: 'claimed', provider: 'sandbox', settings: {}, createdBy: who, createdAt: new Date() });
          return `${who}: claimed`;
        });
      const results = await Promise.allSettled([claim(a!, 'a'), claim(b!, 'b')]);
      expect(results.map((result) => (result.status === 'fulfilled' ? result.value : `rejected: ${String(result.reason)}`)).sort()).toEqual(
        expect.arrayContaining([expect.stringMatching(/^[ab]: claimed$/), expect.stringMatching(/^[ab]: already claimed$/)]),
      );
      expect(await a!.manager.count(ProjectEntity)).toBe(1);
    });

    it('rolls back a failed transaction on Postgres too', async () => {
      const url = await server.createDatabase('rollback');
      const db = await open(url);
      const failed = db.transaction(async (manager) => {
        await manager.insert(ProjectEntity, { id: 'doomed', provider: 'sandbox', settings: {}, createdBy: 'a', createdAt: new Date() });
        throw new Error('abort');
      });
      await expect(failed).rejects.toThrow('abort');
      await db.transaction((manager) => manager.insert(ProjectEntity, { id: 'kept', provider: 'sandbox', settings: {}, createdBy: 'a', createdAt: new Date() }));
      expect((await db.manager.find(ProjectEntity)).map((row) => row.id)).toEqual(['kept']);
    });
  });

  describe('kernel.close()', () => {
    it('leaves no connection open', async () => {
      const url = await server.createDatabase('closing');
      const t = await startTestKernel(pgOptions(url));
      await createProject(t.kernel, { id: 'p', provider: 'sandbox' });
      await Promise.all([t.kernel.projects.list(), t.kernel.orchestrator.stats(), t.kernel.audit.list()]);
      expect(await otherConnections(url)).toBeGreaterThan(0);
      await t.dispose();
      // The server drops a backend's row a moment after its client disconnects.
      const deadline = Date.now() + 5_000;
      let open = await otherConnections(url);
      while (open > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        open = await otherConnections(url);
      }
      expect(open).toBe(0);
    });
  });
});
