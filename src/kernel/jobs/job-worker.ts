import type PgBoss from 'pg-boss';
import { isCloudEngineError } from '../errors.js';
import { asSystem } from '../lifecycle/system-actor.js';
import type { Logger } from '../logger.js';
import type { LocalOperations } from '../sessions/orchestrator.js';
import type { JobOutcome } from './job-kinds.js';
import { TERRAFORM_QUEUE, type TerraformJobData } from './pg-boss-jobs.js';

/**
 * A process's share of the job queue: up to `concurrency` jobs at a time
 * (its terraform cap), each run by this process's own orchestrator exactly
 * as an in-process call would run it. A CloudEngineError is the job's
 * outcome, reported to whoever waits; anything else fails the job, and
 * pg-boss tries a plan once more (an apply never).
 */
export class JobWorker {
  private readonly workers: string[] = [];
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly boss: PgBoss,
    private readonly local: LocalOperations,
    private readonly logger: Logger,
    private readonly concurrency: number,
  ) {}

  async start(): Promise<void> {
    // One fetch loop per slot: each takes one job at a time, highest priority first.
    for (let slot = 0; slot < this.concurrency; slot++) {
      this.workers.push(
        await this.boss.work<TerraformJobData>(TERRAFORM_QUEUE, { batchSize: 1, pollingIntervalSeconds: 0.5 }, ([job]) => {
          // Completed here rather than by pg-boss's loop, which no longer completes a job once its worker is stopping.
          const run = this.handle(job!).then(async (outcome) => {
            await this.boss.complete(TERRAFORM_QUEUE, job!.id, outcome);
            return outcome;
          });
          this.running.add(run);
          void run.finally(() => this.running.delete(run)).catch(() => undefined);
          return run;
        }),
      );
    }
  }

  /** Takes no more jobs and waits for those running here to finish (a stopped worker never cuts an apply short). */
  async stop(): Promise<void> {
    for (const id of this.workers.splice(0)) await this.boss.offWork({ id }).catch(() => undefined);
    await Promise.allSettled([...this.running]);
  }

  private async handle(job: PgBoss.Job<TerraformJobData>): Promise<JobOutcome> {
    const { data } = job;
    const work = () => this.execute(data);
    try {
      await (data.system ? asSystem(data.system, work) : work());
      return { ok: true };
    } catch (error) {
      if (isCloudEngineError(error)) return { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}), ...(error.details ? { details: error.details } : {}) } };
      this.logger.error({ err: error, job: job.id, kind: data.kind, sessionId: data.sessionId }, 'terraform job failed unexpectedly');
      throw error;
    }
  }

  private async execute(data: TerraformJobData): Promise<unknown> {
    const { local } = this;
    switch (data.kind) {
      case 'plan':
        return local.runPlan(required(data.sessionId, 'sessionId'), data.userId);
      case 'destroy-plan':
        return local.destroySession(required(data.sessionId, 'sessionId'), data.userId);
      case 'apply':
        return local.approveAndApply(required(data.sessionId, 'sessionId'), data.userId, data.planId === undefined ? {} : { planId: data.planId });
      case 'drift':
        return local.checkDrift(required(data.deploymentId, 'deploymentId'), data.userId, { background: data.background });
    }
  }
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new Error(`a terraform job without ${name}`);
  return value;
}
