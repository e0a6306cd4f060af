import type { Client, Message, TextChannel } from 'discord.js';
import type { AccessRequestView } from '../../kernel/access/access-requests.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import type { PluginState } from '../../kernel/plugin/plugin-state.js';
import { accessRules } from '../../kernel/access/access-settings.js';
import { decisionLine, extensionButton, grantExpiringLine, requestCard } from '../../chat/access-messages.js';
import type { ChatMessage } from '../../chat/chat-message.js';
import { renderAccessMessage } from './access-render.js';
import type { BackgroundWork } from './background-work.js';
import type { ChannelPacer } from './channel-pacer.js';

/** Where a request's card was posted, kept across restarts (plugin state). */
interface CardLocation {
  readonly channelId: string;
  readonly messageId: string;
}

const mention = (userId: string) => `<@${userId}>`;
const cardKey = (requestId: string) => `access-card:${requestId}`;

/**
 * Access requests on Discord: each request is posted for the project's
 * admins — in its `access.requestsChannel`, else in the channel where it was
 * asked — with **Approve** and **Deny**; when it is decided or lapses, the
 * card says so (its buttons gone) and the requester gets a direct message,
 * or, when Discord refuses one (DMs closed), a mention under the card. A
 * grant ending soon is told to its holder by DM, with **Request extension**
 * (DMs closed: with a mention in the project's requests channel).
 */
export class AccessNotices {
  private readonly state: PluginState;

  constructor(
    private readonly api: ChatApi,
    private readonly client: Client,
    private readonly pacer: ChannelPacer,
    private readonly work: BackgroundWork,
  ) {
    this.state = api.pluginState('discord');
  }

  /** Follows the kernel's access events; returns how to stop. */
  follow(): (() => void)[] {
    const { events } = this.api;
    return [
      events.on('access.requested', (event) => this.track(this.post(event.request, event.requestsChannel ?? event.askedIn), 'access request not posted')),
      events.on('access.decided', (event) => this.track(this.settled(event.request, event.deciderId !== event.request.userId), 'access decision not told')),
      events.on('access.requestExpired', (event) => this.track(this.settled(event.request, true), 'lapsed access request not told')),
      events.on('access.grantExpiring', (event) => {
        const notice: ChatMessage = { lines: [grantExpiringLine(event)], tone: 'warning', ephemeral: false, buttons: [extensionButton(event)] };
        this.track(this.expiring(event.projectId, event.userId, notice), 'grant expiry notice not sent');
      }),
    ];
  }

  private track(work: Promise<unknown>, failure: string): void {
    this.work.track(work.catch((error: unknown) => this.api.logger.warn({ err: error }, failure)));
  }

  private async post(request: AccessRequestView, channelId: string | null): Promise<void> {
    if (!channelId) return;
    const channel = (await this.client.channels.fetch(channelId)) as TextChannel | null;
    if (!channel?.isTextBased()) return;
    const body = renderAccessMessage(this.redacted(requestCard(request, mention)));
    const sent = await this.pacer.send(channelId, () => channel.send(body));
    await this.state.set(cardKey(request.id), { channelId, messageId: sent.id } satisfies CardLocation);
  }

  /** A decided or lapsed request: its card says what became of it (no buttons), the requester is told. */
  private async settled(request: AccessRequestView, tellRequester: boolean): Promise<void> {
    const line = this.api.redactor.redact(decisionLine(request, mention));
    const card = await this.state.get<CardLocation>(cardKey(request.id));
    let cardMessage: Message | undefined;
    if (card) {
      const channel = (await this.client.channels.fetch(card.channelId)) as TextChannel | null;
      cardMessage = await channel?.messages.fetch(card.messageId).catch(() => undefined);
      if (cardMessage) {
        const settledCard = { ...this.redacted(requestCard(request, mention)), lines: [line], tone: request.state === 'APPROVED' ? 'success' : 'info', buttons: [] } satisfies ChatMessage;
        await this.pacer.send(card.channelId, () => cardMessage!.edit(renderAccessMessage(settledCard)));
      }
      await this.state.delete(cardKey(request.id));
    }
    if (!tellRequester) return;
    const told = await this.direct(request.userId, { lines: [line], tone: request.state === 'APPROVED' ? 'success' : 'info', ephemeral: false });
    // No DM possible: a mention under the card, where the requester's request is.
    if (!told && cardMessage) await this.pacer.send(cardMessage.channelId, () => cardMessage!.reply({ content: line, allowedMentions: { users: [request.userId] } }));
  }

  /** A grant ending soon: a DM to its holder, else (DMs closed) a mention in the project's requests channel, Request extension with it. */
  private async expiring(projectId: string, userId: string, notice: ChatMessage): Promise<void> {
    if ((await this.direct(userId, notice)) || !/^\d{1,32}$/.test(userId)) return;
    const channelId = accessRules((await this.api.projects.get(projectId)).settings.access).requestsChannel;
    if (!channelId) return;
    const channel = (await this.client.channels.fetch(channelId)) as TextChannel | null;
    if (!channel?.isTextBased()) return;
    await this.pacer.send(channelId, () => channel.send({ ...renderAccessMessage(this.redacted(notice), mention(userId)), allowedMentions: { users: [userId] } }));
  }

  /** A direct message to a Discord user; false when Discord refuses it (DMs closed, not a Discord user). */
  private async direct(userId: string, message: ChatMessage): Promise<boolean> {
    if (!/^\d{1,32}$/.test(userId)) return false;
    try {
      const dm = await this.client.users.createDM(userId);
      await this.pacer.send(dm.id, () => dm.send(renderAccessMessage(this.redacted(message))));
      return true;
    } catch (error) {
      this.api.logger.info({ err: error, userId }, 'direct message refused');
      return false;
    }
  }

  private redacted(message: ChatMessage): ChatMessage {
    const redact = (text: string) => this.api.redactor.redact(text);
    return { ...message, ...(message.title ? { title: redact(message.title) } : {}), lines: message.lines.map(redact), ...(message.fields ? { fields: message.fields.map((field) => ({ name: redact(field.name), value: redact(field.value) })) } : {}) };
  }
}
