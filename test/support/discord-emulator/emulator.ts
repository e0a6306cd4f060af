/**
 * DiscordEmulator: a strict local stand-in for Discord (REST + gateway) that a real discord.js
 * v14 `Client` logs into with `rest: { api: emulator.apiUrl }`. Tests drive it by simulating
 * users (slash commands, buttons, selects, modals) and inspect what the bot did.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { setTimeout as setTimer, clearTimeout as clearTimer, setInterval as setRepeat, clearInterval as clearRepeat } from 'node:timers';
import { ChannelType, PermissionFlagsBits as P } from 'discord.js';
import { OptionTypes } from './commands.js';
import {
  Core,
  type DiscordEmulatorOptions,
  type ErrorRecord,
  type InteractionRecord,
  type InteractionResponseRecord,
  type MessageWriteRecord,
  type RequestRecord,
} from './core.js';
import type { Json, JsonObject } from './errors.js';
import { Intents, type IdentifyRecord } from './gateway.js';
import { CallbackTypes, InteractionTypes, RestApi } from './rest.js';
import { findComponent, isObject, SELECT_TYPES, ComponentTypes, len } from './validation.js';
import {
  DEFAULT_BOT_PERMISSIONS,
  DEFAULT_EVERYONE_PERMISSIONS,
  MessageFlags,
  type ChannelRecord,
  type GuildRecord,
  type StoredAttachment,
  type StoredCommand,
  type StoredMessage,
  type UserRecord,
} from './world.js';

export type { DiscordEmulatorOptions, RateLimitOptions, ErrorRecord, InteractionResponseRecord, MessageWriteRecord, RequestRecord } from './core.js';
export type { IdentifyRecord } from './gateway.js';

export type Ref = string | { readonly id: string };

export interface GuildInfo {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  /** The @everyone role shares the guild's id. */
  readonly everyoneRoleId: string;
  /** The managed role carrying the bot's permissions. */
  readonly botRoleId: string;
}

export interface ChannelInfo {
  readonly id: string;
  readonly name: string;
  readonly guildId: string;
  readonly type: ChannelType;
}

export interface UserInfo {
  readonly id: string;
  readonly username: string;
}

export interface RoleInfo {
  readonly id: string;
  readonly name: string;
  readonly guildId: string;
}

export interface OverwriteInput {
  /** Role or user id. */
  id: string;
  type: 'role' | 'member';
  allow?: bigint;
  deny?: bigint;
}

export interface AttachmentInput {
  filename: string;
  content: string | Buffer;
  contentType?: string;
}

/** Values a simulated user types into command options. */
export type OptionInput = string | number | boolean | { readonly id: string } | AttachmentInput;

export interface SlashCommandInput {
  user: Ref;
  channel: Ref;
  /** Command name; may include the subcommand path: `'deploy create'`. */
  name: string;
  subcommandGroup?: string;
  subcommand?: string;
  options?: Record<string, OptionInput>;
  locale?: string;
}

export interface AutocompleteInput extends SlashCommandInput {
  /** Name of the option being typed; its value in `options` is the raw text (default ''). */
  focused: string;
}

export interface ButtonInput {
  user: Ref;
  message: Ref;
  customId: string;
  locale?: string;
  /**
   * Click as a client still showing this revision of the message (an index into its
   * `history`), whose edit has not reached the user yet: the component is looked up there,
   * while the interaction carries the message as it is now, as Discord's does.
   */
  revision?: number;
}

export interface SelectInput extends ButtonInput {
  /** String values, or user/role/channel ids (or refs) for auto-populated selects. */
  values: Array<string | { readonly id: string }>;
}

export interface ModalInput {
  user: Ref;
  customId: string;
  /** custom_id → typed text (string) or selected values (string[] for selects in labels). */
  fields: Record<string, string | string[]>;
  /** Optional cross-checks: the channel / message the modal was opened from. */
  channel?: Ref;
  message?: Ref;
  locale?: string;
}

export interface EmulatedAttachment {
  readonly id: string;
  readonly filename: string;
  readonly contentType: string | null;
  readonly size: number;
  readonly data: Buffer;
  readonly description: string | null;
  readonly url: string;
  text(): string;
}

export interface EmulatedRevision {
  readonly content: string;
  readonly embeds: JsonObject[];
  readonly components: JsonObject[];
  readonly attachments: EmulatedAttachment[];
  readonly flags: number;
  readonly at: string;
}

export interface EmulatedMessage {
  readonly id: string;
  readonly channelId: string;
  readonly guildId: string;
  readonly authorId: string;
  readonly type: number;
  readonly content: string;
  readonly embeds: JsonObject[];
  readonly components: JsonObject[];
  readonly attachments: EmulatedAttachment[];
  readonly flags: number;
  readonly ephemeral: boolean;
  /** Only this user sees an ephemeral message. */
  readonly visibleTo: string | null;
  /** A deferred reply still showing "…is thinking". */
  readonly loading: boolean;
  readonly edited: boolean;
  readonly createdAt: string;
  readonly editedAt: string | null;
  /** All versions, oldest first; the last one is the current state. */
  readonly history: EmulatedRevision[];
  readonly deleted: boolean;
  readonly origin: 'channel' | 'interaction-response' | 'follow-up';
  readonly interactionId: string | null;
  readonly threadId: string | null;
  readonly reference: JsonObject | null;
}

export interface EmulatedThread {
  readonly id: string;
  readonly name: string;
  readonly parentId: string;
  readonly guildId: string;
  readonly type: ChannelType;
  readonly ownerId: string;
  readonly starterMessageId: string | null;
  readonly archived: boolean;
  readonly locked: boolean;
  readonly autoArchiveDuration: number;
  readonly memberIds: string[];
}

const id = (ref: Ref): string => (typeof ref === 'string' ? ref : ref.id);

function isAttachmentInput(v: unknown): v is AttachmentInput {
  return typeof v === 'object' && v !== null && 'filename' in v && 'content' in v;
}

function viewAttachment(a: StoredAttachment): EmulatedAttachment {
  return {
    id: a.id,
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    data: a.data,
    description: a.description,
    url: a.url,
    text: () => a.data.toString('utf8'),
  };
}

function viewMessage(m: StoredMessage): EmulatedMessage {
  return {
    id: m.id,
    channelId: m.channelId,
    guildId: m.guildId,
    authorId: m.authorId,
    type: m.type,
    content: m.content,
    embeds: structuredClone(m.embeds),
    components: structuredClone(m.components),
    attachments: m.attachments.map(viewAttachment),
    flags: m.flags,
    ephemeral: (m.flags & MessageFlags.Ephemeral) !== 0,
    visibleTo: m.ephemeralUserId,
    loading: (m.flags & MessageFlags.Loading) !== 0,
    edited: m.editedAt !== null,
    createdAt: m.createdAt,
    editedAt: m.editedAt,
    history: m.history.map((h) => ({
      content: h.content,
      embeds: structuredClone(h.embeds),
      components: structuredClone(h.components),
      attachments: h.attachments.map(viewAttachment),
      flags: h.flags,
      at: h.at,
    })),
    deleted: m.deleted,
    origin: m.origin,
    interactionId: m.interactionId,
    threadId: m.threadId,
    reference: m.reference ? structuredClone(m.reference) : null,
  };
}

/** What a test holds after simulating a user action. */
export class InteractionHandle {
  constructor(
    private readonly core: Core,
    private readonly record: InteractionRecord,
  ) {}

  get id(): string {
    return this.record.id;
  }

  get token(): string {
    return this.record.token;
  }

  /** 2 command, 3 component, 4 autocomplete, 5 modal submit. */
  get type(): number {
    return this.record.type;
  }

  /** The INTERACTION_CREATE payload as dispatched. */
  get payload(): JsonObject {
    return structuredClone(this.record.payload);
  }

  get acknowledged(): boolean {
    return this.record.ack !== null;
  }

  /**
   * Resolves with the bot's interaction callback. Rejects when the ack window passes without
   * one — what users see as "This interaction failed".
   */
  response(timeoutMs?: number): Promise<InteractionResponseRecord> {
    const find = () => this.core.interactionResponses.find((r) => r.interactionId === this.record.id);
    const elapsed = this.core.now() - this.record.createdAt;
    const wait = timeoutMs ?? Math.max(0, this.core.options.ackWindowMs - elapsed) + 250;
    return waitForCondition(this.core, find, wait, () => {
      return `interaction ${this.describe()} was not acknowledged within ${this.core.options.ackWindowMs} ms (Discord would show "This interaction failed")`;
    });
  }

  /** The interaction's @original message (reply, deferred reply or updated message). */
  originalMessage(): EmulatedMessage | undefined {
    const mid = this.record.originalMessageId;
    const m = mid ? this.core.world.messages.get(mid) : undefined;
    return m ? viewMessage(m) : undefined;
  }

  followUps(): EmulatedMessage[] {
    return this.record.followUpIds
      .map((mid) => this.core.world.messages.get(mid))
      .filter((m): m is StoredMessage => m !== undefined)
      .map(viewMessage);
  }

  /** The modal the bot answered with (callback type 9), if any. */
  modal(): JsonObject | undefined {
    return this.record.modal ? structuredClone(this.record.modal.data) : undefined;
  }

  /** Autocomplete choices the bot answered with (callback type 8), if any. */
  choices(): JsonObject[] | undefined {
    if (this.record.ack?.type !== CallbackTypes.AutocompleteResult) return undefined;
    const choices = this.record.ack.data?.choices;
    return Array.isArray(choices) ? (structuredClone(choices) as JsonObject[]) : [];
  }

  describe(): string {
    const what = this.record.commandName ? `/${this.record.commandName}` : this.record.customId ? `custom_id=${this.record.customId}` : '';
    return `${this.record.id} (type ${this.record.type} ${what})`.trim();
  }
}

function waitForCondition<T>(
  core: Core,
  check: () => T | undefined | null | false,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false;
    let unsubscribe: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    let poll: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (done) return;
      done = true;
      unsubscribe();
      if (timer) clearTimer(timer);
      if (poll) clearRepeat(poll);
      fn();
    };
    const evaluate = () => {
      if (done) return;
      let value: T | undefined | null | false;
      try {
        value = check();
      } catch (error) {
        finish(() => reject(error));
        return;
      }
      if (value !== undefined && value !== null && value !== false) finish(() => resolve(value as T));
    };
    unsubscribe = core.onChange(evaluate);
    timer = setTimer(() => finish(() => reject(new Error(`waitFor timed out after ${timeoutMs} ms: ${describe()}`))), timeoutMs);
    // Also re-check periodically for conditions that depend on time rather than on events.
    poll = setRepeat(evaluate, 100);
    evaluate();
  });
}

export class DiscordEmulator {
  private readonly core: Core;
  private readonly rest: RestApi;
  private readonly sockets = new Set<Socket>();
  private closed = false;

  private constructor(
    core: Core,
    private readonly server: Server,
  ) {
    this.core = core;
    this.rest = new RestApi(core);
  }

  /** Starts REST + gateway on 127.0.0.1 with a random port. */
  static async start(options: DiscordEmulatorOptions = {}): Promise<DiscordEmulator> {
    const core = new Core(options);
    const server = createServer();
    const emulator = new DiscordEmulator(core, server);
    server.on('request', (req, res) => {
      void emulator.rest.handle(req, res);
    });
    server.on('upgrade', (req, socket, head) => core.gateway.handleUpgrade(req, socket, head));
    server.on('connection', (socket) => {
      emulator.sockets.add(socket);
      socket.on('close', () => emulator.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    core.baseUrl = `http://127.0.0.1:${port}`;
    return emulator;
  }

  /** Pass as `new Client({ rest: { api: emulator.apiUrl } })`. */
  get apiUrl(): string {
    return `${this.core.baseUrl}/api`;
  }

  get gatewayUrl(): string {
    return this.core.gatewayUrl();
  }

  /** The bot token this emulator accepts; anything else gets 401 / close 4004. */
  get token(): string {
    return this.core.token;
  }

  get applicationId(): string {
    return this.core.application.id;
  }

  /** The bot user's id (equal to the application id, as on Discord). */
  get botUserId(): string {
    return this.core.botUser.id;
  }

  /** Closes the gateway, every HTTP socket and the server; clears all timers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.core.gateway.close();
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- world ---------------------------------------------------------------------------------

  addUser(opts: { username?: string; globalName?: string | null; locale?: string; guild?: Ref; roles?: Ref[]; nick?: string | null } = {}): UserInfo {
    const userId = this.core.ids.next();
    const user: UserRecord = {
      id: userId,
      username: opts.username ?? `user${this.core.world.users.size}`,
      globalName: opts.globalName ?? null,
      bot: false,
      locale: opts.locale ?? 'en-US',
    };
    this.core.world.users.set(userId, user);
    if (opts.guild) this.addMember(opts.guild, userId, { roles: opts.roles, nick: opts.nick ?? null });
    this.core.changed();
    return { id: user.id, username: user.username };
  }

  addGuild(opts: { name?: string; owner?: Ref; locale?: string; botPermissions?: bigint } = {}): GuildInfo {
    const guildId = this.core.ids.next();
    const ownerId = opts.owner ? id(opts.owner) : this.addUser({ username: `owner${this.core.world.guilds.size}` }).id;
    if (!this.core.world.user(ownerId)) throw new Error(`addGuild: unknown owner ${ownerId}`);
    const guild: GuildRecord = {
      id: guildId,
      name: opts.name ?? 'Test Guild',
      ownerId,
      preferredLocale: opts.locale ?? 'en-US',
      roles: new Map(),
      members: new Map(),
    };
    guild.roles.set(guildId, {
      id: guildId,
      guildId,
      name: '@everyone',
      permissions: DEFAULT_EVERYONE_PERMISSIONS,
      position: 0,
      color: 0,
      hoist: false,
      mentionable: false,
      botId: null,
    });
    const botRoleId = this.core.ids.next();
    guild.roles.set(botRoleId, {
      id: botRoleId,
      guildId,
      name: this.core.botUser.username,
      permissions: opts.botPermissions ?? this.core.options.botPermissions ?? DEFAULT_BOT_PERMISSIONS,
      position: 1,
      color: 0,
      hoist: false,
      mentionable: false,
      botId: this.core.botUser.id,
    });
    const now = this.core.world.isoNow();
    guild.members.set(ownerId, { userId: ownerId, roles: [], nick: null, joinedAt: now });
    guild.members.set(this.core.botUser.id, { userId: this.core.botUser.id, roles: [botRoleId], nick: null, joinedAt: now });
    this.core.world.guilds.set(guildId, guild);
    // The bot "joins": live sessions get a GUILD_CREATE like after an invite.
    this.core.dispatchGuildEvent('GUILD_CREATE', this.core.world.renderGuildCreate(guild, this.core.botUser.id, []), guildId, Intents.Guilds);
    this.core.changed();
    return { id: guildId, name: guild.name, ownerId, everyoneRoleId: guildId, botRoleId };
  }

  addChannel(opts: { guild: Ref; name?: string; type?: ChannelType; parent?: Ref; topic?: string; overwrites?: OverwriteInput[] }): ChannelInfo {
    const guild = this.guildOrThrow(opts.guild);
    const type = opts.type ?? ChannelType.GuildText;
    if (type === ChannelType.PublicThread || type === ChannelType.PrivateThread || type === ChannelType.AnnouncementThread) {
      throw new Error('addChannel: create threads through the API (the bot) instead');
    }
    const channel: ChannelRecord = {
      id: this.core.ids.next(),
      type,
      guildId: guild.id,
      name: opts.name ?? 'general',
      parentId: opts.parent ? id(opts.parent) : null,
      topic: opts.topic ?? null,
      position: [...this.core.world.channels.values()].filter((c) => c.guildId === guild.id).length,
      nsfw: false,
      rateLimitPerUser: 0,
      overwrites: (opts.overwrites ?? []).map((o) => ({ id: o.id, type: o.type === 'role' ? 0 : 1, allow: o.allow ?? 0n, deny: o.deny ?? 0n })),
      lastMessageId: null,
      defaultAutoArchiveDuration: 1440,
      thread: null,
    };
    this.core.world.channels.set(channel.id, channel);
    this.core.dispatchGuildEvent('CHANNEL_CREATE', this.core.world.renderChannel(channel), guild.id, Intents.Guilds);
    this.core.changed();
    return { id: channel.id, name: channel.name, guildId: guild.id, type };
  }

  addRole(guildRef: Ref, opts: { name: string; permissions?: bigint; color?: number }): RoleInfo {
    const guild = this.guildOrThrow(guildRef);
    const roleId = this.core.ids.next();
    const role = {
      id: roleId,
      guildId: guild.id,
      name: opts.name,
      permissions: opts.permissions ?? 0n,
      position: guild.roles.size,
      color: opts.color ?? 0,
      hoist: false,
      mentionable: false,
      botId: null,
    };
    guild.roles.set(roleId, role);
    this.core.dispatchGuildEvent('GUILD_ROLE_CREATE', { guild_id: guild.id, role: this.core.world.renderRole(role) }, guild.id, Intents.Guilds);
    this.core.changed();
    return { id: roleId, name: role.name, guildId: guild.id };
  }

  addMember(guildRef: Ref, userRef: Ref, opts: { roles?: Ref[]; nick?: string | null } = {}): void {
    const guild = this.guildOrThrow(guildRef);
    const user = this.userOrThrow(userRef);
    const roles = (opts.roles ?? []).map(id);
    for (const r of roles) if (!guild.roles.has(r)) throw new Error(`addMember: role ${r} is not in guild ${guild.id}`);
    const member = { userId: user.id, roles, nick: opts.nick ?? null, joinedAt: this.core.world.isoNow() };
    guild.members.set(user.id, member);
    // GUILD_MEMBER_ADD is privileged (GUILD_MEMBERS).
    this.core.dispatchGuildEvent('GUILD_MEMBER_ADD', { ...this.core.world.renderMember(guild, member), guild_id: guild.id }, guild.id, Intents.GuildMembers);
    this.core.changed();
  }

  /** Replaces a member's roles, as a moderator would (PATCH /guilds/{guild}/members/{user}); the next interaction carries them. */
  setMemberRoles(guildRef: Ref, userRef: Ref, roles: Ref[]): void {
    const guild = this.guildOrThrow(guildRef);
    const user = this.userOrThrow(userRef);
    const member = guild.members.get(user.id);
    if (!member) throw new Error(`setMemberRoles: ${user.username} is not a member of guild ${guild.id}`);
    const ids = roles.map(id);
    for (const r of ids) if (!guild.roles.has(r)) throw new Error(`setMemberRoles: role ${r} is not in guild ${guild.id}`);
    member.roles = ids;
    // GUILD_MEMBER_UPDATE is privileged (GUILD_MEMBERS).
    this.core.dispatchGuildEvent('GUILD_MEMBER_UPDATE', { ...this.core.world.renderMember(guild, member), guild_id: guild.id }, guild.id, Intents.GuildMembers);
    this.core.changed();
  }

  /** The user turns off DMs from server members: a bot's DM to them fails with 50007 (Cannot send messages to this user). */
  closeDirectMessages(userRef: Ref): void {
    this.userOrThrow(userRef).dmsClosed = true;
  }

  /** The DMs the bot sent a user, oldest first (none when it never opened a DM with them). */
  directMessages(userRef: Ref): EmulatedMessage[] {
    const user = this.userOrThrow(userRef);
    const channel = [...this.core.world.channels.values()].find((ch) => ch.type === ChannelType.DM && ch.recipientId === user.id);
    return channel ? this.messages(channel.id) : [];
  }

  /** Replaces the permissions of the bot's managed role in a guild. */
  setBotPermissions(guildRef: Ref, permissions: bigint): void {
    const guild = this.guildOrThrow(guildRef);
    const role = [...guild.roles.values()].find((r) => r.botId === this.core.botUser.id);
    if (!role) throw new Error('bot role missing');
    role.permissions = permissions;
    this.core.dispatchGuildEvent('GUILD_ROLE_UPDATE', { guild_id: guild.id, role: this.core.world.renderRole(role) }, guild.id, Intents.Guilds);
    this.core.changed();
  }

  /** Sets (or replaces) a channel permission overwrite for a role or member. */
  setPermissionOverwrite(channelRef: Ref, overwrite: OverwriteInput): void {
    const channel = this.channelOrThrow(channelRef);
    channel.overwrites = channel.overwrites.filter((o) => o.id !== overwrite.id);
    channel.overwrites.push({ id: overwrite.id, type: overwrite.type === 'role' ? 0 : 1, allow: overwrite.allow ?? 0n, deny: overwrite.deny ?? 0n });
    this.core.dispatchGuildEvent('CHANNEL_UPDATE', this.core.world.renderChannel(channel), channel.guildId, Intents.Guilds);
    this.core.changed();
  }

  // ---- simulated users -----------------------------------------------------------------------

  /** A user runs a slash command; the payload's options are typed from the registered command. */
  slashCommand(input: SlashCommandInput): InteractionHandle {
    const ctx = this.invocationContext(input.user, input.channel);
    const { command, path, leafDefs } = this.resolveCommand(ctx.guild.id, input);
    this.checkCommandVisible(command, ctx);
    const resolved = new Resolved();
    const leafOptions = this.buildOptions(leafDefs, input.options ?? {}, ctx, resolved, null);
    const data: JsonObject = {
      id: command.id,
      name: command.data.name as string,
      type: 1,
      options: wrapOptions(path, leafOptions),
    };
    if ((data.options as Json[]).length === 0) delete data.options;
    const res = resolved.toJSON();
    if (res) data.resolved = res;
    if (command.guildId) data.guild_id = command.guildId;
    return this.dispatchInteraction({
      type: InteractionTypes.ApplicationCommand,
      ctx,
      data,
      commandName: [command.data.name as string, ...path.map((p) => p.name)].join(' '),
      locale: input.locale,
    });
  }

  /** A user types into an autocomplete option; answer with `interaction.respond()`. */
  autocomplete(input: AutocompleteInput): InteractionHandle {
    const ctx = this.invocationContext(input.user, input.channel);
    const { command, path, leafDefs } = this.resolveCommand(ctx.guild.id, input);
    this.checkCommandVisible(command, ctx);
    const focusedDef = leafDefs.find((d) => d.name === input.focused);
    if (!focusedDef) throw new Error(`autocomplete: /${input.name} has no option "${input.focused}"`);
    if (focusedDef.autocomplete !== true) throw new Error(`autocomplete: option "${input.focused}" is not registered with autocomplete: true`);
    const resolved = new Resolved();
    const leafOptions = this.buildOptions(leafDefs, input.options ?? {}, ctx, resolved, input.focused);
    const data: JsonObject = { id: command.id, name: command.data.name as string, type: 1, options: wrapOptions(path, leafOptions) };
    const res = resolved.toJSON();
    if (res) data.resolved = res;
    if (command.guildId) data.guild_id = command.guildId;
    return this.dispatchInteraction({
      type: InteractionTypes.Autocomplete,
      ctx,
      data,
      commandName: [command.data.name as string, ...path.map((p) => p.name)].join(' '),
      focusedType: focusedDef.type as number,
      locale: input.locale,
    });
  }

  /** A user clicks a (non-link, enabled) button on a message. */
  clickButton(input: ButtonInput): InteractionHandle {
    const { message, ctx } = this.componentContext(input.user, input.message);
    const shown = this.shownComponents(message, input.revision, 'clickButton');
    const component = findComponent(shown, input.customId);
    if (!component) throw new Error(`clickButton: message ${message.id} has no component with custom_id "${input.customId}"${this.describeComponents(shown)}`);
    if (component.type !== ComponentTypes.Button) throw new Error(`clickButton: "${input.customId}" is component type ${String(component.type)}, not a button`);
    if (component.disabled === true) throw new Error(`clickButton: button "${input.customId}" is disabled`);
    const data: JsonObject = { component_type: ComponentTypes.Button, custom_id: input.customId };
    if (typeof component.id === 'number') data.id = component.id;
    return this.dispatchInteraction({
      type: InteractionTypes.MessageComponent,
      ctx,
      data,
      message,
      customId: input.customId,
      locale: input.locale,
    });
  }

  /** A user picks values in a select menu on a message. */
  selectMenu(input: SelectInput): InteractionHandle {
    const { message, ctx } = this.componentContext(input.user, input.message);
    const shown = this.shownComponents(message, input.revision, 'selectMenu');
    const component = findComponent(shown, input.customId);
    if (!component) throw new Error(`selectMenu: message ${message.id} has no component with custom_id "${input.customId}"${this.describeComponents(shown)}`);
    const type = component.type as number;
    if (!SELECT_TYPES.has(type)) throw new Error(`selectMenu: "${input.customId}" is component type ${type}, not a select menu`);
    if (component.disabled === true) throw new Error(`selectMenu: select "${input.customId}" is disabled`);
    const values = input.values.map(id);
    const resolved = new Resolved();
    this.checkSelectValues(component, values, ctx, resolved, 'selectMenu');
    const data: JsonObject = { component_type: type, custom_id: input.customId, values };
    if (typeof component.id === 'number') data.id = component.id;
    const res = resolved.toJSON();
    if (res) data.resolved = res;
    return this.dispatchInteraction({
      type: InteractionTypes.MessageComponent,
      ctx,
      data,
      message,
      customId: input.customId,
      locale: input.locale,
    });
  }

  /** A user submits a modal the bot showed them earlier. */
  submitModal(input: ModalInput): InteractionHandle {
    const userId = id(input.user);
    const origin = [...this.core.interactions.values()]
      .reverse()
      .find((r) => r.userId === userId && r.modal && !r.modal.submitted && r.modal.customId === input.customId);
    if (!origin || !origin.modal) {
      const open = [...this.core.interactions.values()].filter((r) => r.userId === userId && r.modal && !r.modal.submitted).map((r) => r.modal!.customId);
      throw new Error(`submitModal: no open modal "${input.customId}" for user ${userId} (open: ${open.join(', ') || 'none'})`);
    }
    if (input.channel && id(input.channel) !== origin.channelId) throw new Error(`submitModal: modal was opened in channel ${origin.channelId}, not ${id(input.channel)}`);
    if (input.message && id(input.message) !== origin.sourceMessageId) throw new Error(`submitModal: modal was not opened from message ${id(input.message)}`);
    const ctx = this.invocationContext(userId, origin.channelId);
    const resolved = new Resolved();
    const components = this.buildModalSubmit(origin.modal.data, input.fields, ctx, resolved);
    const data: JsonObject = { custom_id: input.customId, components };
    const res = resolved.toJSON();
    if (res) data.resolved = res;
    origin.modal.submitted = true;
    const source = origin.sourceMessageId ? this.core.world.messages.get(origin.sourceMessageId) : undefined;
    return this.dispatchInteraction({
      type: InteractionTypes.ModalSubmit,
      ctx,
      data,
      message: source && !source.deleted ? source : undefined,
      customId: input.customId,
      modalOf: origin.id,
      locale: input.locale,
    });
  }

  // ---- inspection ----------------------------------------------------------------------------

  /** Messages in a channel or thread, oldest first (deleted ones only on request). */
  messages(channel: Ref, opts: { includeDeleted?: boolean } = {}): EmulatedMessage[] {
    return this.core.world
      .channelMessages(id(channel))
      .filter((m) => opts.includeDeleted || !m.deleted)
      .map(viewMessage);
  }

  message(messageId: string): EmulatedMessage | undefined {
    const m = this.core.world.messages.get(messageId);
    return m ? viewMessage(m) : undefined;
  }

  threads(): EmulatedThread[] {
    return [...this.core.world.channels.values()]
      .filter((c) => c.thread)
      .map((c) => ({
        id: c.id,
        name: c.name,
        parentId: c.parentId!,
        guildId: c.guildId,
        type: c.type,
        ownerId: c.thread!.ownerId,
        starterMessageId: c.thread!.starterMessageId,
        archived: c.thread!.archived,
        locked: c.thread!.locked,
        autoArchiveDuration: c.thread!.autoArchiveDuration,
        memberIds: [...c.thread!.memberIds],
      }));
  }

  /** Every interaction callback the bot made successfully, in order. */
  get interactionResponses(): readonly InteractionResponseRecord[] {
    return this.core.interactionResponses;
  }

  /** Registered commands (global, or for one guild) as GET would return them. */
  commands(guild?: Ref): JsonObject[] {
    const list = guild ? (this.core.world.guildCommands.get(id(guild)) ?? []) : this.core.world.globalCommands;
    return list.map((c) => structuredClone(c.data));
  }

  /** Every 4xx/5xx the emulator answered, with route and body. */
  get errors(): readonly ErrorRecord[] {
    return this.core.errors;
  }

  /** Things Discord accepts silently that are almost certainly bugs (e.g. EPHEMERAL on a channel message). */
  get warnings(): readonly string[] {
    return this.core.warnings;
  }

  get requests(): readonly RequestRecord[] {
    return this.core.requests;
  }

  /** 429s served (all channels). */
  get rateLimitHits(): number {
    return this.core.rateLimiter?.total ?? 0;
  }

  rateLimitHitsIn(channel: Ref): number {
    return this.core.rateLimiter?.hits.get(id(channel)) ?? 0;
  }

  /** Message creates and edits accepted, oldest first; narrowed to one channel and/or one token. */
  messageWrites(filter: { channel?: Ref; via?: 'bot' | 'interaction' } = {}): readonly MessageWriteRecord[] {
    return this.core.messageWrites.filter(
      (write) =>
        (filter.channel === undefined || write.channelId === id(filter.channel)) &&
        (filter.via === undefined || write.webhook === (filter.via === 'interaction')),
    );
  }

  /**
   * Per channel (threads are channels), the most bot-token message writes that fell within
   * any `windowMs` span: Discord's per-channel bucket allows 5 per 5 s.
   */
  busiestWindows(windowMs = 5000): Map<string, number> {
    const byChannel = new Map<string, number[]>();
    for (const write of this.messageWrites({ via: 'bot' })) byChannel.set(write.channelId, [...(byChannel.get(write.channelId) ?? []), write.at]);
    const busiest = new Map<string, number>();
    for (const [channelId, times] of byChannel) {
      let most = 0;
      for (let first = 0, last = 0; last < times.length; last++) {
        while (times[last]! - times[first]! >= windowMs) first++;
        most = Math.max(most, last - first + 1);
      }
      busiest.set(channelId, most);
    }
    return busiest;
  }

  /** IDENTIFY payloads received (token redacted). */
  get identifies(): readonly IdentifyRecord[] {
    return this.core.gateway.identifies;
  }

  /** Gateway closes (by server or client) with codes. */
  get gatewayCloses(): ReadonlyArray<{ code: number; reason: string; by: 'server' | 'client' }> {
    return this.core.gateway.closes;
  }

  /** Number of open gateway connections that completed IDENTIFY/RESUME. */
  get connectedSessions(): number {
    return [...this.core.gateway.connections].filter((c) => c.identified && !c.closed).length;
  }

  /**
   * Resolves with the first truthy value of `predicate`, re-evaluated on every emulator change
   * (and every 100 ms); rejects after `timeoutMs`.
   */
  waitFor<T>(predicate: (emulator: DiscordEmulator) => T | undefined | null | false, timeoutMs = 5000, description = 'condition'): Promise<T> {
    return waitForCondition(this.core, () => predicate(this), timeoutMs, () => description);
  }

  /** Moves the emulator clock forward (ack window, token lifetime, rate-limit windows). */
  advanceTime(ms: number): void {
    this.core.clockOffset += ms;
    this.core.changed();
  }

  /** Sends op 7 RECONNECT; discord.js closes and RESUMEs. */
  requestReconnect(): void {
    this.core.gateway.requestReconnect();
  }

  /** Drops gateway connections with a close code (default 4000, which discord.js resumes from). */
  dropGatewayConnections(code?: number): void {
    this.core.gateway.dropConnections(code);
  }

  // ---- internals -----------------------------------------------------------------------------

  private guildOrThrow(ref: Ref): GuildRecord {
    const guild = this.core.world.guild(id(ref));
    if (!guild) throw new Error(`unknown guild ${id(ref)}`);
    return guild;
  }

  private userOrThrow(ref: Ref): UserRecord {
    const user = this.core.world.user(id(ref));
    if (!user) throw new Error(`unknown user ${id(ref)}`);
    return user;
  }

  private channelOrThrow(ref: Ref): ChannelRecord {
    const channel = this.core.world.channel(id(ref));
    if (!channel) throw new Error(`unknown channel ${id(ref)}`);
    return channel;
  }

  private invocationContext(userRef: Ref, channelRef: Ref): InvocationContext {
    const user = this.userOrThrow(userRef);
    const channel = this.channelOrThrow(channelRef);
    const guild = this.guildOrThrow(channel.guildId);
    if (!guild.members.has(user.id)) throw new Error(`user ${user.username} is not a member of guild ${guild.name}`);
    if (!guild.members.has(this.core.botUser.id)) throw new Error(`the bot is not in guild ${guild.name}`);
    const perms = this.core.world.permissionsIn(channel, user.id);
    if (!(perms & P.ViewChannel)) throw new Error(`user ${user.username} cannot see channel #${channel.name}`);
    return { user, channel, guild, perms };
  }

  private checkCommandVisible(command: StoredCommand, ctx: InvocationContext): void {
    if (!(ctx.perms & P.UseApplicationCommands)) throw new Error(`user ${ctx.user.username} lacks USE_APPLICATION_COMMANDS in #${ctx.channel.name}`);
    const required = command.data.default_member_permissions;
    if (typeof required === 'string') {
      const need = BigInt(required);
      const have = this.core.world.basePermissions(ctx.guild, ctx.user.id);
      if ((have & need) !== need) throw new Error(`/${String(command.data.name)} is hidden from ${ctx.user.username}: default_member_permissions ${required}`);
    }
  }

  private resolveCommand(guildId: string, input: SlashCommandInput): { command: StoredCommand; path: Array<{ type: number; name: string }>; leafDefs: JsonObject[] } {
    const parts = input.name.trim().split(/\s+/);
    const name = parts[0]!;
    let group = input.subcommandGroup;
    let sub = input.subcommand;
    if (parts.length === 3) [group, sub] = [parts[1], parts[2]];
    else if (parts.length === 2) sub = parts[1];
    const find = (list: StoredCommand[]) => list.find((c) => c.data.name === name && c.data.type === 1);
    const command = find(this.core.world.guildCommands.get(guildId) ?? []) ?? find(this.core.world.globalCommands);
    if (!command) {
      const known = [...(this.core.world.guildCommands.get(guildId) ?? []), ...this.core.world.globalCommands].map((c) => String(c.data.name));
      throw new Error(`/${name} is not registered (registered: ${known.join(', ') || 'none'})`);
    }
    let defs = (command.data.options as JsonObject[] | undefined) ?? [];
    const path: Array<{ type: number; name: string }> = [];
    const hasSubs = defs.some((d) => d.type === OptionTypes.Subcommand || d.type === OptionTypes.SubcommandGroup);
    if (!hasSubs) {
      if (group || sub) throw new Error(`/${name} has no subcommands`);
      return { command, path, leafDefs: defs };
    }
    if (group) {
      const g = defs.find((d) => d.type === OptionTypes.SubcommandGroup && d.name === group);
      if (!g) throw new Error(`/${name} has no subcommand group "${group}"`);
      path.push({ type: OptionTypes.SubcommandGroup, name: group });
      defs = (g.options as JsonObject[] | undefined) ?? [];
    }
    const s = defs.find((d) => d.type === OptionTypes.Subcommand && d.name === sub);
    if (!s) {
      const choices = defs.map((d) => String(d.name)).join(', ');
      throw new Error(`/${[name, group].filter(Boolean).join(' ')} needs a subcommand (${choices}); got "${sub ?? ''}"`);
    }
    path.push({ type: OptionTypes.Subcommand, name: sub! });
    return { command, path, leafDefs: (s.options as JsonObject[] | undefined) ?? [] };
  }

  private buildOptions(defs: JsonObject[], input: Record<string, OptionInput>, ctx: InvocationContext, resolved: Resolved, focused: string | null): JsonObject[] {
    for (const key of Object.keys(input)) {
      if (!defs.some((d) => d.name === key)) throw new Error(`option "${key}" is not registered (options: ${defs.map((d) => String(d.name)).join(', ') || 'none'})`);
    }
    const out: JsonObject[] = [];
    for (const def of defs) {
      const name = def.name as string;
      const type = def.type as number;
      if (name === focused) {
        // The focused option carries the raw, possibly partial text the user has typed.
        const raw = input[name] ?? '';
        if (typeof raw !== 'string' && typeof raw !== 'number') throw new Error(`autocomplete: focused value for "${name}" must be the typed text`);
        out.push({ type, name, value: String(raw), focused: true });
        continue;
      }
      if (!(name in input)) {
        if (def.required === true && focused === null) throw new Error(`option "${name}" is required`);
        continue;
      }
      out.push({ type, name, value: this.convertOption(def, input[name]!, ctx, resolved) });
    }
    return out;
  }

  private convertOption(def: JsonObject, value: OptionInput, ctx: InvocationContext, resolved: Resolved): Json {
    const name = def.name as string;
    const type = def.type as number;
    const fail = (why: string) => new Error(`option "${name}": ${why}`);
    const checkChoices = (v: string | number) => {
      if (Array.isArray(def.choices) && def.choices.length > 0 && !def.choices.some((c) => isObject(c) && c.value === v)) {
        throw fail(`${JSON.stringify(v)} is not one of the registered choices`);
      }
    };
    switch (type) {
      case OptionTypes.String: {
        if (typeof value !== 'string') throw fail('expected a string');
        const n = len(value);
        if (n > ((def.max_length as number | undefined) ?? 6000) || n < ((def.min_length as number | undefined) ?? 0)) throw fail('length outside min_length/max_length');
        checkChoices(value);
        return value;
      }
      case OptionTypes.Integer:
      case OptionTypes.Number: {
        if (typeof value !== 'number' || !Number.isFinite(value)) throw fail('expected a number');
        if (type === OptionTypes.Integer && !Number.isSafeInteger(value)) throw fail('expected an integer');
        if (typeof def.min_value === 'number' && value < def.min_value) throw fail(`below min_value ${def.min_value}`);
        if (typeof def.max_value === 'number' && value > def.max_value) throw fail(`above max_value ${def.max_value}`);
        checkChoices(value);
        return value;
      }
      case OptionTypes.Boolean:
        if (typeof value !== 'boolean') throw fail('expected a boolean');
        return value;
      case OptionTypes.User:
        return resolved.addUser(this.core, ctx.guild, this.refId(value, fail));
      case OptionTypes.Role:
        return resolved.addRole(this.core, ctx.guild, this.refId(value, fail));
      case OptionTypes.Mentionable: {
        const ref = this.refId(value, fail);
        return ctx.guild.roles.has(ref) ? resolved.addRole(this.core, ctx.guild, ref) : resolved.addUser(this.core, ctx.guild, ref);
      }
      case OptionTypes.Channel: {
        const channelId = this.refId(value, fail);
        const channel = this.core.world.channel(channelId);
        if (!channel || channel.guildId !== ctx.guild.id) throw fail(`channel ${channelId} is not in this guild`);
        if (Array.isArray(def.channel_types) && !def.channel_types.includes(channel.type)) throw fail(`channel type ${channel.type} not allowed by channel_types`);
        return resolved.addChannel(this.core, channel, ctx.user.id);
      }
      case OptionTypes.Attachment: {
        if (!isAttachmentInput(value)) throw fail('expected { filename, content }');
        const data = typeof value.content === 'string' ? Buffer.from(value.content) : value.content;
        const attachment = this.core.newAttachment(ctx.channel.id, { field: 'option', index: 0, filename: value.filename, contentType: value.contentType ?? null, data }, {}, true);
        this.core.commandAttachments.set(attachment.id, attachment);
        resolved.attachments[attachment.id] = this.core.world.renderAttachment(attachment);
        return attachment.id;
      }
      default:
        throw fail(`unsupported option type ${type}`);
    }
  }

  private refId(value: OptionInput, fail: (why: string) => Error): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'string') return value.id;
    throw fail('expected an id or an object with an id');
  }

  private componentContext(userRef: Ref, messageRef: Ref): { message: StoredMessage; ctx: InvocationContext } {
    const message = this.core.world.messages.get(id(messageRef));
    if (!message || message.deleted) throw new Error(`message ${id(messageRef)} does not exist (or was deleted)`);
    const ctx = this.invocationContext(userRef, message.channelId);
    if (message.ephemeralUserId && message.ephemeralUserId !== ctx.user.id) {
      throw new Error(`message ${message.id} is ephemeral and only visible to ${message.ephemeralUserId}`);
    }
    return { message, ctx };
  }

  /** The components the user sees: the message's, or those of an earlier revision still on their screen. */
  private shownComponents(message: StoredMessage, revision: number | undefined, what: string): JsonObject[] {
    if (revision === undefined) return message.components;
    const shown = message.history[revision];
    if (!shown) throw new Error(`${what}: message ${message.id} has no revision ${revision} (it has ${message.history.length})`);
    return shown.components;
  }

  private describeComponents(components: JsonObject[]): string {
    const ids: string[] = [];
    const walk = (c: Json) => {
      if (!isObject(c)) return;
      if (typeof c.custom_id === 'string') ids.push(c.custom_id);
      if (Array.isArray(c.components)) c.components.forEach(walk);
      if (isObject(c.accessory)) walk(c.accessory);
    };
    components.forEach(walk);
    return ` (custom_ids: ${ids.join(', ') || 'none'})`;
  }

  private checkSelectValues(component: JsonObject, values: string[], ctx: InvocationContext, resolved: Resolved, what: string): void {
    const min = typeof component.min_values === 'number' ? component.min_values : 1;
    const max = typeof component.max_values === 'number' ? component.max_values : 1;
    if (values.length < min || values.length > max) throw new Error(`${what}: ${values.length} value(s) chosen, component allows ${min}..${max}`);
    if (new Set(values).size !== values.length) throw new Error(`${what}: duplicate values`);
    switch (component.type) {
      case ComponentTypes.StringSelect: {
        const allowed = (component.options as JsonObject[]).map((o) => o.value);
        for (const v of values) if (!allowed.includes(v)) throw new Error(`${what}: "${v}" is not an option (${allowed.join(', ')})`);
        break;
      }
      case ComponentTypes.UserSelect:
        for (const v of values) resolved.addUser(this.core, ctx.guild, v);
        break;
      case ComponentTypes.RoleSelect:
        for (const v of values) resolved.addRole(this.core, ctx.guild, v);
        break;
      case ComponentTypes.MentionableSelect:
        for (const v of values) {
          if (ctx.guild.roles.has(v)) resolved.addRole(this.core, ctx.guild, v);
          else resolved.addUser(this.core, ctx.guild, v);
        }
        break;
      case ComponentTypes.ChannelSelect:
        for (const v of values) {
          const channel = this.core.world.channel(v);
          if (!channel || channel.guildId !== ctx.guild.id) throw new Error(`${what}: channel ${v} is not in this guild`);
          if (Array.isArray(component.channel_types) && !component.channel_types.includes(channel.type)) throw new Error(`${what}: channel type ${channel.type} not allowed`);
          resolved.addChannel(this.core, channel, ctx.user.id);
        }
        break;
    }
  }

  private buildModalSubmit(modal: JsonObject, fields: Record<string, string | string[]>, ctx: InvocationContext, resolved: Resolved): JsonObject[] {
    const known = new Set<string>();
    const textValue = (input: JsonObject): JsonObject => {
      const customId = input.custom_id as string;
      known.add(customId);
      const given = fields[customId];
      if (Array.isArray(given)) throw new Error(`submitModal: "${customId}" is a text input; pass a string`);
      const value = given ?? '';
      const required = input.required !== false;
      const n = len(value);
      if (required && n === 0) throw new Error(`submitModal: "${customId}" is required`);
      if (n > 0 || required) {
        const max = typeof input.max_length === 'number' ? input.max_length : 4000;
        const min = typeof input.min_length === 'number' ? input.min_length : 0;
        if (n > max || n < min) throw new Error(`submitModal: "${customId}" must be ${min}..${max} characters (got ${n})`);
      }
      const out: JsonObject = { type: ComponentTypes.TextInput, custom_id: customId, value };
      if (typeof input.id === 'number') out.id = input.id;
      return out;
    };
    const selectValue = (input: JsonObject): JsonObject => {
      const customId = input.custom_id as string;
      known.add(customId);
      const given = fields[customId];
      const values = given === undefined ? [] : Array.isArray(given) ? given : [given];
      if (values.length > 0 || input.required !== false) this.checkSelectValues(input, values, ctx, resolved, 'submitModal');
      const out: JsonObject = { type: input.type as number, custom_id: customId, values };
      if (typeof input.id === 'number') out.id = input.id;
      return out;
    };
    let nextId = 1;
    const withIds = structuredClone(modal.components as JsonObject[]);
    // Discord numbers components that came without an id, and echoes the ids in the submit.
    const number = (c: JsonObject) => {
      if (typeof c.id !== 'number') c.id = nextId++;
      if (Array.isArray(c.components)) c.components.filter(isObject).forEach(number);
      if (isObject(c.component)) number(c.component);
    };
    withIds.forEach(number);
    const out = withIds.map((c): JsonObject => {
      if (c.type === ComponentTypes.ActionRow) {
        return { type: 1, id: c.id as number, components: (c.components as JsonObject[]).map(textValue) };
      }
      if (c.type === ComponentTypes.Label) {
        const inner = c.component as JsonObject;
        const component = inner.type === ComponentTypes.TextInput ? textValue(inner) : selectValue(inner);
        return { type: ComponentTypes.Label, id: c.id as number, component };
      }
      return { type: c.type as number, id: c.id as number };
    });
    for (const key of Object.keys(fields)) {
      if (!known.has(key)) throw new Error(`submitModal: the modal has no input "${key}" (inputs: ${[...known].join(', ')})`);
    }
    return out;
  }

  private dispatchInteraction(p: {
    type: number;
    ctx: InvocationContext;
    data: JsonObject;
    message?: StoredMessage;
    commandName?: string;
    customId?: string;
    focusedType?: number;
    modalOf?: string;
    locale?: string;
  }): InteractionHandle {
    const { ctx } = p;
    if (this.core.gateway.liveSessions(ctx.guild.id).length === 0) {
      throw new Error('no gateway session would receive this interaction: is the bot logged in (and identified with this shard)?');
    }
    const interactionId = this.core.ids.next();
    const token = `aW50ZXJhY3Rpb246${Buffer.from(interactionId).toString('base64url')}${randomBytes(48).toString('base64url')}`;
    const member = ctx.guild.members.get(ctx.user.id)!;
    const userJson = this.core.world.renderUser(ctx.user);
    const payload: JsonObject = {
      app_permissions: this.core.world.permissionsIn(ctx.channel, this.core.botUser.id).toString(),
      application_id: this.core.application.id,
      attachment_size_limit: this.core.options.maxUploadBytes,
      authorizing_integration_owners: { '0': ctx.guild.id },
      channel: this.core.world.renderPartialChannel(ctx.channel, ctx.user.id),
      channel_id: ctx.channel.id,
      context: 0,
      data: p.data,
      entitlement_sku_ids: [],
      entitlements: [],
      guild: { features: [], id: ctx.guild.id, locale: ctx.guild.preferredLocale },
      guild_id: ctx.guild.id,
      guild_locale: ctx.guild.preferredLocale,
      id: interactionId,
      locale: p.locale ?? ctx.user.locale,
      member: { ...this.core.world.renderMember(ctx.guild, member), permissions: ctx.perms.toString() },
      token,
      type: p.type,
      version: 1,
    };
    if (p.message) payload.message = this.core.world.renderMessage(p.message);

    const record: InteractionRecord = {
      id: interactionId,
      token,
      type: p.type,
      guildId: ctx.guild.id,
      channelId: ctx.channel.id,
      userId: ctx.user.id,
      createdAt: this.core.now(),
      payload,
      commandName: p.commandName ?? null,
      customId: p.customId ?? null,
      focusedType: p.focusedType ?? null,
      ack: null,
      originalMessageId: null,
      sourceMessageId: p.message?.id ?? null,
      followUpIds: [],
      modal: null,
      modalOf: p.modalOf ?? null,
    };
    this.core.interactions.set(interactionId, record);
    this.core.interactionsByToken.set(token, record);

    const metadata: JsonObject = {
      id: interactionId,
      type: p.type,
      user: userJson,
      authorizing_integration_owners: { '0': ctx.guild.id },
    };
    if (p.type === InteractionTypes.ApplicationCommand) {
      metadata.name = p.commandName ?? null;
      metadata.command_type = 1;
    }
    if (p.message) metadata.interacted_message_id = p.message.id;
    if (p.modalOf) {
      const parent = this.core.world.interactionMetadata.get(p.modalOf);
      if (parent) metadata.triggering_interaction_metadata = parent.metadata;
    }
    this.core.world.interactionMetadata.set(interactionId, {
      metadata,
      legacy: p.type === InteractionTypes.ApplicationCommand ? { id: interactionId, type: p.type, name: p.commandName ?? '', user: userJson } : null,
    });

    this.core.gateway.dispatch('INTERACTION_CREATE', payload, { guildId: ctx.guild.id });
    this.core.changed();
    return new InteractionHandle(this.core, record);
  }
}

interface InvocationContext {
  user: UserRecord;
  channel: ChannelRecord;
  guild: GuildRecord;
  perms: bigint;
}

function wrapOptions(path: Array<{ type: number; name: string }>, leaf: JsonObject[]): JsonObject[] {
  let options: JsonObject[] = leaf;
  for (const step of [...path].reverse()) options = [{ type: step.type, name: step.name, options }];
  return options;
}

/** `data.resolved` for command options and auto-populated selects. */
class Resolved {
  users: JsonObject = {};
  members: JsonObject = {};
  roles: JsonObject = {};
  channels: JsonObject = {};
  attachments: JsonObject = {};

  addUser(core: Core, guild: GuildRecord, userId: string): string {
    const user = core.world.user(userId);
    if (!user) throw new Error(`unknown user ${userId}`);
    this.users[user.id] = core.world.renderUser(user);
    const member = guild.members.get(user.id);
    if (member) {
      const channelless = core.world.basePermissions(guild, user.id);
      this.members[user.id] = { ...core.world.renderMember(guild, member, false), permissions: channelless.toString() };
    }
    return user.id;
  }

  addRole(core: Core, guild: GuildRecord, roleId: string): string {
    const role = guild.roles.get(roleId);
    if (!role) throw new Error(`role ${roleId} is not in guild ${guild.id}`);
    this.roles[role.id] = core.world.renderRole(role);
    return role.id;
  }

  addChannel(core: Core, channel: ChannelRecord, viewerId: string): string {
    const full = core.world.renderPartialChannel(channel, viewerId);
    const partial: JsonObject = { id: channel.id, name: channel.name, type: channel.type, permissions: full.permissions as string, parent_id: channel.parentId, flags: 0 };
    if (full.thread_metadata) partial.thread_metadata = full.thread_metadata;
    if (channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement) {
      partial.topic = channel.topic;
      partial.nsfw = channel.nsfw;
      partial.rate_limit_per_user = channel.rateLimitPerUser;
      partial.last_message_id = channel.lastMessageId;
      partial.guild_id = channel.guildId;
      partial.position = channel.position;
    }
    this.channels[channel.id] = partial;
    return channel.id;
  }

  toJSON(): JsonObject | null {
    const out: JsonObject = {};
    for (const key of ['users', 'members', 'roles', 'channels', 'attachments'] as const) {
      if (Object.keys(this[key]).length > 0) out[key] = this[key];
    }
    return Object.keys(out).length ? out : null;
  }
}
