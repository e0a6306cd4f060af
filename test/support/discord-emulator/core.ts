/**
 * Shared emulator state used by both the REST layer and the test-facing simulation API.
 */
import { randomBytes } from 'node:crypto';
import type { Json, JsonObject } from './errors.js';
import { ApiError } from './errors.js';
import { Gateway, type GatewaySession } from './gateway.js';
import { SnowflakeGenerator } from './snowflake.js';
import { World, type StoredAttachment, type StoredMessage, type UserRecord } from './world.js';

export interface RateLimitOptions {
  /** Message creates/edits allowed per channel per window (Discord: 5). */
  limit?: number;
  /** Window length (Discord: 5 s). */
  windowMs?: number;
  /** Count interaction follow-ups/edits (webhook routes) against the channel bucket too. */
  includeWebhookMessages?: boolean;
  /**
   * Send X-RateLimit-* and Retry-After headers (default true). Without them a client
   * learns of the limit only from 429s, as when several processes share one bucket.
   */
  headers?: boolean;
}

export interface DiscordEmulatorOptions {
  /** Time the bot has to acknowledge an interaction (Discord: 3000 ms). */
  ackWindowMs?: number;
  /** Lifetime of the interaction token for webhook follow-ups/edits (Discord: 15 min). */
  interactionTokenTtlMs?: number;
  /** HELLO heartbeat_interval (Discord: 41250 ms). */
  heartbeatIntervalMs?: number;
  /** Per-channel message rate limit; `false` disables it. */
  rateLimit?: RateLimitOptions | false;
  /** Privileged intents enabled "in the developer portal" (bitfield). Default: none. */
  enabledPrivilegedIntents?: number;
  /** Refuse IDENTIFY without the GUILDS intent (stricter than Discord). Default true. */
  requireGuildsIntent?: boolean;
  /** How long a dropped session stays resumable. */
  resumeWindowMs?: number;
  /** Bot user name. */
  botUsername?: string;
  /** Permissions of the bot's managed role in every guild (bitfield). */
  botPermissions?: bigint;
  /** Maximum total upload size per request (Discord's default for bots: 10 MiB). */
  maxUploadBytes?: number;
}

export interface ResolvedOptions {
  ackWindowMs: number;
  interactionTokenTtlMs: number;
  heartbeatIntervalMs: number;
  rateLimit: Required<RateLimitOptions> | null;
  enabledPrivilegedIntents: number;
  requireGuildsIntent: boolean;
  resumeWindowMs: number;
  botUsername: string;
  botPermissions: bigint | null;
  maxUploadBytes: number;
}

export interface ShownModal {
  customId: string;
  data: JsonObject;
  submitted: boolean;
}

export interface InteractionRecord {
  id: string;
  token: string;
  type: number;
  guildId: string;
  channelId: string;
  userId: string;
  /** Emulator clock at dispatch. */
  createdAt: number;
  payload: JsonObject;
  commandName: string | null;
  customId: string | null;
  /** Option type of the focused option (autocomplete). */
  focusedType: number | null;
  ack: { type: number; data: JsonObject | null; at: number } | null;
  originalMessageId: string | null;
  /** The message whose component was used (components, and modals opened from one). */
  sourceMessageId: string | null;
  followUpIds: string[];
  modal: ShownModal | null;
  /** For modal submits: the interaction that showed the modal. */
  modalOf: string | null;
}

export interface InteractionResponseRecord {
  interactionId: string;
  interactionType: number;
  /** Callback type (4, 5, 6, 7, 8, 9). */
  type: number;
  data: JsonObject | null;
  /** Milliseconds between dispatch and acknowledgement. */
  latencyMs: number;
  commandName: string | null;
  customId: string | null;
}

export interface ErrorRecord {
  method: string;
  path: string;
  route: string;
  status: number;
  body: Json;
  requestBody: Json | null;
  at: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  route: string;
  status: number;
  at: number;
}

/** A message create or edit the emulator accepted (what Discord's per-channel bucket counts). */
export interface MessageWriteRecord {
  channelId: string;
  method: string;
  /** Through an interaction token (webhook routes) rather than the bot token. */
  webhook: boolean;
  /** Emulator clock. */
  at: number;
}

export interface UploadedFile {
  field: string;
  index: number;
  filename: string;
  contentType: string | null;
  data: Buffer;
}

/** Sliding-window per-channel limiter: Discord's 429 body, and its headers unless told to leave them out. */
export class ChannelRateLimiter {
  /** Per channel: when each accepted write in the current window happened. */
  private readonly windows = new Map<string, number[]>();
  readonly hits = new Map<string, number>();

  constructor(
    private readonly opts: Required<RateLimitOptions>,
    private readonly now: () => number,
  ) {}

  get includeWebhookMessages(): boolean {
    return this.opts.includeWebhookMessages;
  }

  /**
   * Consumes one request or throws Discord's 429. Returns headers for the success response.
   * The window slides: any `windowMs` span holds at most `limit` writes, so a client cannot
   * get twice the limit through by straddling the boundary of a fixed window.
   */
  take(channelId: string): Record<string, string> {
    const now = this.now();
    const window = (this.windows.get(channelId) ?? []).filter((at) => now - at < this.opts.windowMs);
    this.windows.set(channelId, window);
    const full = window.length >= this.opts.limit;
    // The next write fits once the oldest one that would still count leaves the window.
    const freesAt = full ? window[window.length - this.opts.limit]! + this.opts.windowMs : now;
    const headers = (remaining: number, resetAt: number): Record<string, string> =>
      this.opts.headers
        ? {
            'X-RateLimit-Limit': String(this.opts.limit),
            'X-RateLimit-Remaining': String(remaining),
            'X-RateLimit-Reset': (resetAt / 1000).toFixed(3),
            'X-RateLimit-Reset-After': (Math.max(0, resetAt - now) / 1000).toFixed(3),
            // Same hash for create and edit: they share Discord's per-channel message bucket.
            'X-RateLimit-Bucket': 'c0ffee0000000000000000000000emu1',
          }
        : {};
    if (full) {
      this.hits.set(channelId, (this.hits.get(channelId) ?? 0) + 1);
      const retryAfter = Math.max(0, freesAt - now) / 1000;
      throw new ApiError(
        429,
        { message: 'You are being rate limited.', retry_after: Number(retryAfter.toFixed(3)), global: false },
        this.opts.headers ? { ...headers(0, freesAt), 'Retry-After': String(Math.max(1, Math.ceil(retryAfter))), 'X-RateLimit-Scope': 'user' } : {},
      );
    }
    window.push(now);
    return headers(this.opts.limit - window.length, window[0]! + this.opts.windowMs);
  }

  get total(): number {
    let n = 0;
    for (const v of this.hits.values()) n += v;
    return n;
  }
}

export class Core {
  readonly options: ResolvedOptions;
  clockOffset = 0;
  readonly now = (): number => Date.now() + this.clockOffset;
  readonly ids = new SnowflakeGenerator(() => this.now());
  readonly world: World;
  readonly gateway: Gateway;
  readonly token: string;
  readonly botUser: UserRecord;
  readonly application: { id: string; name: string; flags: number };
  readonly interactions = new Map<string, InteractionRecord>();
  readonly interactionsByToken = new Map<string, InteractionRecord>();
  readonly interactionResponses: InteractionResponseRecord[] = [];
  readonly errors: ErrorRecord[] = [];
  readonly requests: RequestRecord[] = [];
  readonly messageWrites: MessageWriteRecord[] = [];
  /** Things Discord silently accepts but which are almost certainly bot bugs. */
  readonly warnings: string[] = [];
  readonly rateLimiter: ChannelRateLimiter | null;
  private readonly changeListeners = new Set<() => void>();
  baseUrl = '';

  constructor(options: DiscordEmulatorOptions) {
    const rl = options.rateLimit;
    this.options = {
      ackWindowMs: options.ackWindowMs ?? 3000,
      interactionTokenTtlMs: options.interactionTokenTtlMs ?? 15 * 60_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      rateLimit:
        rl === false
          ? null
          : { limit: rl?.limit ?? 5, windowMs: rl?.windowMs ?? 5000, includeWebhookMessages: rl?.includeWebhookMessages ?? true, headers: rl?.headers ?? true },
      enabledPrivilegedIntents: options.enabledPrivilegedIntents ?? 0,
      requireGuildsIntent: options.requireGuildsIntent ?? true,
      resumeWindowMs: options.resumeWindowMs ?? 120_000,
      botUsername: options.botUsername ?? 'Cloud Engine',
      botPermissions: options.botPermissions ?? null,
      maxUploadBytes: options.maxUploadBytes ?? 10 * 1024 * 1024,
    };
    this.world = new World(this.ids, this.now, () => this.baseUrl);
    this.rateLimiter = this.options.rateLimit ? new ChannelRateLimiter(this.options.rateLimit, this.now) : null;

    const appId = this.ids.next();
    this.application = { id: appId, name: this.options.botUsername, flags: 0 };
    // Bot users share the application's id.
    this.botUser = { id: appId, username: this.options.botUsername, globalName: null, bot: true, locale: 'en-US' };
    this.world.users.set(appId, this.botUser);
    // Real token layout: base64(user id) . base64(timestamp) . hmac — discord.js splits on '.'.
    this.token = [
      Buffer.from(appId).toString('base64url'),
      randomBytes(4).toString('base64url'),
      randomBytes(27).toString('base64url'),
    ].join('.');

    this.gateway = new Gateway({
      token: this.token,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      enabledPrivilegedIntents: this.options.enabledPrivilegedIntents,
      requireGuildsIntent: this.options.requireGuildsIntent,
      resumeWindowMs: this.options.resumeWindowMs,
      now: this.now,
      newSessionId: () => randomBytes(16).toString('hex'),
      buildReady: (session, resumeUrl) => this.buildReady(session, resumeUrl),
      guildCreates: (session) => this.guildCreates(session),
      requestMembers: (guildId, userIds, query, limit) => this.requestMembers(guildId, userIds, query, limit),
      gatewayUrl: () => this.gatewayUrl(),
      onChange: () => this.changed(),
    });
  }

  gatewayUrl(): string {
    return this.baseUrl.replace(/^http/, 'ws');
  }

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  changed(): void {
    for (const listener of [...this.changeListeners]) {
      try {
        listener();
      } catch {
        // A failing waitFor predicate must not break the emulator.
      }
    }
  }

  warn(message: string): void {
    this.warnings.push(message);
    this.changed();
  }

  private buildReady(session: GatewaySession, resumeUrl: string): JsonObject {
    const guilds = [...this.world.guilds.values()]
      .filter((g) => g.members.has(this.botUser.id))
      .filter((g) => Number((BigInt(g.id) >> 22n) % BigInt(session.shard[1])) === session.shard[0])
      .map((g) => ({ id: g.id, unavailable: true }));
    return {
      v: 10,
      user_settings: {},
      user: { ...this.world.renderUser(this.botUser), verified: true, mfa_enabled: false, email: null },
      session_type: 'normal',
      session_id: session.sessionId,
      resume_gateway_url: resumeUrl,
      relationships: [],
      private_channels: [],
      presences: [],
      guilds,
      guild_join_requests: [],
      geo_ordered_rtc_regions: ['emulator'],
      game_relationships: [],
      auth: {},
      application: { id: this.application.id, flags: this.application.flags },
      shard: session.shard,
      _trace: ['["gateway-emulator",{"micros":0}]'],
    };
  }

  private guildCreates(session: GatewaySession): JsonObject[] {
    return [...this.world.guilds.values()]
      .filter((g) => g.members.has(this.botUser.id))
      .filter((g) => Number((BigInt(g.id) >> 22n) % BigInt(session.shard[1])) === session.shard[0])
      .map((g) => this.world.renderGuildCreate(g, this.botUser.id, [...this.world.channels.values()].filter((c) => c.guildId === g.id)));
  }

  private requestMembers(guildId: string, userIds: string[] | null, query: string | null, limit: number) {
    const guild = this.world.guild(guildId);
    if (!guild) return { members: [], notFound: userIds ?? [] };
    let members = [...guild.members.values()];
    const notFound: string[] = [];
    if (userIds) {
      members = members.filter((m) => userIds.includes(m.userId));
      for (const id of userIds) if (!guild.members.has(id)) notFound.push(id);
    } else if (query) {
      members = members.filter((m) => this.world.user(m.userId)?.username.toLowerCase().startsWith(query.toLowerCase()));
    }
    if (limit > 0) members = members.slice(0, limit);
    return { members: members.map((m) => this.world.renderMember(guild, m)), notFound };
  }

  /** Dispatches an event for a guild to the sessions on its shard, gated by intent. */
  dispatchGuildEvent(t: string, d: unknown, guildId: string, intent?: number): void {
    this.gateway.dispatch(t, d, intent === undefined ? { guildId } : { guildId, intent });
  }

  newAttachment(channelId: string, file: UploadedFile, meta: { description?: string | null; title?: string | null }, ephemeral: boolean): StoredAttachment {
    const id = this.ids.next();
    return {
      id,
      filename: file.filename,
      contentType: file.contentType,
      size: file.data.length,
      data: file.data,
      description: meta.description ?? null,
      title: meta.title ?? null,
      url: `${this.baseUrl}/attachments/${channelId}/${id}/${encodeURIComponent(file.filename)}`,
      ephemeral,
    };
  }

  findAttachment(id: string): StoredAttachment | undefined {
    for (const m of this.world.messages.values()) {
      const a = m.attachments.find((x) => x.id === id);
      if (a) return a;
      for (const rev of m.history) {
        const old = rev.attachments.find((x) => x.id === id);
        if (old) return old;
      }
    }
    return this.commandAttachments.get(id);
  }

  /** Attachments uploaded as ATTACHMENT command options. */
  readonly commandAttachments = new Map<string, StoredAttachment>();

  messageOrThrow(id: string): StoredMessage {
    const m = this.world.messages.get(id);
    if (!m || m.deleted) throw new ApiError(404, { message: 'Unknown Message', code: 10008 });
    return m;
  }
}
