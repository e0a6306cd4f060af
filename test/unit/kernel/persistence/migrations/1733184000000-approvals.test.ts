import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openDatabase } from '../../../../../src/kernel/persistence/database.js';
import { ApprovalEntity } from '../../../../../src/kernel/persistence/entities/approval.entity.js';
import { HAS_POSTGRES, startPostgres, type PostgresServer } from '../../../../support/postgres.js';
import { ADMIN, startTestKernel } from '../../../../support/test-kernel.js';

const AT = '2026-11-01T10:00:00.000Z';
const THIS = 'Approvals1733184000000';

/** The migrations of the release before N-of-M approvals: every one older than this one. */
const previous = MIGRATIONS.filter((migration) => Number(/\d{13}$/.exec(migration.name)![0]) < 1733184000000);

/** A database the previous release made: a project that asks for two approvals (today's keys plus `required`) and its members. */
async function previousRelease(options: DataSourceOptions): Promise<void> {
  const old = new DataSource({ ...options, migrations: previous, entities: [], logging: false } as DataSourceOptions);
  await old.initialize();
  await old.runMigrations();
  const insert = (table: string, values: Record<string, unknown>) => old.createQueryBuilder().insert().into(table).values(values).execute();
  await insert('projects', { id: 'legacy', provider: 'sandbox', settings: JSON.stringify({ approval: { requireDistinctApprover: true, approvers: 'deploy', required: 2 } }), created_by: ADMIN, created_at: AT });
  for (const userId of ['alice', 'bob', 'carol']) {
    await insert('access_grants', { project_id: 'legacy', user_id: userId, level: 'deploy', granted_by: ADMIN, granted_at: AT, expires_at: null });
  }
  await old.destroy();
}

const approval = (id: string, userId: string, revokedAt: Date | null = null) => ({
  id,
  sessionId: 's1',
  planId: 'p1',
  configHash: 'h1',
  userId,
  createdAt: new Date(AT),
  revokedAt,
  revokedReason: revokedAt ? ('revoked' as const) : null,
});

/** What the migrated database holds and does: the approvals table, one live approval per person and plan, and a kernel counting them. */
async function checkMigrated(dataDir: string, database?: Record<string, unknown>): Promise<void> {
  const db = await openDatabase(dataDir, database);
  try {
    const names = (await db.dataSource.query('SELECT name FROM migrations')) as { name: string }[];
    expect(names.map((row) => row.name)).toContain(THIS);
    expect(await db.manager.count(ApprovalEntity)).toBe(0);
    await db.manager.insert(ApprovalEntity, approval('a1', 'bob'));
    // A second live approval by the same person of the same plan is refused by the database itself.
    await expect(db.manager.insert(ApprovalEntity, approval('a2', 'bob'))).rejects.toThrow(/unique|UNIQUE/);
    // Once the first is withdrawn, a new one may be given; an ended one never blocks.
    await db.manager.update(ApprovalEntity, { id: 'a1' }, { revokedAt: new Date(AT), revokedReason: 'revoked' });
    await db.manager.insert(ApprovalEntity, approval('a3', 'bob'));
    await db.manager.insert(ApprovalEntity, approval('a4', 'carol'));
    expect((await db.manager.find(ApprovalEntity, { order: { id: 'ASC' } })).map((row) => [row.id, row.userId, row.revokedReason])).toEqual([
      ['a1', 'bob', 'revoked'],
      ['a3', 'bob', null],
      ['a4', 'carol', null],
    ]);
  } finally {
    await db.close();
  }
  const t = await startTestKernel({ dataDir, lifecycleInterval: 0, ...(database ? { database } : {}) });
  try {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'legacy');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'kept' });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    const view = await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
    expect(view).toMatchObject({ state: 'PLAN_READY', approvals: { required: 2, given: [{ userId: 'bob' }] } });
    expect((await orchestrator.approveAndApply(session.id, 'carol', { planId: plan.id })).state).toBe('APPLIED');
  } finally {
    await t.kernel.close();
  }
}

describe('migration Approvals1733184000000 from the previous release (SQLite)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloud-engine-migrate-approvals-'));
    await previousRelease({ type: 'sqlite', database: join(dir, 'cloud-engine.sqlite') });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds the approvals table with one live approval per person and plan; a project of the previous release then needs its two approvals', async () => {
    await checkMigrated(dir);
  });

  it('rolls back: down drops the table, and up runs again', async () => {
    const source = new DataSource({ type: 'sqlite', database: join(dir, 'cloud-engine.sqlite'), migrations: [...previous, MIGRATIONS.find((migration) => migration.name === THIS)!], entities: [], logging: false });
    await source.initialize();
    const tables = async () => ((await source.query("SELECT name FROM sqlite_master WHERE type = 'table'")) as { name: string }[]).map((row) => row.name);
    try {
      await source.runMigrations();
      expect(await tables()).toContain('approvals');
      await source.undoLastMigration();
      expect(await tables()).not.toContain('approvals');
      await source.runMigrations();
      expect(await tables()).toContain('approvals');
    } finally {
      await source.destroy();
    }
  });
});

describe.skipIf(!HAS_POSTGRES)('migration Approvals1733184000000 from the previous release (PostgreSQL)', () => {
  let server: PostgresServer;
  let dir: string;
  beforeAll(async () => {
    server = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'cloud-engine-migrate-approvals-pg-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the same SQL migrates a PostgreSQL database of the previous release, with the same unique live approval', async () => {
    const url = await server.createDatabase('approvals_migration');
    await previousRelease({ type: 'postgres', url });
    await checkMigrated(dir, { type: 'postgres', url });
  });
});
