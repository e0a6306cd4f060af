import { CloudEngineError } from '../errors.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { KernelEvents } from '../events/kernel-events.js';
import type { Logger } from '../logger.js';
import type { Database } from '../persistence/database.js';
import { IN_PROCESS, type JobDispatch } from './job-dispatch.js';
import { PgBossJobs } from './pg-boss-jobs.js';
import type { StateDefaults } from '../synth/stack-synthesizer.js';

/** How a kernel takes part in the job queue: `queue` on (PostgreSQL only), and whether it works jobs itself. */
export interface QueueOptions {
  /** Terraform work as jobs on the PostgreSQL job queue (pg-boss), run by worker processes. */
  readonly queue?: boolean;
  /** With the queue: whether this process works jobs too (default true); false is a front. */
  readonly runner?: boolean;
}

/**
 * The kernel's job dispatch: in-process unless `queue` is on, which needs
 * a PostgreSQL database given by URL (pg-boss keeps its tables in a schema
 * of that database). Refused, naming the setting, otherwise.
 */
export async function openJobs(options: QueueOptions, database: Database, databaseOptions: Record<string, unknown> | undefined, config: EngineConfig, logger: Logger, events: KernelEvents): Promise<JobDispatch> {
  if (!options.queue) {
    if (options.runner === false) throw new CloudEngineError('CONFIG_INVALID', 'runner: false makes a front that leaves terraform to workers, which needs the job queue: set queue: true (with a PostgreSQL database).', { field: 'runner' });
    return IN_PROCESS;
  }
  const url = databaseOptions?.url;
  if (!database.isPostgres || typeof url !== 'string') {
    throw new CloudEngineError(
      'CONFIG_INVALID',
      'The job queue (queue: true, `cloud-engine worker`) runs on PostgreSQL: give the database as { type: "postgres", url: "postgres://…" } or set CLOUD_ENGINE_DATABASE_URL.',
      { field: 'database' },
    );
  }
  if (!config.secretKey) {
    // A key file of its own per process would seal a plan's secrets so that another worker refuses to apply it.
    throw new CloudEngineError(
      'CONFIG_INVALID',
      'Every process on the job queue seals and unseals plans with the same key: set CLOUD_ENGINE_SECRET_KEY (32 bytes, hex or base64, e.g. `openssl rand -hex 32`) to the same value for each front and worker.',
      { field: 'CLOUD_ENGINE_SECRET_KEY' },
    );
  }
  const seconds = (ms: number) => Math.ceil(ms / 1000) + 300;
  return PgBossJobs.open(url, database, logger, { planSeconds: seconds(config.timeouts.init + config.timeouts.plan), applySeconds: seconds(config.timeouts.init + config.timeouts.apply) }, events);
}

/**
 * Where state lives with the job queue: workers have data dirs of their own,
 * so a project without `settings.backend` keeps its state in the kernel's
 * PostgreSQL database (terraform's pg backend, schema `cloud_engine_state_<deployment>`),
 * the password kept out of the configuration (PGPASSWORD); a local backend is refused.
 */
export function sharedStateDefaults(databaseOptions: Record<string, unknown> | undefined): StateDefaults {
  const url = new URL(String(databaseOptions?.url));
  const password = decodeURIComponent(url.password);
  url.password = '';
  // The kernel's own client (node-postgres) uses no TLS unless the URL asks; terraform's (lib/pq) would insist on it.
  if (!url.searchParams.has('sslmode')) url.searchParams.set('sslmode', 'disable');
  return {
    shared: true,
    backend: { settings: { type: 'pg', connStr: url.toString(), schema: 'cloud_engine_state' }, environment: password ? { PGPASSWORD: password } : {} },
  };
}
