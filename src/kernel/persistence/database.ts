import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions, type EntityManager } from 'typeorm';
import { CloudEngineError } from '../errors.js';
import { token } from '../plugin/token.js';
import { AuditEventEntity } from './entities/audit-event.entity.js';
import { CloudResourceEntity } from './entities/cloud-resource.entity.js';
import { CloudSessionEntity } from './entities/cloud-session.entity.js';
import { PlanRecordEntity } from './entities/plan-record.entity.js';
import { ProjectEntity } from './entities/project.entity.js';
import { InitialSchema1732406400000 } from './migrations/1732406400000-initial-schema.js';

export const ENTITIES = [ProjectEntity, CloudSessionEntity, CloudResourceEntity, PlanRecordEntity, AuditEventEntity];
export const MIGRATIONS = [InitialSchema1732406400000];

/** The kernel's database: a TypeORM DataSource plus serialized transactions. */
export class Database {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dataSource: DataSource) {}

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * Runs `work` in a transaction. SQLite has one connection, on which
   * overlapping transactions fail, so transactions are queued in-process.
   * Inside `work`, use insert/update/delete/find: TypeORM's `save` opens a
   * transaction of its own, which SQLite refuses inside this one.
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => (this.isSqlite ? this.immediateTransaction(work) : this.dataSource.transaction(work)));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private get isSqlite(): boolean {
    return this.dataSource.options.type === 'sqlite';
  }

  /**
   * SQLite transactions take the write lock up front (BEGIN IMMEDIATE). A
   * deferred transaction that reads and then writes while another process
   * commits can never succeed by waiting (its snapshot is stale), so two
   * processes sharing the file would spin; IMMEDIATE makes the second wait
   * on busy_timeout instead.
   */
  private async immediateTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN IMMEDIATE');
      try {
        const result = await work(runner.manager);
        await runner.query('COMMIT');
        return result;
      } catch (error) {
        await runner.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
export const DatabaseToken = token<Database>('kernel.database');

/** Opens the database (SQLite file in the data dir unless options say otherwise) and migrates it. */
export async function openDatabase(dataDir: string, overrides?: Record<string, unknown>): Promise<Database> {
  let options: DataSourceOptions;
  if (overrides && Object.keys(overrides).length > 0) {
    options = { ...(overrides as unknown as DataSourceOptions), entities: ENTITIES, migrations: MIGRATIONS, synchronize: false } as DataSourceOptions;
  } else {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (error) {
      // Otherwise a bad CLOUD_ENGINE_DATA_DIR surfaces as a bare ENOTDIR/EEXIST/EACCES.
      throw new CloudEngineError(
        'CONFIG_INVALID',
        `Could not create the data directory ${dataDir} (CLOUD_ENGINE_DATA_DIR): ${(error as Error).message}. Check that the data directory is a writable directory, or choose another one.`,
        { field: 'dataDir', value: dataDir, cause: error },
      );
    }
    options = {
      type: 'sqlite',
      database: join(dataDir, 'cloud-engine.sqlite'),
      entities: ENTITIES,
      migrations: MIGRATIONS,
      synchronize: false,
      enableWAL: true,
      busyTimeout: 15_000,
      logging: false,
    } as DataSourceOptions;
  }
  const dataSource = new DataSource(options);
  try {
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw new CloudEngineError(
      'CONFIG_INVALID',
      `Could not open the database (${options.type}${'database' in options && options.database ? ` at ${String(options.database)}` : ''}): ${(error as Error).message}. Check that the data directory is writable, or fix the database options.`,
      { cause: error },
    );
  }
  return new Database(dataSource);
}
