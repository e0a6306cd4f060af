import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openDatabase } from '../../../../../src/kernel/persistence/database.js';
import { AccessGrantEntity } from '../../../../../src/kernel/persistence/entities/access-grant.entity.js';
import { HAS_POSTGRES, startPostgres, type PostgresServer } from '../../../../support/postgres.js';
import { ADMIN, startTestKernel } from '../../../../support/test-kernel.js';

const AT = '2026-11-01T10:00:00.000Z';
const LATER = '2099-01-01T00:00:00.000Z';
const THIS = 'AccessRequests1733097600000';

/** The migrations of the release before access requests: every one older than this one. */
const previous = MIGRATIONS.filter((migration) => Number(/\d{13}$/.exec(migration.name)![0]) < 1733097600000);

/** A database the previous release made and wrote to: a project and two grants, one of them timed. */
async function previousRelease(options: DataSourceOptions): Promise<void> {
  const old = new DataSource({ ...options, migrations: previous, entities: [], logging: false } as DataSourceOptions);
  await old.initialize();
  await old.runMigrations();
  const insert = (table: string, values: Record<string, unknown>) => old.createQueryBuilder().insert().into(table).values(values).execute();
  await insert('projects', { id: 'legacy', provider: 'sandbox', settings: '{}', created_by: ADMIN, created_at: AT });
  await insert('access_grants', { project_id: 'legacy', user_id: 'alice', level: 'deploy', granted_by: ADMIN, granted_at: AT, expires_at: null });
  await insert('access_grants', { project_id: 'legacy', user_id: 'bob', level: 'admin', granted_by: ADMIN, granted_at: AT, expires_at: LATER });
  await old.destroy();
}

/** What the migrated database holds and does: the grants kept (not yet announced), requests recorded and decided. */
async function checkMigrated(dataDir: string, database?: Record<string, unknown>): Promise<void> {
  const db = await openDatabase(dataDir, database);
  try {
    const grants = await db.manager.find(AccessGrantEntity, { order: { userId: 'ASC' } });
    expect(grants.map((grant) => [grant.userId, grant.level, grant.expiresAt?.toISOString() ?? null, grant.expiryNoticeAt])).toEqual([
      ['alice', 'deploy', null, null],
      ['bob', 'admin', LATER, null],
    ]);
    const names = (await db.dataSource.query('SELECT name FROM migrations')) as { name: string }[];
    expect(names.map((row) => row.name)).toContain(THIS);
  } finally {
    await db.close();
  }
  const t = await startTestKernel({ dataDir, lifecycleInterval: 0, ...(database ? { database } : {}) });
  try {
    const { access } = t.kernel;
    const request = await access.request({ projectId: 'legacy', userId: 'carol', level: 'read', duration: '2h', reason: 'after the upgrade' });
    expect(await access.decide(request.id, 'bob', 'approve')).toMatchObject({ state: 'APPROVED', decidedBy: 'bob' });
    expect(await access.levelOf('carol', 'legacy')).toBe('read');
    expect(await access.levelOf('alice', 'legacy')).toBe('deploy');
  } finally {
    await t.kernel.close();
  }
}

describe('migration AccessRequests1733097600000 from the previous release (SQLite)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloud-engine-migrate-access-'));
    await previousRelease({ type: 'sqlite', database: join(dir, 'cloud-engine.sqlite') });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('adds access_requests and the grants\' notice mark, keeping every grant; requests then work', async () => {
    await checkMigrated(dir);
  });

  it('rolls back: down drops the table and the column, and up runs again', async () => {
    const source = new DataSource({ type: 'sqlite', database: join(dir, 'cloud-engine.sqlite'), migrations: [...previous, MIGRATIONS.find((migration) => migration.name === THIS)!], entities: [], logging: false });
    await source.initialize();
    try {
      await source.runMigrations();
      await source.undoLastMigration();
      const tables = (await source.query("SELECT name FROM sqlite_master WHERE type = 'table'")) as { name: string }[];
      expect(tables.map((row) => row.name)).not.toContain('access_requests');
      const columns = (await source.query('PRAGMA table_info(access_grants)')) as { name: string }[];
      expect(columns.map((column) => column.name)).not.toContain('expiry_notice_at');
      await source.runMigrations();
      expect(((await source.query("SELECT name FROM sqlite_master WHERE type = 'table'")) as { name: string }[]).map((row) => row.name)).toContain('access_requests');
    } finally {
      await source.destroy();
    }
  });
});

describe.skipIf(!HAS_POSTGRES)('migration AccessRequests1733097600000 from the previous release (PostgreSQL)', () => {
  let server: PostgresServer;
  let dir: string;
  beforeAll(async () => {
    server = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'cloud-engine-migrate-access-pg-'));
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the same SQL migrates a PostgreSQL database of the previous release, keeping every grant', async () => {
    const url = await server.createDatabase('access_migration');
    await previousRelease({ type: 'postgres', url });
    await checkMigrated(dir, { type: 'postgres', url });
  });
});
