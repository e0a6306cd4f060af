import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { openDatabase, type Database } from '../../../../src/kernel/persistence/database.js';
import { ProjectEntity } from '../../../../src/kernel/persistence/entities/project.entity.js';

const dirs: string[] = [];
const open: Database[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-engine-db-'));
  dirs.push(dir);
  return dir;
}

async function openIn(dir: string): Promise<Database> {
  const db = await openDatabase(dir);
  open.push(db);
  return db;
}

async function tables(db: Database): Promise<string[]> {
  const rows: { name: string }[] = await db.dataSource.query(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  );
  return rows.map((row) => row.name);
}

async function migrationsRun(db: Database): Promise<string[]> {
  const rows: { name: string }[] = await db.dataSource.query('SELECT name FROM migrations ORDER BY id');
  return rows.map((row) => row.name);
}

function project(id: string): ProjectEntity {
  return Object.assign(new ProjectEntity(), { id, provider: 'sandbox', settings: {}, createdBy: 'alice', createdAt: new Date('2024-01-01T00:00:00Z') });
}

describe('openDatabase', () => {
  it('creates the data dir and runs the migrations on a fresh dir, creating every table', async () => {
    const dir = join(freshDir(), 'nested', 'data');
    const db = await openIn(dir);
    expect(await tables(db)).toEqual(['access_grants', 'access_requests', 'approvals', 'audit_events', 'dashboard_sessions', 'deployments', 'due_actions', 'kernel_processes', 'migrations', 'output_lines', 'plans', 'plugin_state', 'projects', 'quotas', 'resources', 'sessions']);
    expect(await migrationsRun(db)).toEqual(['InitialSchema1732406400000', 'Governance1732492800000', 'OutputAndOwnership1732579200000', 'PluginState1732665600000', 'SealedSecretsAndState1732752000000', 'Deployments1732838400000', 'Lifecycle1732924800000', 'Drift1733011200000', 'AccessRequests1733097600000', 'Approvals1733184000000', 'DashboardSessions1733270400000', 'JobQueue1733356800000']);
  });

  it('is idempotent: reopening runs no migration again and keeps the data', async () => {
    const dir = freshDir();
    const first = await openIn(dir);
    await first.manager.save(project('web'));
    await first.close();
    open.splice(open.indexOf(first), 1);

    const second = await openIn(dir);
    expect(await migrationsRun(second)).toEqual(['InitialSchema1732406400000', 'Governance1732492800000', 'OutputAndOwnership1732579200000', 'PluginState1732665600000', 'SealedSecretsAndState1732752000000', 'Deployments1732838400000', 'Lifecycle1732924800000', 'Drift1733011200000', 'AccessRequests1733097600000', 'Approvals1733184000000', 'DashboardSessions1733270400000', 'JobQueue1733356800000']);
    expect(await second.dataSource.showMigrations()).toBe(false);
    expect((await second.manager.findOneByOrFail(ProjectEntity, { id: 'web' })).createdBy).toBe('alice');
  });

  it('fails with CONFIG_INVALID telling to check the data directory when the dir sits under a regular file', async () => {
    const file = join(freshDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    const error = await openDatabase(join(file, 'data')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CloudEngineError);
    expect((error as CloudEngineError).code).toBe('CONFIG_INVALID');
    expect((error as CloudEngineError).message).toMatch(/data directory/);
    expect((error as CloudEngineError).message).toContain(join(file, 'data'));
  });

  it('fails with CONFIG_INVALID when the data dir path is itself a regular file', async () => {
    const file = join(freshDir(), 'plain-file');
    writeFileSync(file, 'x');
    const error = await openDatabase(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CloudEngineError);
    expect((error as CloudEngineError).code).toBe('CONFIG_INVALID');
    expect((error as CloudEngineError).message).toMatch(/data directory/);
  });
});

describe('Database', () => {
  it('runs overlapping transactions one after another, so SQLite never sees two at once', async () => {
    const db = await openIn(freshDir());
    const order: string[] = [];
    const slow = db.transaction(async (manager) => {
      order.push('a:start');
      await manager.insert(ProjectEntity, project('a'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push('a:end');
    });
    const fast = db.transaction(async (manager) => {
      order.push('b:start');
      await manager.insert(ProjectEntity, project('b'));
      order.push('b:end');
    });
    await Promise.all([slow, fast]);
    expect(order).toEqual(['a:start', 'a:end', 'b:start', 'b:end']);
    expect(await db.manager.count(ProjectEntity)).toBe(2);
  });

  it('rolls back a failed transaction and keeps serving the next ones', async () => {
    const db = await openIn(freshDir());
    const failed = db.transaction(async (manager) => {
      await manager.insert(ProjectEntity, project('doomed'));
      throw new Error('abort');
    });
    const next = db.transaction(async (manager) => manager.insert(ProjectEntity, project('kept')));
    await expect(failed).rejects.toThrow('abort');
    await next;
    expect((await db.manager.find(ProjectEntity)).map((row) => row.id)).toEqual(['kept']);
  });

  it('closes after pending transactions finish, and closing twice is harmless', async () => {
    const db = await openIn(freshDir());
    const pending = db.transaction(async (manager) => manager.insert(ProjectEntity, project('late')));
    await db.close();
    await pending;
    expect(db.dataSource.isInitialized).toBe(false);
    await expect(db.close()).resolves.toBeUndefined();
  });
});
