import { token } from '../plugin/token.js';
import type { JobArgs, JobKind } from './job-kinds.js';

/** Where a queued job's terraform lines go while the caller waits. */
export interface JobFollow {
  readonly sessionId: string;
  readonly onOutput?: (line: string) => void;
}

/**
 * Where the orchestrator's terraform work runs. In-process (the default, one
 * machine on SQLite or PostgreSQL) `queued` is false and the orchestrator runs
 * it itself; with the PostgreSQL job queue each operation is a job a worker
 * process runs, and `run` resolves when it has ended, rethrowing the error a
 * caller would have got in-process.
 */
export interface JobDispatch {
  readonly queued: boolean;
  run(kind: JobKind, args: JobArgs, follow?: JobFollow): Promise<void>;
  /** Jobs waiting for a worker ahead of this session's, 1-based; undefined when it is not waiting. */
  position(sessionId: string): Promise<number | undefined>;
  /** Jobs waiting and running, on every process; null in-process. */
  depth(): Promise<{ waiting: number; running: number } | null>;
  close(): Promise<void>;
}
export const JobDispatchToken = token<JobDispatch>('kernel.job-dispatch');

/** Everything runs in this process. */
export const IN_PROCESS: JobDispatch = {
  queued: false,
  run: () => Promise.reject(new Error('in-process work is run by the orchestrator, not dispatched')),
  position: () => Promise.resolve(undefined),
  depth: () => Promise.resolve(null),
  close: () => Promise.resolve(),
};
