import { Client, GatewayIntentBits, SnowflakeUtil, type Interaction } from 'discord.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import type { ChatCommand } from '../../chat/chat-command.js';
import { chatCommands } from '../../chat/chat-commands.js';
import { SessionActions } from '../../chat/session-actions.js';
import { ApplyThread } from './apply-thread.js';
import { ApplyStreams } from './apply-streams.js';
import { BackgroundWork } from './background-work.js';
import { ChannelPacer } from './channel-pacer.js';
import { registerCommands } from './command-registration.js';
import type { DiscordConfig } from './discord-config.js';
import { DeploymentNotices } from './deployment-notices.js';
import { SystemApplyStream } from './system-apply-stream.js';
import { LobbyButtons } from './lobby-buttons.js';
import { AccessButtons } from './access-buttons.js';
import { inMemberContext } from './access-member.js';
import { AccessNotices } from './access-notices.js';
import { LobbyTracker } from './lobby-tracker.js';
import { ResourceForms } from './resource-forms.js';
import { SlashCommands } from './slash-commands.js';

export interface DiscordBotOptions {
  /** Minimum time between two posts into an apply thread (default 1100 ms: under 5 per 5 s). */
  readonly streamIntervalMs?: number;
  /** How long a command may run before the reply is deferred (Discord allows 3 s). */
  readonly deferAfterMs?: number;
  /** Paces everything the bot writes to a channel with its own token; one per bot by default. */
  readonly pacer?: ChannelPacer;
}

/**
 * The Discord face of Cloud Engine: the client, and each kind of
 * interaction sent to the piece that handles it — slash commands, the
 * lobby's buttons, the add-resource select and modal, the apply thread —
 * with lobbies kept current on kernel events, and expiry reminders and
 * drift found posted where the deployment's lobby is. Every rule is the kernel's;
 * the bot renders and asks.
 */
export class DiscordBot {
  readonly client: Client;
  private readonly commands: Map<string, ChatCommand>;
  private readonly work: BackgroundWork;
  private readonly lobbies: LobbyTracker;
  private readonly slash: SlashCommands;
  private readonly buttons: LobbyButtons;
  private readonly forms: ResourceForms;
  private readonly streams: ApplyStreams;
  private readonly notices: DeploymentNotices;
  private readonly systemApplies: SystemApplyStream;
  private readonly accessButtons: AccessButtons;
  private readonly accessNotices: AccessNotices;
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly api: ChatApi,
    private readonly config: DiscordConfig,
    options: DiscordBotOptions = {},
  ) {
    const actions = new SessionActions(api);
    // Every post and edit made with the bot's token goes through it (interaction replies have buckets of their own).
    const pacer = options.pacer ?? new ChannelPacer();
    this.commands = new Map(chatCommands(api, actions).map((command) => [command.name, command]));
    // Only the Guilds intent: no privileged intents are needed to answer interactions.
    this.client = new Client({ intents: [GatewayIntentBits.Guilds], rest: config.apiUrl ? { api: config.apiUrl } : {} });
    this.work = new BackgroundWork(api.logger);
    this.accessButtons = new AccessButtons(api);
    this.accessNotices = new AccessNotices(api, this.client, pacer, this.work);
    this.lobbies = new LobbyTracker(api, this.client, pacer, this.work);
    this.slash = new SlashCommands(api, this.commands, this.lobbies, options.deferAfterMs ?? 2000);
    this.forms = new ResourceForms(api, actions, this.lobbies, this.work);
    this.streams = new ApplyStreams(api, this.client, pacer, options.streamIntervalMs);
    this.buttons = new LobbyButtons(api, actions, this.lobbies, this.forms, new ApplyThread(api, actions, this.lobbies, this.streams));
    this.notices = new DeploymentNotices(api, this.client, pacer, this.lobbies, this.work);
    this.systemApplies = new SystemApplyStream(api, this.client, pacer, this.lobbies, this.work, options.streamIntervalMs);
    // Each interaction is handled as its member, with the roles they hold at this click (a project's access.roles).
    // How long after the user's action Discord got its first answer: the interaction's id carries when it was made.
    this.client.rest.on('response', (request, response) => {
      const callback = /^\/interactions\/(\d+)\/[^/]+\/callback/.exec(String(request.path));
      if (callback && response.ok) api.acknowledged('discord', Math.max(0, Date.now() - SnowflakeUtil.timestampFrom(callback[1]!)));
    });
    this.client.on('interactionCreate', (interaction) => this.work.track(inMemberContext(interaction, () => this.onInteraction(interaction))));
  }

  async start(): Promise<void> {
    if (this.config.registerOnStart) {
      const count = await registerCommands({ ...this.config, commands: [...this.commands.values()] });
      this.api.logger.info({ count, guildId: this.config.guildId }, 'discord commands registered');
    }
    const ready = new Promise<void>((resolve) => this.client.once('clientReady', () => resolve()));
    await this.client.login(this.config.token);
    await ready;
    this.unsubscribe.push(...this.accessNotices.follow());
    for (const event of ['session.stateChanged', 'session.resourcesChanged', 'plan.ready', 'terraform.queued', 'session.approved', 'session.approvalRevoked'] as const) {
      this.unsubscribe.push(this.api.events.on(event, (payload) => this.lobbies.refresh(payload.sessionId)));
    }
    this.unsubscribe.push(...this.notices.follow(), ...this.systemApplies.follow());
    // Applies a bot that stopped was streaming (this process restarted, or took over the gateway): on from their next line.
    await this.streams.resumeAll();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    // Resumed streams stop where they are; what they had not posted is left for the next bot.
    this.streams.close();
    await this.work.settle();
    await this.client.destroy();
  }

  /** Resolves when every interaction handled so far has finished its work (tests, shutdown). */
  async idle(): Promise<void> {
    await this.work.idle();
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (interaction.isChatInputCommand()) return this.slash.onCommand(interaction);
    if (interaction.isAutocomplete()) return this.slash.onAutocomplete(interaction);
    if (interaction.isButton() && AccessButtons.handles(interaction.customId)) return this.accessButtons.onButton(interaction);
    if (interaction.isButton()) return this.buttons.onButton(interaction);
    if (interaction.isStringSelectMenu()) return this.forms.onSelect(interaction);
    if (interaction.isModalSubmit()) return this.forms.onModal(interaction);
  }
}
