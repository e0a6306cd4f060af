import type { Client, TextChannel } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import type { ChatButton, ChatMessage } from '../../chat/chat-message.js';
import { DriftActions } from '../../chat/drift-actions.js';
import { expiredLine, expiryFailedLine, reminderLines } from '../../chat/expiry.js';
import type { BackgroundWork } from './background-work.js';
import type { ChannelPacer } from './channel-pacer.js';
import { clip, LIMITS, renderMessage } from './discord-render.js';
import type { LobbyTracker } from './lobby-tracker.js';

/**
 * Posts what the kernel says about a deployment on its own — expiry
 * reminders with **Extend** and **Destroy now**, that it expired or that its
 * teardown failed (for its admins), that a worker was lost under one of its
 * changes (for its admins), and a drift found, with **Reconcile** and
 * **Dismiss** — in the channel of the deployment's latest lobby, in the
 * channel's pace. A deployment whose lobby this bot never showed gets nothing here.
 */
export class DeploymentNotices {
  private readonly drift: DriftActions;

  constructor(
    private readonly api: ChatApi,
    private readonly client: Client,
    private readonly pacer: ChannelPacer,
    private readonly lobbies: LobbyTracker,
    private readonly work: BackgroundWork,
  ) {
    this.drift = new DriftActions(api);
  }

  /** Follows the kernel's expiry and drift events; returns how to stop. */
  follow(): (() => void)[] {
    const { events } = this.api;
    const expiryButtons = (deploymentId: string): ChatButton[] => [
      { action: 'extend', target: deploymentId, label: 'Extend', style: 'primary' },
      { action: 'destroy-now', target: deploymentId, label: 'Destroy now', style: 'danger' },
    ];
    return [
      events.on('deployment.expiring', (event) => this.postText(event.deploymentId, `⏰ ${reminderLines(event).join('\n')}`, expiryButtons(event.deploymentId))),
      events.on('deployment.expired', (event) => this.postText(event.deploymentId, `🗑️ ${expiredLine(event)}`, [])),
      events.on('deployment.expiryFailed', (event) => this.postText(event.deploymentId, `⚠️ ${expiryFailedLine(event)}`, [])),
      events.on('session.workerLost', (event) =>
        this.postText(event.deploymentId, `⚠️ Admins of ${event.projectId}: session ${event.sessionId} lost its worker (${event.owner}); it is now ${event.to}. ${event.reason}`, []),
      ),
      events.on('deployment.drifted', (event) => {
        const reply = this.drift.notice(event.drift, { id: event.deploymentId, name: event.name, projectId: event.projectId });
        if (reply.kind === 'message') this.post(event.deploymentId, reply.message);
      }),
    ];
  }

  private postText(deploymentId: string, text: string, buttons: ChatButton[]): void {
    const { components } = renderMessage({ lines: [], tone: 'info', ephemeral: false, buttons });
    this.send(deploymentId, () => ({ content: clip(this.api.redactor.redact(text), LIMITS.content), components }));
  }

  private post(deploymentId: string, message: ChatMessage): void {
    const redact = (text: string) => this.api.redactor.redact(text);
    const { embeds, components } = renderMessage({ ...message, ...(message.title ? { title: redact(message.title) } : {}), lines: message.lines.map(redact) });
    this.send(deploymentId, () => ({ embeds, components }));
  }

  private send(deploymentId: string, body: () => Parameters<TextChannel['send']>[0]): void {
    const posting = (async () => {
      try {
        const channelId = await this.lobbies.deploymentChannel(deploymentId);
        if (!channelId) return;
        const channel = (await this.client.channels.fetch(channelId)) as TextChannel | null;
        if (!channel) return;
        await this.pacer.send(channelId, () => channel.send(body()));
      } catch (error) {
        this.api.logger.warn({ err: error, deploymentId }, 'deployment notice not posted');
      }
    })();
    this.work.track(posting);
  }
}
