import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import { isCloudEngineError } from '../kernel/errors.js';
import { buildLobby, type LobbyModel } from './lobby.js';

/** The lobby's buttons as operations every adapter shares: change, plan by itself, approve, cancel. */
export class SessionActions {
  constructor(private readonly api: ChatApi) {}

  /** Starts a session (`/cloud-deploy`) and returns its lobby. */
  async open(userId: string, projectId: string, provider?: string): Promise<LobbyModel> {
    const session = await this.api.orchestrator.startSession(userId, projectId, provider);
    return buildLobby(this.api, session);
  }

  async lobby(sessionId: string, viewerId: string): Promise<LobbyModel> {
    return buildLobby(this.api, await this.api.orchestrator.getSession(sessionId, viewerId));
  }

  /**
   * Adds a resource; planning then starts by itself. Returns the lobby right
   * after the change and a promise of the lobby once the plan has finished
   * (a failed plan is shown in the lobby, not thrown).
   */
  async addResource(
    sessionId: string,
    userId: string,
    resource: { type: string; name: string; config: Record<string, unknown> },
    onOutput?: (line: string) => void,
  ): Promise<{ lobby: LobbyModel; planned: Promise<LobbyModel> }> {
    const session = await this.api.orchestrator.addResource(sessionId, userId, resource);
    return { lobby: await buildLobby(this.api, session), planned: this.plan(sessionId, userId, onOutput) };
  }

  /** Plans the session; user errors (policy, quota, terraform) end up in the lobby, not thrown. */
  async plan(sessionId: string, userId: string, onOutput?: (line: string) => void): Promise<LobbyModel> {
    try {
      await this.api.orchestrator.runPlan(sessionId, userId, { onOutput });
    } catch (error) {
      if (!isCloudEngineError(error)) throw error;
      // LOCKED: a plan is already running and will update the lobby itself.
      if (error.code === 'PERMISSION_DENIED') throw error;
    }
    return this.lobby(sessionId, userId);
  }

  /**
   * Approve & Deploy: applies the shown plan, streaming every line; returns
   * the final lobby. `planId` is the plan the approver was shown: when the
   * session has been re-planned since, the kernel refuses with PLAN_STALE.
   */
  async approve(sessionId: string, userId: string, onOutput?: (line: string) => void, planId?: string): Promise<LobbyModel> {
    const session = await this.api.orchestrator.approveAndApply(sessionId, userId, { onOutput, planId });
    return buildLobby(this.api, session);
  }

  async cancel(sessionId: string, userId: string): Promise<LobbyModel> {
    return buildLobby(this.api, await this.api.orchestrator.cancelSession(sessionId, userId));
  }
}
