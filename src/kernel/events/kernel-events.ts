import { EventEmitter } from 'node:events';
import { token } from '../plugin/token.js';
import type { DeploymentState } from '../sessions/deployment-state.js';
import type { PlanResult } from '../sessions/session-view.js';
import type { AccessRequestView } from '../access/access-requests.js';
import type { AccessLevel } from '../access/authorizer.js';
import type { DriftRecord } from '../drift/drift-record.js';

/** Everything the kernel announces to chat adapters, by event name. */
export interface KernelEventMap {
  'session.created': { sessionId: string; projectId: string; userId: string };
  'session.stateChanged': { sessionId: string; projectId: string; from: DeploymentState; to: DeploymentState; actor: string; error?: string };
  'session.resourcesChanged': { sessionId: string; actor: string };
  /** An approval of the session's plan `planId` was recorded: `given` of `required` so far (the apply starts once they match). */
  'session.approved': { sessionId: string; projectId: string; userId: string; planId: string; given: number; required: number };
  /** `userId` withdrew their approval before the apply: `given` of `required` left. */
  'session.approvalRevoked': { sessionId: string; projectId: string; userId: string; given: number; required: number };
  /** A session's terraform waits for a free slot at `position` (1-based); 0 once it runs. */
  'terraform.queued': { sessionId: string; position: number };
  'plan.ready': { sessionId: string; plan: PlanResult };
  'output.line': { sessionId: string; operation: 'plan' | 'apply'; line: string; level: 'info' | 'warn' | 'error' };
  'apply.finished': { sessionId: string; state: DeploymentState; error?: string; outputs?: Record<string, unknown> };
  /** A reminder before a deployment's expiry (once per reminder offset); `lateMs` > 0 when a kernel was down at its due time. */
  'deployment.expiring': { deploymentId: string; projectId: string; name: string; expiresAt: Date; remaining: number; lateMs: number };
  /** The kernel tore an expired deployment down (as `cloud-engine`). */
  'deployment.expired': { deploymentId: string; projectId: string; name: string; expiresAt: Date; sessionId: string | null; lateMs: number };
  /** An expired deployment's teardown did not happen (a change open, a policy, terraform): retried at `retryAt`. Tell its admins. */
  'deployment.expiryFailed': { deploymentId: string; projectId: string; name: string; expiresAt: Date; attempts: number; retryAt: Date; error: string };
  /** Someone asked for access: post it for the project's admins, in `requestsChannel`, else where it was asked (`askedIn`, a chat channel id). */
  'access.requested': { request: AccessRequestView; requestsChannel: string | null; askedIn: string | null };
  /** A request was approved (the grant exists) or denied, by `deciderId` (the requester: withdrawn). Tell the requester. */
  'access.decided': { request: AccessRequestView; decision: 'approve' | 'deny'; deciderId: string };
  /** A request lapsed unanswered after a day. */
  'access.requestExpired': { request: AccessRequestView };
  /** A timed grant ends soon (once per grant): tell its holder, with Request extension. */
  'access.grantExpiring': { projectId: string; userId: string; level: AccessLevel; expiresAt: Date; remaining: number; durationMs: number };
  /** A worker process stopped answering while it ran the session's plan (planned again elsewhere) or apply (FAILED): tell the project's admins. */
  'session.workerLost': { sessionId: string; projectId: string; deploymentId: string; owner: string; to: DeploymentState; reason: string };
  /** A chat adapter answered an interaction first (Discord allows 3 s): how long after the user's click or command, ms. Not relayed: each process's own. */
  'chat.acknowledged': { adapter: string; ms: number };
  /** A drift check found a drift not announced (or dismissed) before: once per distinct drift. */
  'deployment.drifted': { deploymentId: string; projectId: string; name: string; drift: DriftRecord };
}
export type KernelEventName = keyof KernelEventMap;

/** A typed event bus; a listener that throws is logged, never breaks the kernel. */
export class KernelEvents {
  private readonly emitter = new EventEmitter({ captureRejections: false });
  private readonly taps = new Set<(event: KernelEventName, payload: unknown) => void>();

  constructor(private readonly onListenerError: (event: string, error: unknown) => void = () => {}) {
    this.emitter.setMaxListeners(0);
  }

  on<E extends KernelEventName>(event: E, listener: (payload: KernelEventMap[E]) => void): () => void {
    const safe = (payload: KernelEventMap[E]) => {
      try {
        const result = listener(payload) as unknown;
        if (result instanceof Promise) result.catch((error) => this.onListenerError(event, error));
      } catch (error) {
        this.onListenerError(event, error);
      }
    };
    this.emitter.on(event, safe);
    return () => this.emitter.off(event, safe);
  }

  emit<E extends KernelEventName>(event: E, payload: KernelEventMap[E]): void {
    this.emitter.emit(event, payload);
    for (const tap of this.taps) tap(event, payload);
  }

  /**
   * Hears every event this process emits itself (not those `emitFromElsewhere`
   * passes on): what the job queue's relay sends to the other processes.
   */
  tap(listener: (event: KernelEventName, payload: unknown) => void): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /** An event another process emitted (relayed over the database): heard by every listener here, not tapped again. */
  emitFromElsewhere<E extends KernelEventName>(event: E, payload: KernelEventMap[E]): void {
    this.emitter.emit(event, payload);
  }

  removeAll(): void {
    this.emitter.removeAllListeners();
    this.taps.clear();
  }
}
export const KernelEventsToken = token<KernelEvents>('kernel.events');
