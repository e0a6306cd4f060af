import { MessageFlags, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import type { ChatCommand, CommandArgs } from '../../chat/chat-command.js';
import type { ChatReply } from '../../chat/chat-message.js';
import { suggest } from '../../chat/suggestions.js';
import { renderMessage } from './discord-render.js';
import { replyError } from './interaction-errors.js';
import type { LobbyTracker } from './lobby-tracker.js';

/**
 * Slash commands and their autocomplete: the chat commands run with the
 * typed options, answered inside Discord's 3 seconds (deferred privately
 * when the kernel takes longer), a lobby posted for the channel to see.
 */
export class SlashCommands {
  constructor(
    private readonly api: ChatApi,
    private readonly commands: ReadonlyMap<string, ChatCommand>,
    private readonly lobbies: LobbyTracker,
    private readonly deferAfterMs: number,
  ) {}

  async onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const command = this.commands.get(interaction.commandName);
    if (!command) return replyError(interaction, new Error(`unknown command ${interaction.commandName}`), this.api.logger);
    const args: Record<string, string | number | undefined> = {};
    for (const option of command.options) {
      if (option.type === 'user') args[option.name] = interaction.options.getUser(option.name)?.id;
      else if (option.type === 'integer') args[option.name] = interaction.options.getInteger(option.name) ?? undefined;
      else args[option.name] = interaction.options.getString(option.name) ?? undefined;
    }
    const running = command.run(interaction.user.id, args as CommandArgs).then(
      (reply) => ({ reply }),
      (error: unknown) => ({ error }),
    );
    // Answer inside Discord's 3-second window whatever the kernel is doing.
    let deferTimer: NodeJS.Timeout | undefined;
    const deferAt = new Promise<undefined>((resolve) => (deferTimer = setTimeout(() => resolve(undefined), this.deferAfterMs)));
    const quick = await Promise.race([running, deferAt]);
    // A quick answer leaves no timer behind (it would outlive a shutdown by up to deferAfterMs).
    clearTimeout(deferTimer);
    if (!quick) await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const outcome = quick ?? (await running);
    if ('error' in outcome) return replyError(interaction, outcome.error, this.api.logger);
    await this.sendReply(interaction, outcome.reply, Boolean(!quick));
  }

  async onAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const command = this.commands.get(interaction.commandName);
    const focused = interaction.options.getFocused(true);
    const option = command?.options.find((candidate) => candidate.name === focused.name);
    // The other options typed so far: a deployment is suggested from the project chosen.
    const typed: Record<string, string | number | undefined> = {};
    for (const other of command?.options ?? []) if (other.type === 'string' && other.name !== focused.name) typed[other.name] = interaction.options.getString(other.name) ?? undefined;
    const values = option?.suggestions ? await suggest(this.api, option.suggestions, interaction.user.id, String(focused.value), typed) : [];
    await interaction.respond(values.map((value) => ({ name: value, value })));
  }

  private async sendReply(interaction: ChatInputCommandInteraction, reply: ChatReply, deferred: boolean): Promise<void> {
    if (reply.kind === 'lobby') return this.lobbies.reply(interaction, reply.lobby, deferred);
    const body = renderMessage(reply.message);
    const flags = reply.message.ephemeral ? MessageFlags.Ephemeral : undefined;
    if (!deferred) await interaction.reply({ ...body, flags });
    else if (reply.message.ephemeral) await interaction.editReply(body);
    else {
      // The deferral was private; a public answer must not stay private: it replaces the
      // "thinking…" message as a public follow-up.
      await interaction.deleteReply();
      await interaction.followUp(body);
    }
  }
}
