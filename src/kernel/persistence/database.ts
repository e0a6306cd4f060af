import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource, MigrationExecutor, type DataSourceOptions, type EntityManager } from 'typeorm';
import { CloudEngineError } from '../errors.js';
import { token } from '../plugin/token.js';
import { AuditEventEntity } from './entities/audit-event.entity.js';
import { CloudResourceEntity } from './entities/cloud-resource.entity.js';
import { CloudSessionEntity } from './entities/cloud-session.entity.js';
import { PlanRecordEntity } from './entities/plan-record.entity.js';
import { ProjectEntity } from './entities/project.entity.js';
import { InitialSchema1732406400000 } from './migrations/1732406400000-initial-schema.js';
import { Governance1732492800000 } from './migrations/1732492800000-governance.js';
import { OutputAndOwnership1732579200000 } from './migrations/1732579200000-output-and-ownership.js';
import { OutputLineEntity } from './entities/output-line.entity.js';
import { AccessGrantEntity } from './entities/access-grant.entity.js';
import { QuotaEntity } from './entities/quota.entity.js';
import { PluginStateEntity } from './entities/plugin-state.entity.js';
import { PluginState1732665600000 } from './migrations/1732665600000-plugin-state.js';
import { SealedSecretsAndState1732752000000 } from './migrations/1732752000000-sealed-secrets-and-state.js';
import { Deployments1732838400000 } from './migrations/1732838400000-deployments.js';
import { DeploymentEntity } from './entities/deployment.entity.js';
import { DueActionEntity } from './entities/due-action.entity.js';
import { Lifecycle1732924800000 } from './migrations/1732924800000-lifecycle.js';
import { AccessRequestEntity } from './entities/access-request.entity.js';
import { AccessRequests1733097600000 } from './migrations/1733097600000-access-requests.js';
import { DashboardSessionEntity } from './entities/dashboard-session.entity.js';
import { DashboardSessions1733270400000 } from './migrations/1733270400000-dashboard-sessions.js';
import { ApprovalEntity } from './entities/approval.entity.js';
import { Approvals1733184000000 } from './migrations/1733184000000-approvals.js';
import { Drift1733011200000 } from './migrations/1733011200000-drift.js';
import { JobQueue1733356800000 } from './migrations/1733356800000-job-queue.js';
import { KernelProcessEntity } from './entities/kernel-process.entity.js';

export const ENTITIES = [ProjectEntity, CloudSessionEntity, CloudResourceEntity, PlanRecordEntity, AuditEventEntity, AccessGrantEntity, QuotaEntity, OutputLineEntity, PluginStateEntity, DeploymentEntity, DueActionEntity, DashboardSessionEntity, AccessRequestEntity, ApprovalEntity, KernelProcessEntity];
export const MIGRATIONS = [InitialSchema1732406400000, Governance1732492800000, OutputAndOwnership1732579200000, PluginState1732665600000, SealedSecretsAndState1732752000000, Deployments1732838400000, Lifecycle1732924800000, Drift1733011200000, AccessRequests1733097600000, Approvals1733184000000, DashboardSessions1733270400000, JobQueue1733356800000];

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
   * transaction of its own, which SQLite refuses inside this one. On
   * Postgres every transaction first takes one advisory lock, so kernels
   * sharing the database serialize their transactions as SQLite's BEGIN
   * IMMEDIATE does (see PG_TRANSACTION_LOCK). Inside `work`, use only
   * `manager`: on Postgres `this.manager` is another pooled connection,
   * outside the transaction (and blocked by its locks).
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const run = this.queue
      .then(() =>
        this.isSqlite ? this.immediateTransaction(work) : this.isPostgres ? this.dataSource.transaction(lockedPostgres(work)) : this.dataSource.transaction(work),
      )
      .catch((error: unknown) => {
        throw databaseError(error);
      });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private get isSqlite(): boolean {
    return this.dataSource.options.type === 'sqlite';
  }

  get isPostgres(): boolean {
    return this.dataSource.options.type === 'postgres';
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

/**
 * The database refusing a write, in words a user can act on; nothing of the
 * transaction was written. Other errors pass through unchanged.
 */
export function databaseError(error: unknown): unknown {
  if (error instanceof CloudEngineError) return error;
  const text = (error as Error)?.message ?? String(error);
  if (/SQLITE_(BUSY|LOCKED)|could not obtain lock|deadlock detected/.test(text)) {
    return new CloudEngineError('LOCKED', `The database is locked by another program (${text}); nothing was changed. Try again in a moment; if it persists, find what holds the database.`, { cause: error });
  }
  if (/SQLITE_FULL|no space left on device/i.test(text)) {
    return new CloudEngineError('INTERNAL', `The data directory is full (${text}); nothing was changed. Free space in CLOUD_ENGINE_DATA_DIR and try again.`, { cause: error });
  }
  if (/SQLITE_(IOERR|READONLY|CANTOPEN)/.test(text)) {
    return new CloudEngineError('INTERNAL', `The database refused a write (${text}); nothing was changed. Check that CLOUD_ENGINE_DATA_DIR is writable and try again.`, { cause: error });
  }
  return error;
}

/**
 * Advisory lock keys (any bigint; these spell "CE tx" and "CE mg"). The
 * kernel's transactions read, check and then write (a project id is free, a
 * quota has room); on SQLite BEGIN IMMEDIATE makes that atomic across
 * processes, on Postgres READ COMMITTED does not. Each transaction therefore
 * first takes one transaction-scoped advisory lock, released at COMMIT or
 * ROLLBACK, so kernels sharing a database serialize their writes as on SQLite.
 */
const PG_TRANSACTION_LOCK = 0x43_45_20_74_78;
/** Held while migrating, so kernels starting together on a fresh database migrate once. */
const PG_MIGRATION_LOCK = 0x43_45_20_6d_67;

function lockedPostgres<T>(work: (manager: EntityManager) => Promise<T>): (manager: EntityManager) => Promise<T> {
  return async (manager) => {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [PG_TRANSACTION_LOCK]);
    return work(manager);
  };
}

/** Runs pending migrations; on Postgres under a session advisory lock, on the lock's own connection. */
async function migrate(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type !== 'postgres') {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = dataSource.createQueryRunner();
  let unlocked = false;
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [PG_MIGRATION_LOCK]);
    try {
      const executor = new MigrationExecutor(dataSource, runner);
      executor.transaction = 'each';
      await executor.executePendingMigrations();
    } finally {
      unlocked = await runner.query('SELECT pg_advisory_unlock($1)', [PG_MIGRATION_LOCK]).then(
        () => true,
        () => false,
      );
    }
  } finally {
    // A connection that may still hold the lock must not go back to the pool: releasing it with an error discards it.
    const postgres = runner as unknown as { releasePostgresConnection?: (error?: Error) => Promise<void> };
    if (!unlocked && postgres.releasePostgresConnection) await postgres.releasePostgresConnection(new Error('advisory lock not released'));
    else await runner.release();
  }
}

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
    await migrate(dataSource);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw new CloudEngineError(
      'CONFIG_INVALID',
      `Could not open the database (${options.type}${'database' in options && options.database ? ` at ${String(options.database)}` : ''}): ${(error as Error).message}. ${options.type === 'sqlite' ? 'Check that the data directory is writable, or fix the database options.' : 'Check that the database server is reachable and the database options (url, user, password, database) are right.'}`,
      { cause: error },
    );
  }
  return new Database(dataSource);
}
