import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type ModalSubmitInteraction, type StringSelectMenuInteraction } from 'discord.js';
import type { Logger } from '../../kernel/logger.js';
import { failureReply } from '../../chat/chat-errors.js';
import type { ChatReply } from '../../chat/chat-message.js';
import { parseCustomId, renderMessage } from './discord-render.js';

export type RepliableInteraction = ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction | ModalSubmitInteraction;

/**
 * The reply to an interaction that failed, as chat words it (`failureReply`):
 * an internal failure is logged with who clicked or typed what, and the
 * session, under the reference the person is shown.
 */
export function interactionFailure(interaction: RepliableInteraction, error: unknown, logger: Logger): ChatReply {
  const context = interaction.isChatInputCommand()
    ? { userId: interaction.user.id, command: interaction.commandName }
    : { userId: interaction.user.id, customId: interaction.customId, sessionId: parseCustomId(interaction.customId)?.sessionId };
  return failureReply(error, logger, 'discord interaction failed', context);
}

/** Answers a failed interaction privately: its first reply, or a follow-up once it was acknowledged. */
export async function replyError(interaction: RepliableInteraction, error: unknown, logger: Logger): Promise<void> {
  const reply = interactionFailure(interaction, error, logger);
  const body = reply.kind === 'message' ? renderMessage(reply.message) : { embeds: [] };
  if (interaction.deferred || interaction.replied) await interaction.followUp({ ...body, flags: MessageFlags.Ephemeral });
  else await interaction.reply({ ...body, flags: MessageFlags.Ephemeral });
}
