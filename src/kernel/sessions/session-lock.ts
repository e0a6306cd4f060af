import { CloudEngineError } from '../errors.js';
import { token } from '../plugin/token.js';

export interface LockHolder {
  readonly operation: string;
  readonly userId: string;
  readonly since: Date;
}

/** One operation per session at a time, across the whole process. */
export class SessionLocks {
  private readonly held = new Map<string, LockHolder>();

  holder(sessionId: string): LockHolder | undefined {
    return this.held.get(sessionId);
  }

  /** Runs `work` holding the session's lock; a second caller gets LOCKED naming the holder. */
  async run<T>(sessionId: string, operation: string, userId: string, work: () => Promise<T>): Promise<T> {
    const current = this.held.get(sessionId);
    if (current) {
      throw new CloudEngineError(
        'LOCKED',
        `Session ${sessionId} is busy: ${current.operation} started by ${current.userId} at ${current.since.toISOString()}. Wait for it to finish, then try again.`,
        { details: { sessionId, operation: current.operation, holder: current.userId, since: current.since.toISOString() } },
      );
    }
    this.held.set(sessionId, { operation, userId, since: new Date() });
    try {
      return await work();
    } finally {
      this.held.delete(sessionId);
    }
  }
}
export const SessionLocksToken = token<SessionLocks>('kernel.session-locks');
