import { type ButtonInteraction } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { requirePreconditions, sessionAccess } from '../../chat/preconditions/index.js';
import type { SessionActions } from '../../chat/session-actions.js';
import type { ApplyThread } from './apply-thread.js';
import { parseCustomId, renderLobby } from './discord-render.js';
import { replyError } from './interaction-errors.js';
import type { LobbyTracker } from './lobby-tracker.js';
import type { ResourceForms } from './resource-forms.js';

/** The lobby's buttons (`ce:<action>:<session>[:<extra>]`): each to its handler; a refusal is answered privately. */
export class LobbyButtons {
  constructor(
    private readonly api: ChatApi,
    private readonly actions: SessionActions,
    private readonly lobbies: LobbyTracker,
    private readonly forms: ResourceForms,
    private readonly applies: ApplyThread,
  ) {}

  async onButton(interaction: ButtonInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id) return;
    const userId = interaction.user.id;
    try {
      switch (id.action) {
        case 'approve':
          return await this.applies.approve(interaction, id.sessionId, id.extra);
        case 'add':
          return await this.forms.chooseType(interaction, id.sessionId);
        case 'retry':
          return await this.forms.reopen(interaction, id.extra);
        case 'refresh':
          await interaction.update(renderLobby(await this.actions.lobby(id.sessionId, userId)));
          return;
        case 'cancel': {
          await requirePreconditions([sessionAccess('session.cancel')], { api: this.api, userId, args: { session_id: id.sessionId } });
          // Cancelling an apply waits for terraform to stop: acknowledge first.
          await interaction.deferUpdate();
          await this.actions.cancel(id.sessionId, userId);
          await this.lobbies.refresh(id.sessionId);
          return;
        }
      }
    } catch (error) {
      await replyError(interaction, error, this.api.logger);
    }
  }
}
