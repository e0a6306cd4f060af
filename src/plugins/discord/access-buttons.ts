import { MessageFlags, type ButtonInteraction } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { AccessActions } from '../../chat/access-actions.js';
import { whenText } from '../../chat/access-messages.js';
import { parseCustomId } from './discord-render.js';
import { replyError } from './interaction-errors.js';

const mention = (userId: string) => `<@${userId}>`;

/**
 * The access buttons (`ce:access-approve:<request>`, `ce:access-deny:<request>`,
 * `ce:access-extend:<project>/<level>/<duration>`): each click asks the
 * kernel as the clicking member, with the roles they hold now; the answer,
 * or the refusal, is private to the clicker (the card is updated for everyone
 * by AccessNotices when the kernel announces the decision).
 */
export class AccessButtons {
  private readonly actions: AccessActions;

  constructor(private readonly api: ChatApi) {
    this.actions = new AccessActions(api);
  }

  /** Whether a button is one of these. */
  static handles(customId: string): boolean {
    return parseCustomId(customId)?.action.startsWith('access-') === true;
  }

  async onButton(interaction: ButtonInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id) return;
    const userId = interaction.user.id;
    try {
      switch (id.action) {
        case 'access-approve':
        case 'access-deny': {
          const { line } = await this.actions.decide(id.sessionId, userId, id.action === 'access-approve' ? 'approve' : 'deny', mention);
          await interaction.reply({ content: this.api.redactor.redact(line), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] } });
          return;
        }
        case 'access-extend': {
          const request = await this.actions.extend(userId, id.sessionId);
          await interaction.reply({
            content: `Asked for ${request.level} on ${request.projectId} for ${request.duration} more (request ${request.id}); its admins decide. Unanswered, it lapses at ${whenText(request.expiresAt)}.`,
            flags: MessageFlags.Ephemeral,
          });
          return;
        }
      }
    } catch (error) {
      await replyError(interaction, error, this.api.logger);
    }
  }
}
