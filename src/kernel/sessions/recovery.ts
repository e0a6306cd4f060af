import { hostname } from 'node:os';
import { BUSY_STATES, DeploymentState, stateAfterInterruption } from './deployment-state.js';
import { parseOwner, processAlive, removeStaleLocalLock, settleWorkingDir } from './process-owner.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { SessionServices } from './session-services.js';
import type { StateReader } from './state-reader.js';

const S = DeploymentState;

/** Start-up recovery: sessions left busy by a process that is gone are resolved, nothing left running. */
export class Recovery {
  constructor(
    private readonly services: SessionServices,
    private readonly state: StateReader,
  ) {}

  /**
   * Resolves sessions left busy by a process that is gone (run at start-up):
   * a plan becomes PLAN_FAILED and an apply FAILED with reason "interrupted",
   * their output kept; terraform processes still running in the session's
   * working dir are stopped and a stale local state lock removed. Sessions
   * owned by a live process, or by another host, are left alone.
   */
  async recoverInterrupted(): Promise<string[]> {
    const { store, operations } = this.services;
    const recovered: string[] = [];
    for (const session of await store.list({ states: BUSY_STATES })) {
      const owner = parseOwner(session.operationOwner);
      if (owner && owner.host !== hostname()) {
        this.services.logger.warn({ sessionId: session.id, owner: session.operationOwner }, 'session busy on another host; left alone');
        continue;
      }
      if (owner && owner.id !== operations.ownerId && processAlive(owner.pid)) continue;
      if (await this.resolve(session, 'stopped')) recovered.push(session.id);
    }
    return recovered;
  }

  /**
   * Resolves sessions left busy by worker processes that stopped answering
   * (`lost`: their heartbeat is stale, on any host), as `recoverInterrupted`
   * does for a stopped process here; returns the sessions this process
   * resolved (of several sweeping at once, one resolves each).
   */
  async recoverLost(lost: (owner: string) => boolean): Promise<CloudSessionEntity[]> {
    const resolved: CloudSessionEntity[] = [];
    for (const session of await this.services.store.list({ states: BUSY_STATES })) {
      if (session.operationOwner === null || session.operationOwner === this.services.operations.ownerId || !lost(session.operationOwner)) continue;
      if (await this.resolve(session, 'lost')) resolved.push(session);
    }
    return resolved;
  }

  /** A plan becomes PLAN_FAILED and an apply FAILED, saying why; false when another process resolved it first. */
  private async resolve(session: CloudSessionEntity, why: 'stopped' | 'lost'): Promise<boolean> {
    const { store, logger, projects, events } = this.services;
    const workingDir = store.workingDir(session);
    // Nothing may still write the state we are about to read.
    const stopped = await settleWorkingDir(workingDir);
    const lockRemoved = await removeStaleLocalLock(workingDir);
    const to = stateAfterInterruption(session);
    const applying = to === S.FAILED;
    const project = await projects.get(session.projectId).catch(() => undefined);
    const backend = (project?.settings.backend as { type?: string } | undefined)?.type ?? (this.services.synthesizer.sharedState ? 'pg' : 'local');
    // A remote backend's lock is not ours to break blindly: say how to release it.
    const unlock =
      backend === 'local'
        ? ''
        : backend === 'pg'
          ? " If terraform then reports the state is locked: the pg backend's lock is a PostgreSQL advisory lock of the stopped terraform's connection, released when that connection ends (the server notices a dead peer through TCP keepalives; an admin can end it with pg_terminate_backend on the pid that holds the advisory lock in pg_locks)."
          : ` If terraform then reports the state is locked, release it with \`terraform force-unlock <LOCK ID>\` in the deployment's working dir, using the project's ${backend} backend credentials.`;
    const owner = session.operationOwner ?? 'unknown';
    const reason =
      (why === 'lost'
        ? applying
          ? `worker lost during apply: the worker applying this session (${owner}) stopped answering before terraform finished; the apply is not run again by itself. Terraform's state keeps what it did; start a new change to plan the rest, or destroy it.`
          : `worker lost during plan: the worker planning this session (${owner}) stopped answering. The plan runs again on another worker.`
        : applying
          ? `interrupted: the process applying this session (${owner}) stopped before terraform finished. Terraform's state keeps what it did; start a new session to plan the rest, or destroy this one.`
          : `interrupted: the process planning this session (${owner}) stopped. Plan again.`) + unlock;
    // What the interrupted apply left in terraform's state keeps counting against quotas.
    const resourcesInState = applying && project ? await this.state.ofSession(session, project) : null;
    try {
      await store.transition({
        sessionId: session.id,
        from: [session.state],
        to,
        actor: 'system',
        patch: { error: reason, teardownFrom: null, ...(applying ? { resourcesInState } : {}) },
        details: { recovered: true, ...(why === 'lost' ? { workerLost: true } : {}), owner: session.operationOwner, terraformStopped: stopped, lockRemoved, ...(applying ? { resourcesInState } : {}) },
      });
      if (applying) events.emit('apply.finished', { sessionId: session.id, state: S.FAILED, error: reason });
      if (why === 'lost') events.emit('session.workerLost', { sessionId: session.id, projectId: session.projectId, deploymentId: session.deploymentId, owner, to, reason });
      return true;
    } catch (error) {
      // Another process may have resolved it first.
      logger.warn({ err: error, sessionId: session.id }, 'could not recover session');
      return false;
    }
  }
}
