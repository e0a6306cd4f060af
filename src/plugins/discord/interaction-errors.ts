import { randomUUID } from 'node:crypto';
import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type ModalSubmitInteraction, type StringSelectMenuInteraction } from 'discord.js';
import { isCloudEngineError } from '../../kernel/errors.js';
import type { Logger } from '../../kernel/logger.js';
import { errorReply } from '../../chat/chat-message.js';
import { renderMessage } from './discord-render.js';

export type RepliableInteraction = ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction | ModalSubmitInteraction;

/** Answers a failed interaction privately: its first reply, or a follow-up once it was acknowledged. */
export async function replyError(interaction: RepliableInteraction, error: unknown, logger: Logger): Promise<void> {
  const reference = randomUUID().slice(0, 8);
  if (!isCloudEngineError(error)) logger.error({ err: error, reference }, 'discord interaction failed');
  const reply = errorReply(error, reference);
  const body = reply.kind === 'message' ? renderMessage(reply.message) : { embeds: [] };
  if (interaction.deferred || interaction.replied) await interaction.followUp({ ...body, flags: MessageFlags.Ephemeral });
  else await interaction.reply({ ...body, flags: MessageFlags.Ephemeral });
}
