/**
 * The emulated Discord "world": users, guilds, roles, members, channels, threads, messages and
 * application commands, plus the JSON renderers that turn them into API v10 payloads.
 *
 * Payloads are rendered with every field Discord sends (including nulls) because discord.js's
 * structures branch on `'field' in data`: a missing field silently leaves a property undefined
 * where production would have a value, which would make the emulator more lenient than Discord.
 */
import { ChannelType, PermissionFlagsBits as P } from 'discord.js';
import type { Json, JsonObject } from './errors.js';
import { SnowflakeGenerator } from './snowflake.js';

export interface UserRecord {
  id: string;
  username: string;
  globalName: string | null;
  bot: boolean;
  /** Client locale sent with interactions this user triggers. */
  locale: string;
  /** The user turned off direct messages from server members: bots' DMs fail with 50007. */
  dmsClosed?: boolean;
}

export interface RoleRecord {
  id: string;
  guildId: string;
  name: string;
  permissions: bigint;
  position: number;
  color: number;
  hoist: boolean;
  mentionable: boolean;
  /** Set for the integration role Discord creates for a bot when it joins. */
  botId: string | null;
}

export interface MemberRecord {
  userId: string;
  roles: string[];
  nick: string | null;
  joinedAt: string;
}

export interface GuildRecord {
  id: string;
  name: string;
  ownerId: string;
  preferredLocale: string;
  roles: Map<string, RoleRecord>;
  members: Map<string, MemberRecord>;
}

export interface PermissionOverwrite {
  id: string;
  /** 0 = role, 1 = member */
  type: 0 | 1;
  allow: bigint;
  deny: bigint;
}

export interface ThreadMetadata {
  ownerId: string;
  archived: boolean;
  locked: boolean;
  invitable: boolean;
  autoArchiveDuration: number;
  archiveTimestamp: string;
  createTimestamp: string;
  memberIds: Set<string>;
  messageCount: number;
  totalMessageSent: number;
  /** The message the thread was started from (its id equals the thread id), if any. */
  starterMessageId: string | null;
}

export interface ChannelRecord {
  id: string;
  type: ChannelType;
  guildId: string;
  name: string;
  parentId: string | null;
  topic: string | null;
  position: number;
  nsfw: boolean;
  rateLimitPerUser: number;
  overwrites: PermissionOverwrite[];
  lastMessageId: string | null;
  defaultAutoArchiveDuration: number;
  thread: ThreadMetadata | null;
  /** A DM channel (type 1, no guild: `guildId` is ''): the user at the other end. */
  recipientId?: string;
}

export interface StoredAttachment {
  id: string;
  filename: string;
  contentType: string | null;
  size: number;
  data: Buffer;
  description: string | null;
  title: string | null;
  url: string;
  ephemeral: boolean;
}

export interface MessageContentState {
  content: string;
  embeds: JsonObject[];
  components: JsonObject[];
  attachments: StoredAttachment[];
  flags: number;
}

export interface MessageRevision extends MessageContentState {
  at: string;
}

export type MessageOrigin = 'channel' | 'interaction-response' | 'follow-up';

export interface StoredMessage extends MessageContentState {
  id: string;
  channelId: string;
  guildId: string;
  authorId: string;
  webhookId: string | null;
  applicationId: string | null;
  type: number;
  tts: boolean;
  nonce: string | number | null;
  createdAt: string;
  editedAt: string | null;
  /** Every version of the message, oldest first; the last entry is the current one. */
  history: MessageRevision[];
  deleted: boolean;
  origin: MessageOrigin;
  /** Interaction that produced this message (response or follow-up). */
  interactionId: string | null;
  /** For ephemeral messages: the only user who can see it. */
  ephemeralUserId: string | null;
  threadId: string | null;
  reference: JsonObject | null;
}

export interface StoredCommand {
  id: string;
  applicationId: string;
  guildId: string | null;
  version: string;
  /** Normalised command object exactly as GET returns it. */
  data: JsonObject;
}

export const MessageFlags = {
  SuppressEmbeds: 1 << 2,
  HasThread: 1 << 5,
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsComponentsV2: 1 << 15,
} as const;

export const ALL_PERMISSIONS = Object.values(P).reduce((a, b) => a | b, 0n);

/** What Discord grants @everyone in a freshly created guild (the bits that matter for bots). */
export const DEFAULT_EVERYONE_PERMISSIONS =
  P.CreateInstantInvite |
  P.ChangeNickname |
  P.ViewChannel |
  P.SendMessages |
  P.SendMessagesInThreads |
  P.CreatePublicThreads |
  P.CreatePrivateThreads |
  P.EmbedLinks |
  P.AttachFiles |
  P.AddReactions |
  P.UseExternalEmojis |
  P.UseExternalStickers |
  P.ReadMessageHistory |
  P.UseApplicationCommands |
  P.Connect |
  P.Speak;

/** Permissions requested in a typical bot invite link; applied to the bot's managed role. */
export const DEFAULT_BOT_PERMISSIONS =
  P.ViewChannel |
  P.SendMessages |
  P.SendMessagesInThreads |
  P.CreatePublicThreads |
  P.EmbedLinks |
  P.AttachFiles |
  P.ReadMessageHistory |
  P.UseApplicationCommands;

export const TEXT_CHANNEL_TYPES: ReadonlySet<ChannelType> = new Set([
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
  ChannelType.GuildVoice,
]);

export const THREAD_TYPES: ReadonlySet<ChannelType> = new Set([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

export class World {
  readonly users = new Map<string, UserRecord>();
  readonly guilds = new Map<string, GuildRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly messages = new Map<string, StoredMessage>();
  readonly messagesByChannel = new Map<string, string[]>();
  readonly globalCommands: StoredCommand[] = [];
  readonly guildCommands = new Map<string, StoredCommand[]>();

  constructor(
    readonly ids: SnowflakeGenerator,
    readonly now: () => number,
    readonly baseUrl: () => string,
  ) {}

  isoNow(): string {
    return new Date(this.now()).toISOString();
  }

  // ---- lookups -------------------------------------------------------------------------------

  user(id: string): UserRecord | undefined {
    return this.users.get(id);
  }

  channel(id: string): ChannelRecord | undefined {
    return this.channels.get(id);
  }

  guild(id: string): GuildRecord | undefined {
    return this.guilds.get(id);
  }

  channelMessages(channelId: string): StoredMessage[] {
    const ids = this.messagesByChannel.get(channelId) ?? [];
    return ids.map((id) => this.messages.get(id)).filter((m): m is StoredMessage => m !== undefined);
  }

  addMessage(message: StoredMessage): void {
    this.messages.set(message.id, message);
    const list = this.messagesByChannel.get(message.channelId) ?? [];
    list.push(message.id);
    this.messagesByChannel.set(message.channelId, list);
    const channel = this.channels.get(message.channelId);
    if (channel && message.ephemeralUserId === null) {
      channel.lastMessageId = message.id;
      if (channel.thread) {
        channel.thread.messageCount += 1;
        channel.thread.totalMessageSent += 1;
      }
    }
  }

  // ---- permissions ---------------------------------------------------------------------------

  /** Discord's permission algorithm: base role permissions, then channel overwrites. */
  permissionsIn(channel: ChannelRecord, userId: string): bigint {
    const guild = this.guilds.get(channel.guildId);
    if (!guild) return 0n;
    const member = guild.members.get(userId);
    if (!member) return 0n;
    if (guild.ownerId === userId) return ALL_PERMISSIONS;
    let base = guild.roles.get(guild.id)?.permissions ?? 0n;
    for (const roleId of member.roles) base |= guild.roles.get(roleId)?.permissions ?? 0n;
    if (base & P.Administrator) return ALL_PERMISSIONS;

    // Threads inherit the parent channel's overwrites.
    const source = channel.thread && channel.parentId ? (this.channels.get(channel.parentId) ?? channel) : channel;
    let perms = base;
    const everyone = source.overwrites.find((o) => o.id === guild.id);
    if (everyone) perms = (perms & ~everyone.deny) | everyone.allow;
    let allow = 0n;
    let deny = 0n;
    for (const o of source.overwrites) {
      if (o.type === 0 && member.roles.includes(o.id)) {
        allow |= o.allow;
        deny |= o.deny;
      }
    }
    perms = (perms & ~deny) | allow;
    const own = source.overwrites.find((o) => o.type === 1 && o.id === userId);
    if (own) perms = (perms & ~own.deny) | own.allow;
    if (!(perms & P.ViewChannel)) return 0n;
    return perms;
  }

  basePermissions(guild: GuildRecord, userId: string): bigint {
    const member = guild.members.get(userId);
    if (!member) return 0n;
    if (guild.ownerId === userId) return ALL_PERMISSIONS;
    let base = guild.roles.get(guild.id)?.permissions ?? 0n;
    for (const roleId of member.roles) base |= guild.roles.get(roleId)?.permissions ?? 0n;
    return base & P.Administrator ? ALL_PERMISSIONS : base;
  }

  // ---- renderers -----------------------------------------------------------------------------

  renderUser(user: UserRecord): JsonObject {
    const out: JsonObject = {
      id: user.id,
      username: user.username,
      avatar: null,
      discriminator: '0',
      public_flags: 0,
      flags: 0,
      banner: null,
      accent_color: null,
      global_name: user.globalName,
      avatar_decoration_data: null,
      collectibles: null,
      primary_guild: null,
    };
    if (user.bot) out.bot = true;
    return out;
  }

  renderRole(role: RoleRecord): JsonObject {
    const out: JsonObject = {
      id: role.id,
      name: role.name,
      description: null,
      permissions: role.permissions.toString(),
      position: role.position,
      color: role.color,
      colors: { primary_color: role.color, secondary_color: null, tertiary_color: null },
      hoist: role.hoist,
      managed: role.botId !== null,
      mentionable: role.mentionable,
      icon: null,
      unicode_emoji: null,
      flags: 0,
    };
    if (role.botId) out.tags = { bot_id: role.botId };
    return out;
  }

  /** Guild member object; `withUser` false gives the shape used in `resolved.members`. */
  renderMember(guild: GuildRecord, member: MemberRecord, withUser = true): JsonObject {
    const out: JsonObject = {
      avatar: null,
      banner: null,
      communication_disabled_until: null,
      flags: 0,
      joined_at: member.joinedAt,
      nick: member.nick,
      pending: false,
      premium_since: null,
      roles: [...member.roles],
      unusual_dm_activity_until: null,
      collectibles: null,
    };
    if (withUser) {
      const user = this.users.get(member.userId);
      if (user) out.user = this.renderUser(user);
      out.mute = false;
      out.deaf = false;
    }
    void guild;
    return out;
  }

  renderChannel(channel: ChannelRecord): JsonObject {
    if (channel.type === ChannelType.DM) {
      // A DM channel has no guild, name or permissions: its recipients instead.
      const recipient = this.users.get(channel.recipientId!);
      return { id: channel.id, type: channel.type, last_message_id: channel.lastMessageId, flags: 0, recipients: recipient ? [this.renderUser(recipient)] : [] };
    }
    const out: JsonObject = {
      id: channel.id,
      type: channel.type,
      guild_id: channel.guildId,
      name: channel.name,
      parent_id: channel.parentId,
      last_message_id: channel.lastMessageId,
      rate_limit_per_user: channel.rateLimitPerUser,
      flags: 0,
    };
    if (channel.thread) {
      const t = channel.thread;
      Object.assign(out, {
        owner_id: t.ownerId,
        message_count: t.messageCount,
        member_count: t.memberIds.size,
        total_message_sent: t.totalMessageSent,
        member_ids_preview: [...t.memberIds].slice(0, 8),
        thread_metadata: {
          archived: t.archived,
          archive_timestamp: t.archiveTimestamp,
          auto_archive_duration: t.autoArchiveDuration,
          locked: t.locked,
          create_timestamp: t.createTimestamp,
          ...(channel.type === ChannelType.PrivateThread ? { invitable: t.invitable } : {}),
        },
      } satisfies JsonObject);
    } else {
      Object.assign(out, {
        position: channel.position,
        permission_overwrites: channel.overwrites.map((o) => ({
          id: o.id,
          type: o.type,
          allow: o.allow.toString(),
          deny: o.deny.toString(),
        })),
        topic: channel.topic,
        nsfw: channel.nsfw,
        default_auto_archive_duration: channel.defaultAutoArchiveDuration,
        default_thread_rate_limit_per_user: 0,
        icon_emoji: null,
        theme_color: null,
      } satisfies JsonObject);
    }
    return out;
  }

  /** The partial channel Discord embeds in interactions and `resolved.channels`. */
  renderPartialChannel(channel: ChannelRecord, viewerId: string): JsonObject {
    const out = this.renderChannel(channel);
    out.permissions = this.permissionsIn(channel, viewerId).toString();
    return out;
  }

  renderGuildCreate(guild: GuildRecord, botUserId: string, shardChannels: ChannelRecord[]): JsonObject {
    const botMember = guild.members.get(botUserId);
    const channels = shardChannels.filter((c) => !c.thread).map((c) => {
      const rendered = this.renderChannel(c);
      // GUILD_CREATE channels omit guild_id.
      delete rendered.guild_id;
      return rendered;
    });
    const threads = shardChannels
      .filter((c) => c.thread && !c.thread.archived)
      .map((c) => this.renderChannel(c));
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      icon_hash: null,
      splash: null,
      discovery_splash: null,
      banner: null,
      description: null,
      owner_id: guild.ownerId,
      region: 'deprecated',
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [...guild.roles.values()].map((r) => this.renderRole(r)),
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      public_updates_channel_id: null,
      safety_alerts_channel_id: null,
      max_presences: null,
      max_members: 500000,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      vanity_url_code: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      premium_progress_bar_enabled: false,
      preferred_locale: guild.preferredLocale,
      nsfw: false,
      nsfw_level: 0,
      hub_type: null,
      incidents_data: null,
      latest_onboarding_question_id: null,
      inventory_settings: null,
      home_header: null,
      version: Date.now(),
      joined_at: botMember?.joinedAt ?? this.isoNow(),
      large: false,
      unavailable: false,
      lazy: true,
      member_count: guild.members.size,
      // Without the privileged GUILD_MEMBERS/GUILD_PRESENCES intents Discord only sends the bot itself.
      members: botMember ? [this.renderMember(guild, botMember)] : [],
      channels,
      threads,
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      activity_instances: [],
      embedded_activities: [],
      application_command_counts: {},
    };
  }

  renderAttachment(a: StoredAttachment): JsonObject {
    const out: JsonObject = {
      id: a.id,
      filename: a.filename,
      size: a.size,
      url: a.url,
      proxy_url: a.url,
    };
    if (a.contentType) out.content_type = a.contentType;
    if (a.description) out.description = a.description;
    if (a.title) out.title = a.title;
    if (a.ephemeral) out.ephemeral = true;
    return out;
  }

  renderMessage(m: StoredMessage): JsonObject {
    const author = this.users.get(m.authorId);
    const out: JsonObject = {
      type: m.type,
      content: m.content,
      mentions: [],
      mention_roles: [],
      attachments: m.attachments.map((a) => this.renderAttachment(a)),
      embeds: m.embeds.map((e) => structuredClone(e) as Json) as Json[],
      timestamp: m.createdAt,
      edited_timestamp: m.editedAt,
      flags: m.flags,
      components: m.components.map((c) => structuredClone(c) as Json) as Json[],
      id: m.id,
      channel_id: m.channelId,
      author: author ? this.renderUser(author) : null,
      pinned: false,
      mention_everyone: false,
      tts: m.tts,
    };
    // REST message objects carry no guild_id; the gateway adds guild_id/member on MESSAGE_CREATE.
    if (m.webhookId) out.webhook_id = m.webhookId;
    if (m.applicationId) out.application_id = m.applicationId;
    if (m.nonce !== null) out.nonce = m.nonce;
    if (m.reference) out.message_reference = m.reference;
    if (m.interactionId) {
      const meta = this.interactionMetadata.get(m.interactionId);
      if (meta) {
        out.interaction_metadata = meta.metadata;
        if (meta.legacy) out.interaction = meta.legacy;
      }
    }
    if (m.threadId) {
      const thread = this.channels.get(m.threadId);
      if (thread) out.thread = this.renderChannel(thread);
    }
    return out;
  }

  /** interaction_metadata / legacy `interaction` blocks for messages created by interactions. */
  readonly interactionMetadata = new Map<string, { metadata: JsonObject; legacy: JsonObject | null }>();
}
