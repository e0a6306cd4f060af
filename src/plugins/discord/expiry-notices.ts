import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type Client, type TextChannel } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { expiredLine, expiryFailedLine, reminderLines } from '../../chat/expiry.js';
import type { BackgroundWork } from './background-work.js';
import type { ChannelPacer } from './channel-pacer.js';
import { clip, customId, LIMITS } from './discord-render.js';
import type { LobbyTracker } from './lobby-tracker.js';

/**
 * Posts the kernel's expiry reminders — with **Extend** and **Destroy now**
 * (`ce:extend:<deployment>`, `ce:destroy-now:<deployment>`) — and its notices
 * that a deployment expired or that its teardown failed (for its admins) in
 * the channel of the deployment's latest lobby, in the channel's pace. A
 * deployment whose lobby this bot never showed gets nothing here.
 */
export class ExpiryNotices {
  constructor(
    private readonly api: ChatApi,
    private readonly client: Client,
    private readonly pacer: ChannelPacer,
    private readonly lobbies: LobbyTracker,
    private readonly work: BackgroundWork,
  ) {}

  /** Follows the kernel's expiry events; returns how to stop. */
  follow(): (() => void)[] {
    const { events } = this.api;
    return [
      events.on('deployment.expiring', (event) => this.post(event.deploymentId, `⏰ ${reminderLines(event).join('\n')}`, true)),
      events.on('deployment.expired', (event) => this.post(event.deploymentId, `🗑️ ${expiredLine(event)}`, false)),
      events.on('deployment.expiryFailed', (event) => this.post(event.deploymentId, `⚠️ ${expiryFailedLine(event)}`, false)),
    ];
  }

  private post(deploymentId: string, text: string, buttons: boolean): void {
    const posting = (async () => {
      try {
        const channelId = await this.lobbies.deploymentChannel(deploymentId);
        if (!channelId) return;
        const channel = (await this.client.channels.fetch(channelId)) as TextChannel | null;
        if (!channel) return;
        const content = clip(this.api.redactor.redact(text), LIMITS.content);
        const components = buttons
          ? [
              new ActionRowBuilder<ButtonBuilder>().addComponents(
                new ButtonBuilder().setCustomId(customId('extend', deploymentId)).setLabel('Extend').setStyle(ButtonStyle.Primary),
                new ButtonBuilder().setCustomId(customId('destroy-now', deploymentId)).setLabel('Destroy now').setStyle(ButtonStyle.Danger),
              ),
            ]
          : [];
        await this.pacer.send(channelId, () => channel.send({ content, components }));
      } catch (error) {
        this.api.logger.warn({ err: error, deploymentId }, 'expiry notice not posted');
      }
    })();
    this.work.track(posting);
  }
}
