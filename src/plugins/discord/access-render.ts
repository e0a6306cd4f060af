import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type APIEmbed } from 'discord.js';
import type { ChatButton, ChatMessage } from '../../chat/chat-message.js';
import { clip, customId, renderMessage } from './discord-render.js';

const STYLES = { primary: ButtonStyle.Primary, secondary: ButtonStyle.Secondary, danger: ButtonStyle.Danger } as const;

/** An access message (a request card, a decision, a grant's expiry notice) as a Discord body: its embed and its buttons (`ce:<action>:<target>`). */
export function renderAccessMessage(message: ChatMessage, content?: string): { content?: string; embeds: APIEmbed[]; components: ActionRowBuilder<ButtonBuilder>[] } {
  const buttons: readonly ChatButton[] = message.buttons ?? [];
  const rows = buttons.length
    ? [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons.slice(0, 5).map((button) => new ButtonBuilder().setCustomId(customId(button.action, button.target)).setLabel(clip(button.label, 80)).setStyle(STYLES[button.style])))]
    : [];
  return { ...(content === undefined ? {} : { content: clip(content, 2000) }), embeds: renderMessage(message).embeds, components: rows };
}
