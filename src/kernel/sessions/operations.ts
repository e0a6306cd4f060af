import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { CloudEngineError } from '../errors.js';
import type { KernelEvents } from '../events/kernel-events.js';
import type { Logger } from '../logger.js';
import type { Database } from '../persistence/database.js';
import type { Redactor } from '../secrets/redactor.js';
import type { TerraformEvent } from '../terraform/terraform-events.js';
import type { TerraformContext } from '../terraform/terraform-runner.js';
import { OutputRecorder } from './output-recorder.js';
import type { RunOptions } from './session-inputs.js';

/** The terraform work a session may have running in this process. */
export type OperationKind = 'plan' | 'apply';

interface Running {
  readonly controller: AbortController;
  readonly operation: OperationKind;
  readonly done: Promise<unknown>;
}

/**
 * This process's terraform work per session: what runs (so cancel and
 * shutdown can stop it), where it waits in the terraform queue, and the
 * context each terraform command runs with (streaming, redaction, persisted
 * output).
 */
export class Operations {
  /** This process, as recorded on the sessions it is running: `host:pid:boot`. */
  readonly ownerId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly running = new Map<string, Running>();
  /** Sessions whose terraform waits for a free slot, and their place in the queue. */
  private readonly queued = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly events: KernelEvents,
    private readonly logger: Logger,
  ) {}

  /** Where the session's terraform waits for a slot, or null when it does not wait. */
  queuePosition(sessionId: string): number | null {
    return this.queued.get(sessionId) ?? null;
  }

  /**
   * A place in a queue elsewhere (the job queue, a worker's slots), as
   * another process announced it (`terraform.queued`, relayed): kept so this
   * process's views show it too; 0 clears it.
   */
  noteQueued(sessionId: string, position: number): void {
    if (position > 0) this.queued.set(sessionId, position);
    else this.queued.delete(sessionId);
  }

  /** The operation running for a session here, if any. */
  current(sessionId: string): OperationKind | undefined {
    return this.running.get(sessionId)?.operation;
  }

  /** Runs `work` as the session's operation, with a signal that `stop` and `shutdown` abort. */
  async track<T>(sessionId: string, operation: OperationKind, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const done = work(controller.signal);
    this.running.set(sessionId, { controller, operation, done });
    try {
      return await done;
    } finally {
      this.running.delete(sessionId);
      this.queued.delete(sessionId);
    }
  }

  /** Stops the session's running operation (if any) and waits for it to end; false when nothing ran. */
  async stop(sessionId: string, reason: string): Promise<boolean> {
    const work = this.running.get(sessionId);
    if (!work) return false;
    work.controller.abort(new CloudEngineError('INVALID_STATE', reason));
    await work.done.catch(() => undefined);
    return true;
  }

  /** Stops every running operation and waits for them (kernel.close). */
  async shutdown(): Promise<void> {
    for (const work of this.running.values()) work.controller.abort(new CloudEngineError('INVALID_STATE', 'the kernel is shutting down'));
    await Promise.allSettled([...this.running.values()].map((work) => work.done));
  }

  /** A recorder persisting the session's output lines as they stream. */
  recorder(sessionId: string, operation: OperationKind): Promise<OutputRecorder> {
    return OutputRecorder.open(this.db, sessionId, operation, (error) => this.logger.error({ err: error, sessionId }, 'could not persist output'));
  }

  /**
   * How one of the session's terraform commands runs: its queue position
   * announced, every line redacted before anything sees it, persisted,
   * emitted as `output.line` and passed to `onOutput`.
   */
  terraformContext(args: {
    sessionId: string;
    cwd: string;
    env: Record<string, string>;
    operation: OperationKind;
    options: RunOptions;
    signal: AbortSignal;
    recorder: OutputRecorder;
    redactor: Redactor;
  }): TerraformContext {
    const { sessionId, operation, options, recorder } = args;
    const redactLine = args.redactor.lines();
    return {
      cwd: args.cwd,
      env: args.env,
      signal: args.signal,
      onQueued: (position: number) => {
        this.queued.set(sessionId, position);
        this.events.emit('terraform.queued', { sessionId, position });
      },
      onEvent: (event: TerraformEvent) => {
        // Terraform speaking means it got its slot.
        if (this.queued.delete(sessionId)) this.events.emit('terraform.queued', { sessionId, position: 0 });
        // Routine init chatter would flood chat; its warnings and errors still show.
        if (event.type === 'version' || event.message === '' || (event.command === 'init' && event.level === 'info')) return;
        // terraform apply repeats the plan's "Plan to create" lines; they were shown with the plan.
        if (event.command === 'apply' && event.type === 'planned_change') return;
        // Redacted before anything sees it (chat, listeners, the database), then cut to length: the recorder returns the stored line.
        const line = recorder.add(redactLine(event.message), event.level);
        this.events.emit('output.line', { sessionId, operation, line, level: event.level });
        if (options.onOutput) {
          try {
            options.onOutput(line);
          } catch (error) {
            this.logger.warn({ err: error, sessionId }, 'onOutput callback threw');
          }
        }
      },
    };
  }
}
