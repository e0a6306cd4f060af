import { isCloudEngineError } from '../errors.js';
import { systemCall } from '../lifecycle/system-actor.js';
import type { DriftRecord } from '../drift/drift-record.js';
import type { ApproveOptions, RunOptions } from '../sessions/session-inputs.js';
import type { PlanResult, SessionView } from '../sessions/session-view.js';
import type { JobDispatch } from './job-dispatch.js';
import type { JobArgs, JobKind } from './job-kinds.js';

/** The terraform operations a process can run itself (`orchestrator.local`), and what a worker's jobs call. */
export interface LocalOperations {
  runPlan(sessionId: string, userId: string, options?: RunOptions): Promise<PlanResult>;
  destroySession(sessionId: string, userId: string, options?: RunOptions): Promise<PlanResult>;
  approveAndApply(sessionId: string, userId: string, options?: ApproveOptions): Promise<SessionView>;
  checkDrift(deploymentId: string, userId: string, options?: { projectId?: string; background?: boolean }): Promise<DriftRecord>;
}

/** What the answer of a job is read back from once it has ended (the worker wrote it to the database). */
export interface JobResults {
  currentPlan(sessionId: string): Promise<PlanResult>;
  session(sessionId: string): Promise<SessionView>;
  deploymentId(idOrName: string, projectId?: string): Promise<string>;
  drift(deploymentId: string): Promise<DriftRecord>;
}

/**
 * The terraform operations as the orchestrator offers them: run here
 * (in-process) or, with the job queue, sent as a job and answered once it has
 * ended — the same result, read back from the database, or the same error,
 * as the worker reported it.
 */
export class QueuedOperations implements LocalOperations {
  constructor(
    private readonly local: LocalOperations,
    private readonly jobs: JobDispatch,
    private readonly results: JobResults,
  ) {}

  async runPlan(sessionId: string, userId: string, options: RunOptions = {}): Promise<PlanResult> {
    if (!this.jobs.queued) return this.local.runPlan(sessionId, userId, options);
    await this.dispatch('plan', { sessionId, userId }, options.onOutput);
    return this.results.currentPlan(sessionId);
  }

  async destroySession(sessionId: string, userId: string, options: RunOptions = {}): Promise<PlanResult> {
    if (!this.jobs.queued) return this.local.destroySession(sessionId, userId, options);
    await this.dispatch('destroy-plan', { sessionId, userId }, options.onOutput);
    return this.results.currentPlan(sessionId);
  }

  async approveAndApply(sessionId: string, userId: string, options: ApproveOptions = {}): Promise<SessionView> {
    if (!this.jobs.queued) return this.local.approveAndApply(sessionId, userId, options);
    try {
      await this.dispatch('apply', { sessionId, userId, ...(options.planId === undefined ? {} : { planId: options.planId }) }, options.onOutput);
    } catch (error) {
      // Its worker was lost mid-apply: the session says so (FAILED, "worker lost during apply"), as an apply that failed.
      const view = await this.results.session(sessionId);
      if (isCloudEngineError(error) && error.code === 'INTERNAL' && view.state === 'FAILED') return view;
      throw error;
    }
    return this.results.session(sessionId);
  }

  async checkDrift(deploymentId: string, userId: string, options: { projectId?: string; background?: boolean } = {}): Promise<DriftRecord> {
    if (!this.jobs.queued) return this.local.checkDrift(deploymentId, userId, options);
    const id = await this.results.deploymentId(deploymentId, options.projectId);
    await this.dispatch('drift', { deploymentId: id, userId, ...(options.background ? { background: true } : {}) });
    return this.results.drift(id);
  }

  /** Hands terraform work to the job queue and waits for it, as the system when the system asked. */
  private dispatch(kind: JobKind, args: Omit<JobArgs, 'system'>, onOutput?: (line: string) => void): Promise<void> {
    const system = systemCall(args.userId);
    return this.jobs.run(kind, { ...args, ...(system ? { system } : {}) }, args.sessionId === undefined ? undefined : { sessionId: args.sessionId, onOutput });
  }
}
