import { BUSY_STATES, DONE_STATES, DeploymentState, EDITABLE_STATES, stateAfterCancel } from './deployment-state.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { ownerGone, parseOwner } from './process-owner.js';
import { SessionErrors } from './session-errors.js';
import { authorize, requireUser, type SessionServices } from './session-services.js';
import type { SessionView } from './session-view.js';

const S = DeploymentState;

/** Cancelling a session: its running plan or apply stopped, or the session ended where it stands. */
export class Cancellation {
  constructor(private readonly services: SessionServices) {}

  /**
   * Cancels a session. During a plan the plan is stopped; during an apply
   * terraform gets SIGINT so it saves state, and the session ends FAILED. A
   * planned teardown is withdrawn: the deployment stays as it was.
   */
  async cancelSession(sessionId: string, userId: string): Promise<SessionView> {
    requireUser(userId);
    const { store, operations, audit, locks } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.cancel', session.projectId, session);
    const running = operations.current(sessionId);
    if (running) {
      await audit.record({ actor: userId, action: 'session.cancel_requested', projectId: session.projectId, sessionId, details: { during: running } });
      await operations.stop(sessionId, `cancelled by ${userId}`);
      return store.view(sessionId);
    }
    if (DONE_STATES.includes(session.state)) throw SessionErrors.nothingToCancel(session);
    if (BUSY_STATES.includes(session.state)) return this.cancelOrphaned(session, userId);
    return locks.run(sessionId, 'cancel', userId, async () => {
      if (session.state === S.DESTROY_READY) {
        // Withdrawing a planned teardown leaves the deployment as it was.
        await store.transition({
          sessionId,
          from: [S.DESTROY_READY],
          to: stateAfterCancel(session),
          actor: userId,
          patch: { currentPlanId: null, teardownFrom: null },
          details: { reason: 'teardown withdrawn' },
        });
        return store.view(sessionId);
      }
      await store.transition({ sessionId, from: EDITABLE_STATES, to: stateAfterCancel(session), actor: userId, patch: { currentPlanId: null } });
      return store.view(sessionId);
    });
  }

  /**
   * Cancels a session recorded as busy while nothing runs for it here: its
   * operation's end could not be written (the database failed), or the
   * process running it is gone. A live process elsewhere keeps it: LOCKED.
   */
  private async cancelOrphaned(session: CloudSessionEntity, userId: string): Promise<SessionView> {
    const { store, operations } = this.services;
    const owner = parseOwner(session.operationOwner);
    const ownedHere = session.operationOwner === operations.ownerId;
    if (!ownedHere && !ownerGone(owner) && owner !== undefined) throw SessionErrors.busyElsewhere(session);
    const to = stateAfterCancel(session);
    await store.transition({
      sessionId: session.id,
      from: [session.state],
      to,
      actor: userId,
      patch: { ...(to === S.FAILED ? { error: `cancelled by ${userId}: its ${session.state.toLowerCase()} was no longer running` } : {}), teardownFrom: null },
      details: { orphaned: true, owner: session.operationOwner },
    });
    return store.view(session.id);
  }
}
