import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import { message, type ChatReply } from './chat-message.js';
import { driftButtons, driftLines } from './drift.js';
import { buildLobby, type LobbyModel } from './lobby.js';

/**
 * Drift as operations every adapter shares: check a deployment now (the
 * report, with Reconcile and Dismiss when it drifted), Reconcile (the
 * lobby of a change planned to put the cloud back), and Dismiss.
 */
export class DriftActions {
  constructor(private readonly api: ChatApi) {}

  /** `/cloud-drift`: checks now and answers with what differs, in the channel. */
  async check(deployment: string, userId: string, projectId?: string): Promise<ChatReply> {
    const found = await this.api.deployments.get(deployment, userId, projectId);
    const drift = await this.api.orchestrator.checkDrift(found.id, userId);
    return message(driftLines(drift, found), {
      title: `Drift · ${found.name}`,
      tone: drift.status === 'NONE' ? 'success' : drift.status === 'DRIFTED' ? 'warning' : 'error',
      ephemeral: false,
      buttons: driftButtons(drift, found.id),
    });
  }

  /** A drift notice as posted to the deployment's channel (the kernel's `deployment.drifted`). */
  notice(drift: Parameters<typeof driftLines>[0], deployment: { id: string; name: string; projectId: string }): ChatReply {
    return message(driftLines(drift, deployment), { title: `Drift · ${deployment.name}`, tone: 'warning', ephemeral: false, buttons: driftButtons(drift, deployment.id) });
  }

  /** Reconcile: a change of the deployment as declared, planned at once; its lobby, to approve like any plan. */
  async reconcile(deploymentId: string, userId: string): Promise<LobbyModel> {
    return buildLobby(this.api, await this.api.orchestrator.reconcileDrift(deploymentId, userId));
  }

  /** Dismiss: the drift is acknowledged until it changes; the line to show. */
  async dismiss(deploymentId: string, userId: string): Promise<string> {
    const found = await this.api.deployments.get(deploymentId, userId);
    const drift = await this.api.orchestrator.dismissDrift(found.id, userId);
    return `Drift of deployment ${found.name} dismissed by ${drift.dismissed?.by ?? userId}; it is announced again only if it changes.`;
  }
}
