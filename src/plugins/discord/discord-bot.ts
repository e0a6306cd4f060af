import { randomUUID } from 'node:crypto';
import {
  ChannelType,
  Client,
  GatewayIntentBits,
  MessageFlags,
  ThreadAutoArchiveDuration,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type ModalSubmitInteraction,
  type StringSelectMenuInteraction,
  type TextChannel,
} from 'discord.js';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle } from 'discord.js';
import { CloudEngineError, isCloudEngineError } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { PluginState } from '../../kernel/plugin/plugin-state.js';
import { FINAL_STATES } from '../../kernel/sessions/deployment-state.js';
import { formatCost } from '../../kernel/sessions/cost.js';
import { chatCommands, suggest, type ChatCommand, type CommandArgs } from '../../chat/chat-commands.js';
import { errorReply, type ChatReply } from '../../chat/chat-message.js';
import { buildLobby, type LobbyModel } from '../../chat/lobby.js';
import { configFromText } from '../../chat/resource-form.js';
import { SessionActions } from '../../chat/session-actions.js';
import { registerCommands } from './command-registration.js';
import { clip, customId, LIMITS, parseCustomId, renderLobby, renderMessage, renderResourceModal, renderTypeSelect } from './discord-render.js';
import { ChannelPacer } from './channel-pacer.js';
import { OutputStreamer } from './output-streamer.js';
import type { DiscordConfig } from './discord-config.js';

export interface DiscordBotOptions {
  /** Minimum time between two posts into an apply thread (default 1100 ms: under 5 per 5 s). */
  readonly streamIntervalMs?: number;
  /** How long a command may run before the reply is deferred (Discord allows 3 s). */
  readonly deferAfterMs?: number;
  /** Paces everything the bot writes to a channel with its own token; one per bot by default. */
  readonly pacer?: ChannelPacer;
}

/** Where a session's lobby message lives, so the bot can edit it with its own token. */
interface LobbyLocation {
  readonly channelId: string;
  readonly messageId: string;
}

/** A modal that failed validation: what was typed, kept so nothing is lost. */
interface Draft {
  readonly sessionId: string;
  readonly type: string;
  readonly values: Record<string, string>;
  readonly userId: string;
  readonly expires: number;
}

/**
 * The Discord face of Cloud Engine: slash commands, the lobby with its
 * buttons, the add-resource select and modal, and the apply thread. Every
 * rule is the kernel's; the bot renders and asks.
 */
export class DiscordBot {
  readonly client: Client;
  private readonly actions: SessionActions;
  private readonly commands: Map<string, ChatCommand>;
  /** Lobby locations: kept in the kernel's plugin state, so lobbies keep updating after a restart; cached here. */
  private readonly lobbies = new Map<string, LobbyLocation>();
  /** Sessions known to have no stored lobby (most events are about sessions this bot never posted). */
  private readonly noLobby = new Set<string>();
  private readonly state: PluginState;
  /** Every post and edit made with the bot's token goes through it (interaction replies have buckets of their own). */
  private readonly pacer: ChannelPacer;
  /** Sessions whose lobby is being posted, and whether they changed meanwhile (the refresh then follows the post). */
  private readonly posting = new Map<string, boolean>();
  private readonly drafts = new Map<string, Draft>();
  /** Sessions whose Approve click is being handled, and by whom. */
  private readonly approving = new Map<string, string>();
  private readonly work = new Set<Promise<unknown>>();
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly kernel: Kernel,
    private readonly config: DiscordConfig,
    private readonly options: DiscordBotOptions = {},
  ) {
    this.actions = new SessionActions(kernel);
    this.state = kernel.pluginState('discord');
    this.pacer = options.pacer ?? new ChannelPacer();
    this.commands = new Map(chatCommands(kernel, this.actions).map((command) => [command.name, command]));
    // Only the Guilds intent: no privileged intents are needed to answer interactions.
    this.client = new Client({ intents: [GatewayIntentBits.Guilds], rest: config.apiUrl ? { api: config.apiUrl } : {} });
    this.client.on('interactionCreate', (interaction) => this.track(this.onInteraction(interaction)));
  }

  async start(): Promise<void> {
    if (this.config.registerOnStart) {
      const count = await registerCommands({ ...this.config, commands: [...this.commands.values()] });
      this.kernel.logger.info({ count, guildId: this.config.guildId }, 'discord commands registered');
    }
    const ready = new Promise<void>((resolve) => this.client.once('clientReady', () => resolve()));
    await this.client.login(this.config.token);
    await ready;
    for (const event of ['session.stateChanged', 'session.resourcesChanged', 'plan.ready', 'terraform.queued'] as const) {
      this.unsubscribe.push(this.kernel.events.on(event, (payload) => this.refreshLobby(payload.sessionId)));
    }
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    await Promise.allSettled([...this.work]);
    await this.client.destroy();
  }

  /** Resolves when every interaction handled so far has finished its work (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.kernel.logger.error({ err: error }, 'discord interaction failed'));
    this.work.add(tracked);
    void tracked.finally(() => this.work.delete(tracked));
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand()) return this.onCommand(interaction);
    if (interaction.isAutocomplete()) return this.onAutocomplete(interaction);
    if (interaction.isButton()) return this.onButton(interaction);
    if (interaction.isStringSelectMenu()) return this.onSelect(interaction);
    if (interaction.isModalSubmit()) return this.onModal(interaction);
  }

  // ---- slash commands ----

  private async onCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const command = this.commands.get(interaction.commandName);
    if (!command) return this.replyError(interaction, new Error(`unknown command ${interaction.commandName}`));
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
    const deferAt = new Promise<undefined>((resolve) => (deferTimer = setTimeout(() => resolve(undefined), this.options.deferAfterMs ?? 2000)));
    const quick = await Promise.race([running, deferAt]);
    // A quick answer leaves no timer behind (it would outlive a shutdown by up to deferAfterMs).
    clearTimeout(deferTimer);
    if (!quick) await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const outcome = quick ?? (await running);
    if ('error' in outcome) return this.replyError(interaction, outcome.error);
    await this.sendReply(interaction, outcome.reply, Boolean(!quick));
  }

  private async sendReply(interaction: ChatInputCommandInteraction, reply: ChatReply, deferred: boolean): Promise<void> {
    if (reply.kind === 'lobby') {
      const sessionId = reply.lobby.sessionId;
      this.posting.set(sessionId, false);
      try {
        if (deferred) {
          // The deferral was private; the lobby belongs to the channel.
          await interaction.editReply({ content: `Lobby for session ${sessionId} below.` });
          const channel = interaction.channel as TextChannel;
          // Rendered when its turn comes, so a lobby that waited for room is not posted out of date.
          const posted = await this.pacer.send(interaction.channelId, async () => channel.send(renderLobby(await this.currentLobby(sessionId))));
          await this.remember(sessionId, { channelId: posted.channelId, messageId: posted.id });
        } else {
          const response = await interaction.reply({ ...renderLobby(reply.lobby), withResponse: true });
          const message = response.resource?.message;
          if (message) await this.remember(sessionId, { channelId: message.channelId, messageId: message.id });
        }
      } finally {
        const changed = this.posting.get(sessionId);
        this.posting.delete(sessionId);
        // A change while the lobby was on its way found no lobby to edit: show it now.
        if (changed) void this.refreshLobby(sessionId);
      }
      return;
    }
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

  private async onAutocomplete(interaction: AutocompleteInteraction): Promise<void> {
    const command = this.commands.get(interaction.commandName);
    const focused = interaction.options.getFocused(true);
    const option = command?.options.find((candidate) => candidate.name === focused.name);
    const values = option?.suggestions ? await suggest(this.kernel, option.suggestions, interaction.user.id, String(focused.value)) : [];
    await interaction.respond(values.map((value) => ({ name: value, value })));
  }

  // ---- lobby buttons ----

  private async onButton(interaction: ButtonInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id) return;
    const userId = interaction.user.id;
    try {
      switch (id.action) {
        case 'approve':
          return await this.approve(interaction, id.sessionId, id.extra);
        case 'add': {
          const session = await this.kernel.orchestrator.getSession(id.sessionId, userId);
          await this.kernel.authorizer.authorize({ userId, action: 'session.change', projectId: session.projectId, session: { id: session.id, userId: session.userId } });
          const types = this.kernel.registries.resourceTypes.list().filter((type) => type.provider === session.provider);
          await interaction.reply({ content: 'Which kind of resource?', components: [renderTypeSelect(session.id, types)], flags: MessageFlags.Ephemeral });
          return;
        }
        case 'retry': {
          const draft = id.extra ? this.drafts.get(id.extra) : undefined;
          const type = draft && this.kernel.registries.resourceTypes.get(draft.type);
          if (!draft || !type || draft.userId !== userId || draft.expires < Date.now()) {
            await interaction.reply({ content: 'That form has expired; click **Add Resource** on the lobby again.', flags: MessageFlags.Ephemeral });
            return;
          }
          await interaction.showModal(renderResourceModal(draft.sessionId, type, draft.values));
          return;
        }
        case 'refresh':
          await interaction.update(renderLobby(await this.actions.lobby(id.sessionId, userId)));
          return;
        case 'cancel': {
          const session = await this.kernel.orchestrator.getSession(id.sessionId, userId);
          await this.kernel.authorizer.authorize({ userId, action: 'session.cancel', projectId: session.projectId, session: { id: session.id, userId: session.userId } });
          // Cancelling an apply waits for terraform to stop: acknowledge first.
          await interaction.deferUpdate();
          await this.actions.cancel(id.sessionId, userId);
          await this.refreshLobby(id.sessionId);
          return;
        }
      }
    } catch (error) {
      await this.replyError(interaction, error);
    }
  }

  /** Approves the plan the clicked lobby showed (`planId`, from the button), never a newer one. */
  private async approve(interaction: ButtonInteraction, sessionId: string, planId: string | undefined): Promise<void> {
    const userId = interaction.user.id;
    if (!planId) {
      // A lobby rendered before buttons carried their plan: which plan the approver saw is unknown.
      void this.refreshLobby(sessionId);
      throw new CloudEngineError('PLAN_STALE', `This lobby of session ${sessionId} does not say which plan it showed, so it cannot be approved. It is being re-rendered; review the plan there and click Approve & Deploy again.`, {
        details: { sessionId, customId: interaction.customId },
      });
    }
    // A refused click is answered directly; only real work is acknowledged
    // and run (the apply can take an hour, Discord allows 3 s).
    await this.kernel.orchestrator.checkApproval(sessionId, userId, { planId });
    // Of two clicks at once both pass the check; the second is answered here, directly and
    // privately, rather than after the deferral (a follow-up would compete with the lobby's
    // edits for the channel's rate limit). The kernel still arbitrates every approval.
    const approving = this.approving.get(sessionId);
    if (approving) {
      throw new CloudEngineError('LOCKED', `Session ${sessionId} is already being approved and applied by <@${approving}>; follow it in the lobby's thread.`, {
        details: { sessionId, holder: approving },
      });
    }
    this.approving.set(sessionId, userId);
    try {
      await this.approveAndStream(interaction, sessionId, planId);
    } finally {
      this.approving.delete(sessionId);
    }
  }

  private async approveAndStream(interaction: ButtonInteraction, sessionId: string, planId: string): Promise<void> {
    const userId = interaction.user.id;
    await interaction.deferUpdate();
    const location = (await this.locate(sessionId)) ?? { channelId: interaction.channelId, messageId: interaction.message.id };
    if (!this.lobbies.has(sessionId)) await this.remember(sessionId, location);
    let thread: Promise<TextChannel> | undefined;
    let streamer: OutputStreamer | undefined;
    const openThread = () => {
      thread ??= this.openThread(location, sessionId);
      streamer ??= new OutputStreamer(
        async (content) => {
          const channel = await thread!;
          await this.pacer.send(channel.id, () => channel.send(content));
        },
        {
          intervalMs: this.options.streamIntervalMs,
          onError: (error) => this.kernel.logger.warn({ err: error, sessionId }, 'apply output not delivered to the thread'),
        },
      );
      return streamer;
    };
    const before = await this.kernel.orchestrator.getSession(sessionId);
    const started = Date.now();
    let final: LobbyModel;
    try {
      // The kernel re-checks the plan inside the approval: a re-plan after checkApproval is refused too.
      final = await this.actions.approve(sessionId, userId, (line) => openThread().push(line), planId);
    } catch (error) {
      // Refused before anything ran (permission, four eyes, state, stale plan, quota, busy).
      if (streamer) await streamer.end();
      await this.replyError(interaction, error);
      return;
    }
    const out = openThread();
    await out.end();
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const head = [
      clip(final.state === 'APPLIED' ? `**Applied** in ${seconds}s by <@${userId}>.` : `**${final.state}** after ${seconds}s: ${final.problems.join(' ') || 'see the output above'}`, 800),
      before.plan ? clip(`${before.plan.summary}${before.plan.cost ? ` · ${formatCost(before.plan.cost)}` : ''}`, 300) : '',
    ].filter(Boolean);
    const count = `Output lines: ${out.delivered}/${out.produced} delivered.`;
    // The outputs get what room is left: the line count must never be cut off.
    const room = LIMITS.content - [...head, count].join('\n').length - 1;
    const outputs = final.outputs ? Object.entries(final.outputs).map(([name, value]) => `\`${name}\`: ${JSON.stringify(value)}`).join('\n') : '';
    const summary = [...head, outputs && room > 40 ? clip(outputs, room) : '', count].filter(Boolean);
    await out.postLast(summary.join('\n'));
    await this.refreshLobby(sessionId);
  }

  private async openThread(location: LobbyLocation, sessionId: string): Promise<TextChannel> {
    const channel = await this.client.channels.fetch(location.channelId);
    if (!channel || channel.type !== ChannelType.GuildText) throw new Error(`lobby channel ${location.channelId} is not a text channel`);
    const session = await this.kernel.orchestrator.getSession(sessionId);
    const thread = await channel.threads.create({
      startMessage: location.messageId,
      name: `Deploy ${session.projectId} ${sessionId}`.slice(0, 100),
      autoArchiveDuration: ThreadAutoArchiveDuration.OneHour,
    });
    return thread as unknown as TextChannel;
  }

  // ---- add resource: select → modal → kernel ----

  private async onSelect(interaction: StringSelectMenuInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id || id.action !== 'type') return;
    const type = this.kernel.registries.resourceTypes.get(interaction.values[0] ?? '');
    if (!type) return this.replyError(interaction, new Error('unknown resource type'));
    await interaction.showModal(renderResourceModal(id.sessionId, type));
  }

  private async onModal(interaction: ModalSubmitInteraction): Promise<void> {
    const id = parseCustomId(interaction.customId);
    if (!id || id.action !== 'modal' || !id.extra) return;
    const userId = interaction.user.id;
    const values: Record<string, string> = {};
    for (const [fieldId, field] of interaction.fields.fields) if ('value' in field && typeof field.value === 'string') values[fieldId] = field.value;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const type = this.kernel.registries.resourceTypes.get(id.extra);
    try {
      const config = type ? configFromText(type, values) : values;
      const { planned } = await this.actions.addResource(id.sessionId, userId, { type: id.extra, name: values.name ?? '', config });
      await interaction.editReply({ content: `Added **${values.name}** (${id.extra}); planning…` });
      this.track(planned.then(() => this.refreshLobby(id.sessionId)));
    } catch (error) {
      // Keep what was typed: a button reopens the modal with it.
      const key = randomUUID().slice(0, 12);
      this.drafts.set(key, { sessionId: id.sessionId, type: id.extra, values, userId, expires: Date.now() + 15 * 60_000 });
      const reply = errorReply(error);
      const body = reply.kind === 'message' ? renderMessage(reply.message) : { embeds: [] };
      const retry = new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId(customId('retry', id.sessionId, key)).setLabel('Edit and retry').setStyle(ButtonStyle.Primary),
      );
      await interaction.editReply({ ...body, components: [retry] });
    }
  }

  // ---- lobby upkeep ----

  /** Records where a session's lobby is; a failure to store it is logged, never the interaction's failure. */
  private async remember(sessionId: string, location: LobbyLocation): Promise<void> {
    this.lobbies.set(sessionId, location);
    this.noLobby.delete(sessionId);
    try {
      await this.state.set(lobbyKey(sessionId), location);
    } catch (error) {
      this.kernel.logger.warn({ err: error, sessionId }, 'lobby location not stored; it will not update after a restart');
    }
  }

  /** Where a session's lobby is: from memory, else from what an earlier run of the bot stored. */
  private async locate(sessionId: string): Promise<LobbyLocation | undefined> {
    const known = this.lobbies.get(sessionId);
    if (known || this.noLobby.has(sessionId)) return known;
    const stored = await this.state.get<Partial<LobbyLocation>>(lobbyKey(sessionId));
    if (typeof stored?.channelId === 'string' && typeof stored.messageId === 'string') {
      const location = { channelId: stored.channelId, messageId: stored.messageId };
      this.lobbies.set(sessionId, location);
      return location;
    }
    this.noLobby.add(sessionId);
    return undefined;
  }

  /**
   * Re-renders a session's lobby. The edit waits its turn in the channel's pace and is built
   * from the session as it is when the turn comes; edits still waiting are replaced by the
   * newest, so a burst of changes costs one edit and no older state follows a newer one.
   */
  private refreshLobby(sessionId: string): Promise<void> {
    if (this.posting.has(sessionId)) {
      this.posting.set(sessionId, true);
      return Promise.resolve();
    }
    const running = (async () => {
      try {
        const location = await this.locate(sessionId);
        if (!location) return;
        await this.pacer.send(location.channelId, () => this.editLobby(sessionId), { key: lobbyKey(sessionId) });
      } catch (error) {
        this.kernel.logger.warn({ err: error, sessionId }, 'lobby refresh failed');
      }
    })();
    this.track(running);
    return running;
  }

  private async editLobby(sessionId: string): Promise<void> {
    // Looked up again: an edit before this one may have found the session finished and forgotten its lobby.
    const location = await this.locate(sessionId);
    if (!location) return;
    const lobby = await this.currentLobby(sessionId);
    const channel = (await this.client.channels.fetch(location.channelId)) as TextChannel | null;
    await channel?.messages.edit(location.messageId, renderLobby(lobby));
    // A finished session's lobby never changes again: forget where it is.
    if (FINAL_STATES.includes(lobby.state)) {
      await this.state.delete(lobbyKey(sessionId));
      this.lobbies.delete(sessionId);
      this.noLobby.add(sessionId);
    }
  }

  private async currentLobby(sessionId: string): Promise<LobbyModel> {
    return buildLobby(this.kernel, await this.kernel.orchestrator.getSession(sessionId));
  }

  private async replyError(
    interaction: ChatInputCommandInteraction | ButtonInteraction | StringSelectMenuInteraction | ModalSubmitInteraction,
    error: unknown,
  ): Promise<void> {
    const reference = randomUUID().slice(0, 8);
    if (!isCloudEngineError(error)) this.kernel.logger.error({ err: error, reference }, 'discord interaction failed');
    const reply = errorReply(error, reference);
    const body = reply.kind === 'message' ? renderMessage(reply.message) : { embeds: [] };
    if (interaction.deferred || interaction.replied) await interaction.followUp({ ...body, flags: MessageFlags.Ephemeral });
    else await interaction.reply({ ...body, flags: MessageFlags.Ephemeral });
  }
}

function lobbyKey(sessionId: string): string {
  return `lobby:${sessionId}`;
}
