import PgBoss from 'pg-boss';
import { CloudEngineError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Database } from '../persistence/database.js';
import { OutputLineEntity } from '../persistence/entities/output-line.entity.js';
import { readOutput } from '../sessions/output-recorder.js';
import type { KernelEvents } from '../events/kernel-events.js';
import type { JobDispatch, JobFollow } from './job-dispatch.js';
import { JOB_PRIORITY, JOB_RETRIES, type JobArgs, type JobKind, type JobOutcome } from './job-kinds.js';

/** The one queue every terraform job goes through: one queue, so priority orders applies, plans and drift checks together. */
export const TERRAFORM_QUEUE = 'cloud-engine-terraform';
/** pg-boss's tables live in their own schema of the kernel's database. */
export const JOBS_SCHEMA = 'cloud_engine_jobs';
/** How often a waiting caller looks at its job and its new output lines. */
const POLL_MS = 200;
/** How often a waiting caller counts its place in the queue. */
const POSITION_EVERY_MS = 1000;

/** A job's data as stored: its kind and arguments. */
export interface TerraformJobData extends JobArgs {
  readonly kind: JobKind;
}

/** Longest a job may stay active before pg-boss takes it back (its terraform timeouts, and a margin). */
export interface JobExpiry {
  readonly planSeconds: number;
  readonly applySeconds: number;
}

/**
 * The terraform job queue on PostgreSQL, with pg-boss: `run` sends a job
 * (priority by kind; a plan may be retried once, an apply never) and waits
 * for it to end, passing the session's new output lines to the caller as the
 * worker persists them, then returns or rethrows what the worker reported.
 */
export class PgBossJobs implements JobDispatch {
  readonly queued = true;

  private constructor(
    readonly boss: PgBoss,
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly expiry: JobExpiry,
    private readonly events: KernelEvents,
  ) {}

  /** Starts pg-boss on `url` (creating or migrating its schema once, whoever starts first) and the queue. */
  static async open(url: string, db: Database, logger: Logger, expiry: JobExpiry, events: KernelEvents): Promise<PgBossJobs> {
    const boss = new PgBoss({ connectionString: url, schema: JOBS_SCHEMA, max: 4, application_name: 'cloud-engine-jobs' });
    boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
    await boss.start();
    if (!(await boss.getQueue(TERRAFORM_QUEUE))) {
      await boss.createQueue(TERRAFORM_QUEUE, { name: TERRAFORM_QUEUE, policy: 'standard' }).catch(async (error: unknown) => {
        // Another process created it between the two calls.
        if (!(await boss.getQueue(TERRAFORM_QUEUE))) throw error;
      });
    }
    return new PgBossJobs(boss, db, logger, expiry, events);
  }

  async run(kind: JobKind, args: JobArgs, follow?: JobFollow): Promise<void> {
    let seq = follow ? await lastSeq(this.db, follow.sessionId) : 0;
    const data: TerraformJobData = { kind, ...args };
    const id = await this.boss.send(TERRAFORM_QUEUE, data, {
      priority: JOB_PRIORITY[kind],
      retryLimit: JOB_RETRIES[kind],
      retryDelay: 1,
      expireInSeconds: kind === 'apply' ? this.expiry.applySeconds : this.expiry.planSeconds,
    });
    if (!id) throw new Error(`the job queue refused a ${kind} job`);
    const deliver = async () => {
      if (!follow?.onOutput) return;
      for (const line of await readOutput(this.db, follow.sessionId, seq)) {
        seq = line.seq;
        try {
          follow.onOutput(line.line);
        } catch (error) {
          this.logger.warn({ err: error, sessionId: follow.sessionId }, 'onOutput callback threw');
        }
      }
    };
    // Where the job waits, said as the in-process runner says it (`terraform.queued`; 0 once a worker has it).
    let place: number | undefined;
    let counted = 0;
    const announce = (position: number) => {
      if (args.sessionId === undefined || position === place) return;
      place = position;
      this.events.emit('terraform.queued', { sessionId: args.sessionId, position });
    };
    try {
      for (;;) {
        await deliver();
        const job = await this.boss.getJobById<TerraformJobData>(TERRAFORM_QUEUE, id, { includeArchive: true });
        if (job && (job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled')) {
          await deliver();
          return outcome(kind, args, job.state, job.output);
        }
        if (job?.state === 'created' || job?.state === 'retry') {
          // Counted once a second, not at every look: a long backlog of waiting callers would otherwise count each other constantly.
          if (Date.now() - counted >= POSITION_EVERY_MS) {
            counted = Date.now();
            announce((await this.position(args.sessionId ?? '')) ?? 1);
          }
        } else announce(0);
        await sleep(POLL_MS);
      }
    } finally {
      if (place !== undefined && place > 0) announce(0);
    }
  }

  async position(sessionId: string): Promise<number | undefined> {
    const rows: { ahead: string | number }[] = await this.db.dataSource.query(
      `SELECT (SELECT count(*) FROM ${JOBS_SCHEMA}.job o WHERE o.name = j.name AND o.state IN ('created', 'retry')
                 AND (o.priority > j.priority OR (o.priority = j.priority AND o.created_on < j.created_on))) AS ahead
         FROM ${JOBS_SCHEMA}.job j WHERE j.name = $1 AND j.state IN ('created', 'retry') AND j.data->>'sessionId' = $2
         ORDER BY j.created_on LIMIT 1`,
      [TERRAFORM_QUEUE, sessionId],
    );
    return rows[0] === undefined ? undefined : Number(rows[0].ahead) + 1;
  }

  /**
   * Fails the running job of a session whose worker was lost: a plan is then
   * retried by another worker (its one retry), an apply stays failed.
   */
  async failRunning(sessionId: string, reason: string): Promise<void> {
    const rows: { id: string }[] = await this.db.dataSource.query(`SELECT id FROM ${JOBS_SCHEMA}.job WHERE name = $1 AND state = 'active' AND data->>'sessionId' = $2`, [TERRAFORM_QUEUE, sessionId]);
    for (const row of rows) await this.boss.fail(TERRAFORM_QUEUE, row.id, { message: reason });
  }

  async depth(): Promise<{ waiting: number; running: number }> {
    const [row] = await this.db.dataSource.query(
      `SELECT count(*) FILTER (WHERE state IN ('created', 'retry')) AS waiting, count(*) FILTER (WHERE state = 'active') AS running FROM ${JOBS_SCHEMA}.job WHERE name = $1`,
      [TERRAFORM_QUEUE],
    );
    return { waiting: Number(row?.waiting ?? 0), running: Number(row?.running ?? 0) };
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, timeout: 5000 });
  }
}

/** What the worker reported, as the in-process call would have ended: nothing, or its error. */
function outcome(kind: JobKind, args: JobArgs, state: string, output: unknown): void {
  const reported = output as Partial<JobOutcome> & { message?: string; value?: { message?: string } };
  if (state === 'completed' && reported && 'error' in reported && reported.error) {
    const { code, message, field, details } = reported.error;
    throw new CloudEngineError(code as CloudEngineError["code"], message, { field, details: details as Record<string, unknown> | undefined });
  }
  if (state === 'completed') return;
  const why = reported?.message ?? reported?.value?.message ?? state;
  throw new CloudEngineError('INTERNAL', `The ${kind} of ${args.sessionId ? `session ${args.sessionId}` : `deployment ${args.deploymentId}`} did not finish on a worker: ${why}.`, {
    details: { kind, state, ...args },
  });
}

async function lastSeq(db: Database, sessionId: string): Promise<number> {
  const last = await db.manager.findOne(OutputLineEntity, { where: { sessionId }, order: { seq: 'DESC' }, select: { seq: true } });
  return last?.seq ?? 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
