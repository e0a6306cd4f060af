/**
 * HTTP side of the emulator: `/api/v10/...` routes with Discord's auth, validation, status
 * codes, error bodies and rate-limit headers, plus `/attachments/...` serving uploaded files.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PermissionFlagsBits as P, ChannelType } from 'discord.js';
import { normaliseCommand, validateCommand, CommandTypes } from './commands.js';
import type { Core, InteractionRecord, UploadedFile } from './core.js';
import { ApiError, apiErrors, FormErrors, Invalid, type Json, type JsonObject } from './errors.js';
import {
  assignComponentIds,
  isObject,
  validateAutocompleteResult,
  validateMessageBody,
  validateModal,
  validateThreadBody,
} from './validation.js';
import {
  MessageFlags,
  THREAD_TYPES,
  type ChannelRecord,
  type MessageContentState,
  type MessageOrigin,
  type StoredAttachment,
  type StoredCommand,
  type StoredMessage,
} from './world.js';
import { Intents } from './gateway.js';

interface RouteContext {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Json | null;
  files: UploadedFile[];
}

interface RouteResult {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  keys: string[];
  auth: boolean;
  handler: (ctx: RouteContext) => RouteResult | Promise<RouteResult>;
}

export const InteractionTypes = { Ping: 1, ApplicationCommand: 2, MessageComponent: 3, Autocomplete: 4, ModalSubmit: 5 } as const;
export const CallbackTypes = {
  Pong: 1,
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  AutocompleteResult: 8,
  Modal: 9,
} as const;

const ok = (body?: Json, headers?: Record<string, string>): RouteResult => ({ status: 200, body, headers });
const noContent = (headers?: Record<string, string>): RouteResult => ({ status: 204, headers });

function asObject(body: Json | null): JsonObject {
  if (!isObject(body)) {
    const errors = new FormErrors();
    errors.add([], ...Invalid.object());
    errors.throwIfAny();
  }
  return body as JsonObject;
}

export class RestApi {
  private readonly routes: Route[] = [];

  constructor(private readonly core: Core) {
    this.registerRoutes();
  }

  // ---- routing -------------------------------------------------------------------------------

  private add(method: string, template: string, handler: Route['handler'], auth = true): void {
    const keys: string[] = [];
    const source = template
      .split('/')
      .map((part) => {
        if (part.startsWith(':')) {
          keys.push(part.slice(1));
          return '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method, template, pattern: new RegExp(`^${source}$`), keys, auth, handler });
  }

  private registerRoutes(): void {
    // Order matters: literal segments (`@me`, `@original`) before parameters.
    this.add('GET', '/gateway', () => ok({ url: this.core.gatewayUrl() }), false);
    this.add('GET', '/gateway/bot', () => this.getGatewayBot());
    this.add('GET', '/users/@me', () => ok({ ...this.core.world.renderUser(this.core.botUser), verified: true, mfa_enabled: false, email: null, locale: 'en-US' }));
    this.add('GET', '/users/:user', (c) => this.getUser(c));
    this.add('POST', '/users/@me/channels', (c) => this.createDm(c));
    this.add('GET', '/applications/@me', () => ok(this.renderApplication()));
    this.add('GET', '/oauth2/applications/@me', () => ok(this.renderApplication()));

    this.add('GET', '/applications/:app/commands', (c) => this.listCommands(c, null));
    this.add('PUT', '/applications/:app/commands', (c) => this.overwriteCommands(c, null));
    this.add('POST', '/applications/:app/commands', (c) => this.createCommand(c, null));
    this.add('GET', '/applications/:app/commands/:command', (c) => this.getCommand(c, null));
    this.add('PATCH', '/applications/:app/commands/:command', (c) => this.editCommand(c, null));
    this.add('DELETE', '/applications/:app/commands/:command', (c) => this.deleteCommand(c, null));
    this.add('GET', '/applications/:app/guilds/:guild/commands', (c) => this.listCommands(c, c.params.guild!));
    this.add('PUT', '/applications/:app/guilds/:guild/commands', (c) => this.overwriteCommands(c, c.params.guild!));
    this.add('POST', '/applications/:app/guilds/:guild/commands', (c) => this.createCommand(c, c.params.guild!));
    this.add('GET', '/applications/:app/guilds/:guild/commands/:command', (c) => this.getCommand(c, c.params.guild!));
    this.add('PATCH', '/applications/:app/guilds/:guild/commands/:command', (c) => this.editCommand(c, c.params.guild!));
    this.add('DELETE', '/applications/:app/guilds/:guild/commands/:command', (c) => this.deleteCommand(c, c.params.guild!));

    this.add('POST', '/interactions/:interaction/:token/callback', (c) => this.interactionCallback(c), false);
    this.add('POST', '/webhooks/:app/:token', (c) => this.webhookExecute(c), false);
    this.add('GET', '/webhooks/:app/:token/messages/:message', (c) => this.webhookGetMessage(c), false);
    this.add('PATCH', '/webhooks/:app/:token/messages/:message', (c) => this.webhookEditMessage(c), false);
    this.add('DELETE', '/webhooks/:app/:token/messages/:message', (c) => this.webhookDeleteMessage(c), false);

    this.add('GET', '/channels/:channel', (c) => this.getChannel(c));
    this.add('PATCH', '/channels/:channel', (c) => this.editChannel(c));
    this.add('GET', '/channels/:channel/messages', (c) => this.listMessages(c));
    this.add('POST', '/channels/:channel/messages', (c) => this.createChannelMessage(c));
    this.add('GET', '/channels/:channel/messages/:message', (c) => this.getChannelMessage(c));
    this.add('PATCH', '/channels/:channel/messages/:message', (c) => this.editChannelMessage(c));
    this.add('DELETE', '/channels/:channel/messages/:message', (c) => this.deleteChannelMessage(c));
    this.add('POST', '/channels/:channel/messages/:message/threads', (c) => this.startThreadFromMessage(c));
    this.add('POST', '/channels/:channel/threads', (c) => this.startThread(c));
    this.add('GET', '/channels/:channel/thread-members', (c) => this.listThreadMembers(c));
    this.add('PUT', '/channels/:channel/thread-members/:user', (c) => this.addThreadMember(c));
    this.add('DELETE', '/channels/:channel/thread-members/:user', (c) => this.removeThreadMember(c));
    this.add('POST', '/channels/:channel/typing', (c) => {
      this.textChannelForBot(c.params.channel!);
      return noContent();
    });

    this.add('GET', '/guilds/:guild', (c) => ok(this.renderGuild(this.botGuild(c.params.guild!).id)));
    this.add('GET', '/guilds/:guild/channels', (c) => {
      const guild = this.botGuild(c.params.guild!);
      return ok([...this.core.world.channels.values()].filter((ch) => ch.guildId === guild.id && !ch.thread).map((ch) => this.core.world.renderChannel(ch)));
    });
    this.add('GET', '/guilds/:guild/roles', (c) => {
      const guild = this.botGuild(c.params.guild!);
      return ok([...guild.roles.values()].map((r) => this.core.world.renderRole(r)));
    });
    this.add('GET', '/guilds/:guild/members/:user', (c) => {
      const guild = this.botGuild(c.params.guild!);
      const member = guild.members.get(c.params.user === '@me' ? this.core.botUser.id : c.params.user!);
      if (!member) throw apiErrors.unknownMember();
      return ok(this.core.world.renderMember(guild, member));
    });
    this.add('GET', '/guilds/:guild/threads/active', (c) => {
      const guild = this.botGuild(c.params.guild!);
      const threads = [...this.core.world.channels.values()].filter((ch) => ch.guildId === guild.id && ch.thread && !ch.thread.archived);
      return ok({
        threads: threads.map((t) => this.core.world.renderChannel(t)),
        members: threads
          .filter((t) => t.thread!.memberIds.has(this.core.botUser.id))
          .map((t) => ({ id: t.id, user_id: this.core.botUser.id, join_timestamp: t.thread!.createTimestamp, flags: 0 })),
      });
    });
  }

  // ---- HTTP plumbing -------------------------------------------------------------------------

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' && url.pathname.startsWith('/attachments/')) {
      this.serveAttachment(url.pathname, res);
      return;
    }
    let routeTemplate = '(unmatched)';
    let requestBody: Json | null = null;
    try {
      const match = /^\/api\/v(\d+)(\/.*)$/.exec(url.pathname);
      if (!match) throw apiErrors.notFound();
      if (match[1] !== '10') {
        // @discordjs/rest pins v10; anything else is a misconfigured client.
        throw new ApiError(400, { message: `Invalid API version: ${match[1]} (emulator speaks v10)`, code: 50041 });
      }
      const path = match[2]!;
      const candidates = this.routes.filter((r) => r.pattern.test(path));
      const route = candidates.find((r) => r.method === method);
      if (!route) throw candidates.length ? apiErrors.methodNotAllowed() : apiErrors.notFound();
      routeTemplate = route.template;
      const params: Record<string, string> = {};
      const values = route.pattern.exec(path)!;
      route.keys.forEach((k, i) => (params[k] = decodeURIComponent(values[i + 1]!)));

      const raw = await this.readBody(req);
      if (route.auth) this.checkAuth(req);
      const parsed = await this.parseBody(req, raw);
      requestBody = parsed.body;
      const result = await route.handler({ req, params, query: url.searchParams, body: parsed.body, files: parsed.files });
      this.core.requests.push({ method, path: url.pathname, route: routeTemplate, status: result.status, at: this.core.now() });
      this.send(res, result.status, result.body, result.headers);
      this.core.changed();
    } catch (error) {
      if (error instanceof ApiError) {
        this.core.errors.push({
          method,
          path: url.pathname,
          route: routeTemplate,
          status: error.status,
          body: error.body as unknown as Json,
          requestBody,
          at: this.core.now(),
        });
        this.core.requests.push({ method, path: url.pathname, route: routeTemplate, status: error.status, at: this.core.now() });
        this.send(res, error.status, error.body as unknown as Json, error.headers);
      } else {
        const message = error instanceof Error ? error.stack ?? error.message : String(error);
        this.core.errors.push({ method, path: url.pathname, route: routeTemplate, status: 500, body: { message }, requestBody, at: this.core.now() });
        this.send(res, 500, { message: '500: Internal Server Error (emulator bug)', code: 0, detail: message });
      }
      this.core.changed();
    }
  }

  private send(res: ServerResponse, status: number, body: Json | undefined, headers: Record<string, string> = {}): void {
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (status === 204 || body === undefined) {
      res.writeHead(status === 200 && body === undefined ? 204 : status);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const limit = this.core.options.maxUploadBytes + 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw apiErrors.tooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  private checkAuth(req: IncomingMessage): void {
    const header = req.headers.authorization;
    if (!header || header !== `Bot ${this.core.token}`) throw apiErrors.unauthorized();
  }

  private async parseBody(req: IncomingMessage, raw: Buffer): Promise<{ body: Json | null; files: UploadedFile[] }> {
    if (raw.length === 0) return { body: null, files: [] };
    const type = req.headers['content-type'] ?? '';
    if (type.startsWith('application/json')) {
      try {
        return { body: JSON.parse(raw.toString('utf8')) as Json, files: [] };
      } catch {
        throw apiErrors.invalidJson();
      }
    }
    if (type.startsWith('multipart/form-data')) {
      let form: FormData;
      try {
        form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      } catch {
        throw new ApiError(400, { message: 'Invalid multipart body', code: 50035 });
      }
      let body: JsonObject = {};
      const files: UploadedFile[] = [];
      let uploadBytes = 0;
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') {
          if (field === 'payload_json') {
            try {
              const parsed = JSON.parse(value) as Json;
              if (!isObject(parsed)) throw new Error('payload_json must be an object');
              body = { ...body, ...parsed };
            } catch {
              throw apiErrors.invalidJson();
            }
          } else {
            body[field] = value;
          }
          continue;
        }
        const m = /^files\[(\d+)\]$/.exec(field);
        if (!m) {
          this.core.warn(`multipart field "${field}" ignored: Discord only reads files[n]`);
          continue;
        }
        const data = Buffer.from(await value.arrayBuffer());
        uploadBytes += data.length;
        files.push({ field, index: Number(m[1]), filename: value.name, contentType: value.type || null, data });
      }
      if (uploadBytes > this.core.options.maxUploadBytes) throw apiErrors.tooLarge();
      return { body, files };
    }
    throw apiErrors.invalidJson();
  }

  private serveAttachment(pathname: string, res: ServerResponse): void {
    const parts = pathname.split('/');
    const attachment = parts[3] ? this.core.findAttachment(parts[3]) : undefined;
    if (!attachment) {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Not Found');
      return;
    }
    res.writeHead(200, { 'Content-Type': attachment.contentType ?? 'application/octet-stream', 'Content-Length': attachment.size });
    res.end(attachment.data);
  }

  // ---- direct messages -------------------------------------------------------------------------

  /** POST /users/@me/channels: opens (or returns the open) DM channel with `recipient_id`. */
  private createDm(c: RouteContext): RouteResult {
    const body = asObject(c.body);
    if (typeof body.recipient_id !== 'string') {
      const errors = new FormErrors();
      errors.add(['recipient_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
      errors.throwIfAny();
    }
    const user = this.core.world.user(body.recipient_id as string);
    if (!user) throw apiErrors.unknownUser();
    const open = [...this.core.world.channels.values()].find((ch) => ch.type === ChannelType.DM && ch.recipientId === user.id);
    if (open) return ok(this.core.world.renderChannel(open));
    const channel: ChannelRecord = {
      id: this.core.ids.next(),
      type: ChannelType.DM,
      guildId: '',
      name: '',
      parentId: null,
      topic: null,
      position: 0,
      nsfw: false,
      rateLimitPerUser: 0,
      overwrites: [],
      lastMessageId: null,
      defaultAutoArchiveDuration: 0,
      thread: null,
      recipientId: user.id,
    };
    this.core.world.channels.set(channel.id, channel);
    return ok(this.core.world.renderChannel(channel));
  }

  /** Discord delivers a bot's DM only to a user who shares a server with it and accepts DMs from its members (else 50007). */
  private checkDmDeliverable(channel: ChannelRecord): void {
    const user = this.core.world.user(channel.recipientId!);
    const shared = [...this.core.world.guilds.values()].some((guild) => guild.members.has(this.core.botUser.id) && guild.members.has(channel.recipientId!));
    if (!user || user.bot || user.dmsClosed || !shared) throw apiErrors.cannotSendMessagesToThisUser();
  }

  // ---- shared lookups ------------------------------------------------------------------------

  private botGuild(guildId: string) {
    const guild = this.core.world.guild(guildId);
    if (!guild) throw apiErrors.unknownGuild();
    if (!guild.members.has(this.core.botUser.id)) throw apiErrors.missingAccess();
    return guild;
  }

  private channelForBot(channelId: string): ChannelRecord {
    const channel = this.core.world.channel(channelId);
    if (!channel) throw apiErrors.unknownChannel();
    // The bot is one end of every DM channel it opened.
    if (channel.type === ChannelType.DM) return channel;
    const perms = this.core.world.permissionsIn(channel, this.core.botUser.id);
    if (!(perms & P.ViewChannel)) throw apiErrors.missingAccess();
    if (channel.type === ChannelType.PrivateThread && !channel.thread!.memberIds.has(this.core.botUser.id) && !(perms & P.ManageThreads)) {
      throw apiErrors.missingAccess();
    }
    return channel;
  }

  private textChannelForBot(channelId: string): ChannelRecord {
    const channel = this.channelForBot(channelId);
    if (channel.type === ChannelType.GuildCategory || channel.type === ChannelType.GuildForum || channel.type === ChannelType.GuildMedia) {
      throw apiErrors.nonTextChannel();
    }
    return channel;
  }

  private renderApplication(): JsonObject {
    const bot = this.core.world.renderUser(this.core.botUser);
    return {
      id: this.core.application.id,
      name: this.core.application.name,
      icon: null,
      description: '',
      summary: '',
      type: null,
      hook: true,
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: '0'.repeat(64),
      flags: this.core.application.flags,
      bot,
      owner: { id: '0', username: 'emulator-owner', discriminator: '0', avatar: null, global_name: null, public_flags: 0, flags: 0 },
      team: null,
      redirect_uris: [],
      interactions_endpoint_url: null,
      integration_types_config: { '0': {} },
      approximate_guild_count: [...this.core.world.guilds.values()].filter((g) => g.members.has(this.core.botUser.id)).length,
      tags: [],
    };
  }

  private renderGuild(guildId: string): JsonObject {
    const guild = this.core.world.guild(guildId)!;
    const full = this.core.world.renderGuildCreate(guild, this.core.botUser.id, []);
    for (const key of ['channels', 'threads', 'members', 'presences', 'voice_states', 'joined_at', 'large', 'unavailable', 'member_count', 'lazy']) delete full[key];
    return full;
  }

  private getGatewayBot(): RouteResult {
    return ok({
      url: this.core.gatewayUrl(),
      shards: 1,
      session_start_limit: { total: 1000, remaining: 1000 - this.core.gateway.identifies.length, reset_after: 86_400_000, max_concurrency: 1 },
    });
  }

  private getUser(c: RouteContext): RouteResult {
    const user = this.core.world.user(c.params.user!);
    if (!user) throw apiErrors.unknownUser();
    return ok(this.core.world.renderUser(user));
  }

  // ---- commands ------------------------------------------------------------------------------

  private commandList(c: RouteContext, guildId: string | null): StoredCommand[] {
    if (c.params.app !== this.core.application.id) throw apiErrors.missingAccess();
    if (guildId === null) return this.core.world.globalCommands;
    this.botGuild(guildId);
    let list = this.core.world.guildCommands.get(guildId);
    if (!list) {
      list = [];
      this.core.world.guildCommands.set(guildId, list);
    }
    return list;
  }

  private listCommands(c: RouteContext, guildId: string | null): RouteResult {
    return ok(this.commandList(c, guildId).map((cmd) => structuredClone(cmd.data)));
  }

  private checkCommandCounts(cmds: JsonObject[]): void {
    const counts = new Map<number, number>();
    for (const cmd of cmds) {
      const type = (cmd.type as number | undefined) ?? 1;
      counts.set(type, (counts.get(type) ?? 0) + 1);
    }
    if ((counts.get(1) ?? 0) > 100) throw new ApiError(400, { message: 'Maximum number of application commands reached (100)', code: 30032 });
    if ((counts.get(2) ?? 0) > 15 || (counts.get(3) ?? 0) > 15) {
      throw new ApiError(400, { message: 'Maximum number of application commands reached (15)', code: 30032 });
    }
  }

  private storeCommand(list: StoredCommand[], raw: JsonObject, guildId: string | null): { command: StoredCommand; created: boolean } {
    const type = (raw.type as number | undefined) ?? CommandTypes.ChatInput;
    const existing = list.find((x) => x.data.name === raw.name && x.data.type === type);
    const id = existing?.id ?? this.core.ids.next();
    const version = this.core.ids.next();
    const data = normaliseCommand(raw, { id, applicationId: this.core.application.id, version, guildId });
    if (existing) {
      existing.data = data;
      existing.version = version;
      return { command: existing, created: false };
    }
    const command: StoredCommand = { id, applicationId: this.core.application.id, guildId, version, data };
    list.push(command);
    return { command, created: true };
  }

  private overwriteCommands(c: RouteContext, guildId: string | null): RouteResult {
    const list = this.commandList(c, guildId);
    const errors = new FormErrors();
    if (!Array.isArray(c.body)) {
      errors.add([], ...Invalid.array());
      errors.throwIfAny();
    }
    const cmds = c.body as Json[];
    const seen = new Set<string>();
    cmds.forEach((cmd, i) => {
      validateCommand(errors, [i], cmd);
      if (isObject(cmd)) {
        const key = `${(cmd.type as number | undefined) ?? 1}:${String(cmd.name)}`;
        if (seen.has(key)) errors.add([i, 'name'], ...Invalid.duplicateCommandName());
        seen.add(key);
      }
    });
    errors.throwIfAny();
    this.checkCommandCounts(cmds as JsonObject[]);
    const previous = [...list];
    list.length = 0;
    for (const raw of cmds as JsonObject[]) {
      const type = (raw.type as number | undefined) ?? 1;
      const old = previous.find((x) => x.data.name === raw.name && x.data.type === type);
      if (old) list.push(old);
      this.storeCommand(list, raw, guildId);
    }
    return ok(list.map((cmd) => structuredClone(cmd.data)));
  }

  private createCommand(c: RouteContext, guildId: string | null): RouteResult {
    const list = this.commandList(c, guildId);
    const errors = new FormErrors();
    validateCommand(errors, [], c.body);
    errors.throwIfAny();
    const raw = c.body as JsonObject;
    this.checkCommandCounts([...list.map((x) => x.data).filter((d) => !(d.name === raw.name && d.type === ((raw.type as number | undefined) ?? 1))), raw]);
    const { command, created } = this.storeCommand(list, raw, guildId);
    return { status: created ? 201 : 200, body: structuredClone(command.data) };
  }

  private findCommand(c: RouteContext, guildId: string | null): { list: StoredCommand[]; command: StoredCommand } {
    const list = this.commandList(c, guildId);
    const command = list.find((x) => x.id === c.params.command);
    if (!command) throw apiErrors.unknownCommand();
    return { list, command };
  }

  private getCommand(c: RouteContext, guildId: string | null): RouteResult {
    return ok(structuredClone(this.findCommand(c, guildId).command.data));
  }

  private editCommand(c: RouteContext, guildId: string | null): RouteResult {
    const { list, command } = this.findCommand(c, guildId);
    const patch = asObject(c.body);
    const merged: JsonObject = { ...command.data, ...patch };
    const errors = new FormErrors();
    validateCommand(errors, [], merged);
    errors.throwIfAny();
    const version = this.core.ids.next();
    command.data = normaliseCommand(merged, { id: command.id, applicationId: command.applicationId, version, guildId });
    command.version = version;
    void list;
    return ok(structuredClone(command.data));
  }

  private deleteCommand(c: RouteContext, guildId: string | null): RouteResult {
    const { list, command } = this.findCommand(c, guildId);
    list.splice(list.indexOf(command), 1);
    return noContent();
  }

  // ---- message building ----------------------------------------------------------------------

  /**
   * Applies a create/edit body to a message state, with Discord's attachment semantics:
   * `attachments` lists what to keep (existing ids) plus metadata for new uploads (`id` = the
   * n of `files[n]`); without `attachments`, an edit keeps existing files and appends uploads.
   */
  private buildState(
    channelId: string,
    body: JsonObject,
    files: UploadedFile[],
    previous: MessageContentState | null,
    opts: { ephemeral: boolean; allowedFlags: number },
  ): MessageContentState {
    const state: MessageContentState = previous
      ? { content: previous.content, embeds: previous.embeds, components: previous.components, attachments: previous.attachments, flags: previous.flags }
      : { content: '', embeds: [], components: [], attachments: [], flags: 0 };

    if (body.content !== undefined) state.content = typeof body.content === 'string' ? body.content : '';
    if (body.embeds !== undefined) {
      state.embeds = (Array.isArray(body.embeds) ? body.embeds : []).filter(isObject).map((e) => {
        const embed: JsonObject = { type: 'rich', ...structuredClone(e) };
        if (Array.isArray(embed.fields)) embed.fields = embed.fields.filter(isObject).map((f) => ({ inline: false, ...f }));
        return embed;
      });
    }
    if (body.components !== undefined) {
      state.components = assignComponentIds((Array.isArray(body.components) ? body.components : []).filter(isObject));
    }

    const uploads = [...files].sort((a, b) => a.index - b.index);
    const meta = new Map<string, JsonObject>();
    const keep = new Set<string>();
    const listed = Array.isArray(body.attachments) ? body.attachments.filter(isObject) : null;
    if (listed) {
      for (const a of listed) {
        const id = String(a.id);
        meta.set(id, a);
        if (previous?.attachments.some((x) => x.id === id)) keep.add(id);
      }
    }
    let attachments: StoredAttachment[];
    if (previous) {
      attachments = listed ? previous.attachments.filter((a) => keep.has(a.id)) : [...previous.attachments];
    } else {
      attachments = [];
    }
    for (const file of uploads) {
      const m = meta.get(String(file.index));
      const filename = typeof m?.filename === 'string' && m.filename ? m.filename : file.filename;
      attachments.push(
        this.core.newAttachment(channelId, { ...file, filename }, { description: (m?.description as string | undefined) ?? null, title: (m?.title as string | undefined) ?? null }, opts.ephemeral),
      );
    }
    if (attachments.length > 10) {
      const errors = new FormErrors();
      errors.add(['attachments'], ...Invalid.maxLength(10));
      errors.throwIfAny();
    }
    state.attachments = attachments;

    if (typeof body.flags === 'number') {
      const requested = body.flags;
      const applied = requested & opts.allowedFlags;
      const dropped = requested & ~opts.allowedFlags & ~MessageFlags.Loading;
      if (dropped) {
        this.core.warn(
          `message flags ${dropped} ignored by Discord on this route${dropped & MessageFlags.Ephemeral ? ' (EPHEMERAL only works on interaction responses/follow-ups; this message is PUBLIC)' : ''}`,
        );
      }
      if (previous) {
        // Edits can only toggle SUPPRESS_EMBEDS; ephemerality and v2 are fixed at creation.
        state.flags = (previous.flags & ~MessageFlags.SuppressEmbeds) | (applied & MessageFlags.SuppressEmbeds) | (applied & MessageFlags.IsComponentsV2);
      } else {
        state.flags = applied;
      }
    }
    if (opts.ephemeral) state.flags |= MessageFlags.Ephemeral;
    return state;
  }

  private assertNotEmpty(state: MessageContentState, body: JsonObject): void {
    const hasStickers = Array.isArray(body.sticker_ids) && body.sticker_ids.length > 0;
    if (!state.content && state.embeds.length === 0 && state.components.length === 0 && state.attachments.length === 0 && !hasStickers && !body.poll) {
      throw apiErrors.emptyMessage();
    }
  }

  private validate(body: JsonObject, opts: { allowEphemeral: boolean; edit: boolean; existingFlags?: number }): void {
    validateMessageBody(body, opts).throwIfAny();
  }

  private newMessage(p: {
    channel: ChannelRecord;
    state: MessageContentState;
    body: JsonObject;
    origin: MessageOrigin;
    interaction: InteractionRecord | null;
    type: number;
    reference: JsonObject | null;
  }): StoredMessage {
    const now = this.core.world.isoNow();
    const ephemeral = (p.state.flags & MessageFlags.Ephemeral) !== 0;
    const message: StoredMessage = {
      ...p.state,
      id: this.core.ids.next(),
      channelId: p.channel.id,
      guildId: p.channel.guildId,
      authorId: this.core.botUser.id,
      webhookId: p.interaction ? this.core.application.id : null,
      applicationId: p.interaction ? this.core.application.id : null,
      type: p.type,
      tts: p.body.tts === true,
      nonce: typeof p.body.nonce === 'string' || typeof p.body.nonce === 'number' ? p.body.nonce : null,
      createdAt: now,
      editedAt: null,
      history: [{ ...p.state, at: now }],
      deleted: false,
      origin: p.origin,
      interactionId: p.interaction?.id ?? null,
      ephemeralUserId: ephemeral && p.interaction ? p.interaction.userId : null,
      threadId: null,
      reference: p.reference,
    };
    this.core.world.addMessage(message);
    if (!ephemeral) this.dispatchMessage('MESSAGE_CREATE', message);
    return message;
  }

  private applyEdit(message: StoredMessage, state: MessageContentState, clearLoading: boolean): void {
    const now = this.core.world.isoNow();
    Object.assign(message, state);
    if (clearLoading) message.flags &= ~MessageFlags.Loading;
    message.editedAt = now;
    message.history.push({ content: message.content, embeds: message.embeds, components: message.components, attachments: message.attachments, flags: message.flags, at: now });
    if (message.ephemeralUserId === null) this.dispatchMessage('MESSAGE_UPDATE', message);
  }

  private dispatchMessage(t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', message: StoredMessage): void {
    if (message.guildId === '') {
      // A DM: no guild_id or member, and only sessions with the DIRECT_MESSAGES intent see it.
      this.core.gateway.dispatch(t, this.core.world.renderMessage(message), { intent: Intents.DirectMessages });
      return;
    }
    const guild = this.core.world.guild(message.guildId);
    const member = guild?.members.get(message.authorId);
    const d: JsonObject = { ...this.core.world.renderMessage(message), guild_id: message.guildId };
    if (guild && member && message.webhookId === null) d.member = this.core.world.renderMember(guild, member, false);
    this.core.dispatchGuildEvent(t, d, message.guildId, Intents.GuildMessages);
  }

  /** Counts a message create/edit against the channel's bucket (throwing 429 when full) and records it. */
  private rateLimit(channelId: string, webhook: boolean, method: string): Record<string, string> {
    const limiter = this.core.rateLimiter;
    const headers = !limiter || (webhook && !limiter.includeWebhookMessages) ? {} : limiter.take(channelId);
    this.core.messageWrites.push({ channelId, method, webhook, at: this.core.now() });
    return headers;
  }

  private checkThreadWritable(channel: ChannelRecord): void {
    if (!channel.thread) return;
    if (channel.thread.locked) throw apiErrors.threadArchived();
    if (channel.thread.archived) {
      // Sending into an archived (unlocked) thread unarchives it, as in the Discord client.
      channel.thread.archived = false;
      channel.thread.archiveTimestamp = this.core.world.isoNow();
      this.core.dispatchGuildEvent('THREAD_UPDATE', this.core.world.renderChannel(channel), channel.guildId, Intents.Guilds);
    }
  }

  // ---- channel messages ----------------------------------------------------------------------

  private static readonly CHANNEL_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications | MessageFlags.IsComponentsV2;
  private static readonly INTERACTION_FLAGS = RestApi.CHANNEL_FLAGS | MessageFlags.Ephemeral;

  private createChannelMessage(c: RouteContext): RouteResult {
    const channel = this.textChannelForBot(c.params.channel!);
    if (channel.type === ChannelType.DM) this.checkDmDeliverable(channel);
    else {
      const perms = this.core.world.permissionsIn(channel, this.core.botUser.id);
      const sendBit = channel.thread ? P.SendMessagesInThreads : P.SendMessages;
      if (!(perms & sendBit)) throw apiErrors.missingPermissions();
      if (c.files.length > 0 && !(perms & P.AttachFiles)) throw apiErrors.missingPermissions();
    }
    const body = asObject(c.body);
    this.validate(body, { allowEphemeral: false, edit: false });
    let reference: JsonObject | null = null;
    if (isObject(body.message_reference)) {
      const ref = body.message_reference;
      const target = typeof ref.message_id === 'string' ? this.core.world.messages.get(ref.message_id) : undefined;
      const refChannel = typeof ref.channel_id === 'string' ? ref.channel_id : channel.id;
      if (!target || target.deleted || target.channelId !== refChannel || target.ephemeralUserId) {
        if (ref.fail_if_not_exists !== false) {
          const errors = new FormErrors();
          errors.add(['message_reference'], 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
          errors.throwIfAny();
        }
      } else {
        reference = { type: 0, channel_id: target.channelId, message_id: target.id, guild_id: target.guildId };
      }
    }
    if (body.enforce_nonce === true && body.nonce !== undefined) {
      const dup = this.core.world.channelMessages(channel.id).find((m) => m.nonce === body.nonce && !m.deleted);
      if (dup) return ok(this.core.world.renderMessage(dup));
    }
    const state = this.buildState(channel.id, body, c.files, null, { ephemeral: false, allowedFlags: RestApi.CHANNEL_FLAGS });
    this.assertNotEmpty(state, body);
    const headers = this.rateLimit(channel.id, false, 'POST');
    this.checkThreadWritable(channel);
    const message = this.newMessage({ channel, state, body, origin: 'channel', interaction: null, type: reference ? 19 : 0, reference });
    return ok(this.core.world.renderMessage(message), headers);
  }

  private channelMessage(c: RouteContext): { channel: ChannelRecord; message: StoredMessage } {
    const channel = this.textChannelForBot(c.params.channel!);
    const message = this.core.world.messages.get(c.params.message!);
    // Ephemeral messages are invisible to the channel endpoints.
    if (!message || message.deleted || message.channelId !== channel.id || message.ephemeralUserId !== null) throw apiErrors.unknownMessage();
    return { channel, message };
  }

  private getChannelMessage(c: RouteContext): RouteResult {
    const { channel, message } = this.channelMessage(c);
    if (!(this.core.world.permissionsIn(channel, this.core.botUser.id) & P.ReadMessageHistory)) throw apiErrors.missingAccess();
    return ok(this.core.world.renderMessage(message));
  }

  private listMessages(c: RouteContext): RouteResult {
    const channel = this.textChannelForBot(c.params.channel!);
    if (!(this.core.world.permissionsIn(channel, this.core.botUser.id) & P.ReadMessageHistory)) return ok([]);
    const limitRaw = c.query.get('limit');
    const limit = limitRaw === null ? 50 : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      const errors = new FormErrors();
      errors.add(['limit'], ...Invalid.numberMax(100));
      errors.throwIfAny();
    }
    let list = this.core.world.channelMessages(channel.id).filter((m) => !m.deleted && m.ephemeralUserId === null);
    const before = c.query.get('before');
    const after = c.query.get('after');
    if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
    if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after));
    list = after ? list.slice(0, limit) : list.slice(-limit);
    return ok(list.reverse().map((m) => this.core.world.renderMessage(m)));
  }

  private editChannelMessage(c: RouteContext): RouteResult {
    const { channel, message } = this.channelMessage(c);
    if (message.authorId !== this.core.botUser.id) throw apiErrors.anotherUsersMessage();
    const body = asObject(c.body);
    this.validate(body, { allowEphemeral: false, edit: true, existingFlags: message.flags });
    const state = this.buildState(channel.id, body, c.files, message, { ephemeral: false, allowedFlags: RestApi.CHANNEL_FLAGS });
    this.assertNotEmpty(state, body);
    const headers = this.rateLimit(channel.id, false, 'PATCH');
    this.applyEdit(message, state, false);
    return ok(this.core.world.renderMessage(message), headers);
  }

  private deleteChannelMessage(c: RouteContext): RouteResult {
    const { channel, message } = this.channelMessage(c);
    if (message.authorId !== this.core.botUser.id && !(this.core.world.permissionsIn(channel, this.core.botUser.id) & P.ManageMessages)) {
      throw apiErrors.missingPermissions();
    }
    this.deleteMessage(message);
    return noContent();
  }

  private deleteMessage(message: StoredMessage): void {
    message.deleted = true;
    if (message.ephemeralUserId === null) {
      this.core.dispatchGuildEvent('MESSAGE_DELETE', { id: message.id, channel_id: message.channelId, guild_id: message.guildId }, message.guildId, Intents.GuildMessages);
    }
  }

  // ---- threads -------------------------------------------------------------------------------

  private getChannel(c: RouteContext): RouteResult {
    const channel = this.channelForBot(c.params.channel!);
    const out = this.core.world.renderChannel(channel);
    if (channel.thread?.memberIds.has(this.core.botUser.id)) {
      out.member = { id: channel.id, user_id: this.core.botUser.id, join_timestamp: channel.thread.createTimestamp, flags: 0 };
    }
    return ok(out);
  }

  private createThread(parent: ChannelRecord, body: JsonObject, p: { id: string; type: ChannelType; starterMessageId: string | null }): ChannelRecord {
    const now = this.core.world.isoNow();
    const thread: ChannelRecord = {
      id: p.id,
      type: p.type,
      guildId: parent.guildId,
      name: body.name as string,
      parentId: parent.id,
      topic: null,
      position: 0,
      nsfw: false,
      rateLimitPerUser: typeof body.rate_limit_per_user === 'number' ? body.rate_limit_per_user : 0,
      overwrites: [],
      lastMessageId: null,
      defaultAutoArchiveDuration: parent.defaultAutoArchiveDuration,
      thread: {
        ownerId: this.core.botUser.id,
        archived: false,
        locked: false,
        invitable: p.type === ChannelType.PrivateThread ? body.invitable !== false : false,
        autoArchiveDuration: typeof body.auto_archive_duration === 'number' ? body.auto_archive_duration : parent.defaultAutoArchiveDuration,
        archiveTimestamp: now,
        createTimestamp: now,
        memberIds: new Set([this.core.botUser.id]),
        messageCount: 0,
        totalMessageSent: 0,
        starterMessageId: p.starterMessageId,
      },
    };
    this.core.world.channels.set(thread.id, thread);
    const member = { id: thread.id, user_id: this.core.botUser.id, join_timestamp: now, flags: 0 };
    this.core.dispatchGuildEvent('THREAD_CREATE', { ...this.core.world.renderChannel(thread), newly_created: true, member }, thread.guildId, Intents.Guilds);
    return thread;
  }

  private renderThreadResponse(thread: ChannelRecord): RouteResult {
    const body = this.core.world.renderChannel(thread);
    body.member = { id: thread.id, user_id: this.core.botUser.id, join_timestamp: thread.thread!.createTimestamp, flags: 0 };
    return { status: 201, body };
  }

  private threadParent(c: RouteContext): ChannelRecord {
    const parent = this.textChannelForBot(c.params.channel!);
    if (parent.type !== ChannelType.GuildText && parent.type !== ChannelType.GuildAnnouncement) {
      throw new ApiError(400, { message: 'Cannot execute action on this channel type', code: 50024 });
    }
    return parent;
  }

  private startThreadFromMessage(c: RouteContext): RouteResult {
    const parent = this.threadParent(c);
    const perms = this.core.world.permissionsIn(parent, this.core.botUser.id);
    if (!(perms & P.CreatePublicThreads)) throw apiErrors.missingPermissions();
    const message = this.core.world.messages.get(c.params.message!);
    if (!message || message.deleted || message.channelId !== parent.id || message.ephemeralUserId !== null) throw apiErrors.unknownMessage();
    const body = asObject(c.body);
    validateThreadBody(body, false).throwIfAny();
    if (message.threadId) throw apiErrors.threadAlreadyCreated();
    // A thread started from a message shares the message's id.
    const thread = this.createThread(parent, body, {
      id: message.id,
      type: parent.type === ChannelType.GuildAnnouncement ? ChannelType.AnnouncementThread : ChannelType.PublicThread,
      starterMessageId: message.id,
    });
    message.threadId = thread.id;
    message.flags |= MessageFlags.HasThread;
    return this.renderThreadResponse(thread);
  }

  private startThread(c: RouteContext): RouteResult {
    const parent = this.threadParent(c);
    const body = asObject(c.body);
    validateThreadBody(body, true).throwIfAny();
    // Discord's documented default for this route is PRIVATE_THREAD.
    let type = (body.type as ChannelType | undefined) ?? ChannelType.PrivateThread;
    if (parent.type === ChannelType.GuildAnnouncement) type = ChannelType.AnnouncementThread;
    else if (type === ChannelType.AnnouncementThread) {
      const errors = new FormErrors();
      errors.add(['type'], ...Invalid.choices([11, 12]));
      errors.throwIfAny();
    }
    const perms = this.core.world.permissionsIn(parent, this.core.botUser.id);
    const needed = type === ChannelType.PrivateThread ? P.CreatePrivateThreads : P.CreatePublicThreads;
    if (!(perms & needed)) throw apiErrors.missingPermissions();
    const thread = this.createThread(parent, body, { id: this.core.ids.next(), type, starterMessageId: null });
    if (type !== ChannelType.PrivateThread) {
      // Discord announces public threads without a starter message in the parent channel.
      const state: MessageContentState = { content: thread.name, embeds: [], components: [], attachments: [], flags: 0 };
      const system = this.newMessage({ channel: parent, state, body: {}, origin: 'channel', interaction: null, type: 18, reference: { type: 0, channel_id: thread.id, guild_id: thread.guildId } });
      system.threadId = thread.id;
    }
    return this.renderThreadResponse(thread);
  }

  private editChannel(c: RouteContext): RouteResult {
    const channel = this.channelForBot(c.params.channel!);
    const body = asObject(c.body);
    const perms = this.core.world.permissionsIn(channel, this.core.botUser.id);
    const errors = new FormErrors();
    if (channel.thread) {
      const t = channel.thread;
      const isOwner = t.ownerId === this.core.botUser.id;
      const canManage = (perms & P.ManageThreads) !== 0n;
      if (body.locked !== undefined && !canManage) throw apiErrors.missingPermissions();
      if ((body.name !== undefined || body.archived !== undefined || body.auto_archive_duration !== undefined) && !isOwner && !canManage) throw apiErrors.missingPermissions();
      if (body.name !== undefined) {
        validateThreadBody({ name: body.name }, false).throwIfAny();
      }
      if (body.auto_archive_duration !== undefined) validateThreadBody({ name: 'x', auto_archive_duration: body.auto_archive_duration }, false).throwIfAny();
      if (typeof body.name === 'string') channel.name = body.name;
      if (typeof body.archived === 'boolean') {
        t.archived = body.archived;
        t.archiveTimestamp = this.core.world.isoNow();
      }
      if (typeof body.locked === 'boolean') t.locked = body.locked;
      if (typeof body.auto_archive_duration === 'number') t.autoArchiveDuration = body.auto_archive_duration;
      if (typeof body.invitable === 'boolean' && channel.type === ChannelType.PrivateThread) t.invitable = body.invitable;
      this.core.dispatchGuildEvent('THREAD_UPDATE', this.core.world.renderChannel(channel), channel.guildId, Intents.Guilds);
    } else {
      if (!(perms & P.ManageChannels)) throw apiErrors.missingPermissions();
      if (body.name !== undefined) {
        validateThreadBody({ name: body.name }, false).throwIfAny();
        channel.name = body.name as string;
      }
      if (body.topic !== undefined) {
        if (body.topic !== null && (typeof body.topic !== 'string' || body.topic.length > 1024)) errors.add(['topic'], ...Invalid.maxLength(1024));
        errors.throwIfAny();
        channel.topic = body.topic as string | null;
      }
      this.core.dispatchGuildEvent('CHANNEL_UPDATE', this.core.world.renderChannel(channel), channel.guildId, Intents.Guilds);
    }
    return ok(this.core.world.renderChannel(channel));
  }

  private threadForMembers(c: RouteContext): ChannelRecord {
    const channel = this.channelForBot(c.params.channel!);
    if (!channel.thread || !THREAD_TYPES.has(channel.type)) throw new ApiError(400, { message: 'Cannot execute action on this channel type', code: 50024 });
    return channel;
  }

  private listThreadMembers(c: RouteContext): RouteResult {
    const thread = this.threadForMembers(c);
    return ok([...thread.thread!.memberIds].map((id) => ({ id: thread.id, user_id: id, join_timestamp: thread.thread!.createTimestamp, flags: 0 })));
  }

  private addThreadMember(c: RouteContext): RouteResult {
    const thread = this.threadForMembers(c);
    const userId = c.params.user === '@me' ? this.core.botUser.id : c.params.user!;
    const guild = this.core.world.guild(thread.guildId)!;
    if (!guild.members.has(userId)) throw apiErrors.unknownMember();
    if (thread.thread!.archived) throw apiErrors.threadArchived();
    if (userId !== this.core.botUser.id && thread.type === ChannelType.PrivateThread) {
      const perms = this.core.world.permissionsIn(thread, this.core.botUser.id);
      if (!thread.thread!.memberIds.has(this.core.botUser.id) && !(perms & P.ManageThreads)) throw apiErrors.missingAccess();
    }
    thread.thread!.memberIds.add(userId);
    return noContent();
  }

  private removeThreadMember(c: RouteContext): RouteResult {
    const thread = this.threadForMembers(c);
    const userId = c.params.user === '@me' ? this.core.botUser.id : c.params.user!;
    thread.thread!.memberIds.delete(userId);
    return noContent();
  }

  // ---- interactions --------------------------------------------------------------------------

  private allowedCallbacks(rec: InteractionRecord): number[] {
    switch (rec.type) {
      case InteractionTypes.ApplicationCommand:
        return [4, 5, 9];
      case InteractionTypes.MessageComponent:
        return [4, 5, 6, 7, 9];
      case InteractionTypes.Autocomplete:
        return [8];
      case InteractionTypes.ModalSubmit:
        // DEFERRED_UPDATE/UPDATE only exist when the modal was opened from a message component.
        return rec.sourceMessageId ? [4, 5, 6, 7] : [4, 5];
      default:
        return [];
    }
  }

  private interactionCallback(c: RouteContext): RouteResult {
    const rec = this.core.interactions.get(c.params.interaction!);
    if (!rec || rec.token !== c.params.token) throw apiErrors.unknownInteraction();
    if (this.core.now() - rec.createdAt > this.core.options.ackWindowMs) throw apiErrors.unknownInteraction();
    if (rec.ack) throw apiErrors.alreadyAcknowledged();
    const body = asObject(c.body);
    const type = body.type;
    const allowed = this.allowedCallbacks(rec);
    if (typeof type !== 'number' || !allowed.includes(type)) {
      const errors = new FormErrors();
      errors.add(['type'], ...Invalid.choices(allowed));
      errors.throwIfAny();
    }
    const data = body.data === undefined || body.data === null ? null : body.data;
    if (data !== null && !isObject(data)) {
      const errors = new FormErrors();
      errors.add(['data'], ...Invalid.object());
      errors.throwIfAny();
    }
    const d = (data ?? {}) as JsonObject;
    const channel = this.core.world.channel(rec.channelId)!;
    let resourceMessage: StoredMessage | null = null;

    switch (type) {
      case CallbackTypes.ChannelMessageWithSource: {
        validateMessageBody(d, { allowEphemeral: true, edit: false }).withPrefix(['data']).throwIfAny();
        const ephemeral = typeof d.flags === 'number' && (d.flags & MessageFlags.Ephemeral) !== 0;
        const state = this.buildState(channel.id, d, c.files, null, { ephemeral, allowedFlags: RestApi.INTERACTION_FLAGS });
        this.assertNotEmpty(state, d);
        resourceMessage = this.newMessage({ channel, state, body: d, origin: 'interaction-response', interaction: rec, type: this.responseMessageType(rec), reference: null });
        rec.originalMessageId = resourceMessage.id;
        break;
      }
      case CallbackTypes.DeferredChannelMessageWithSource: {
        const flags = typeof d.flags === 'number' ? d.flags : 0;
        const ephemeral = (flags & MessageFlags.Ephemeral) !== 0;
        // Discord shows "<bot> is thinking…": a LOADING message the first edit/follow-up fills in.
        const state: MessageContentState = { content: '', embeds: [], components: [], attachments: [], flags: MessageFlags.Loading | (ephemeral ? MessageFlags.Ephemeral : 0) };
        resourceMessage = this.newMessage({ channel, state, body: {}, origin: 'interaction-response', interaction: rec, type: this.responseMessageType(rec), reference: null });
        rec.originalMessageId = resourceMessage.id;
        break;
      }
      case CallbackTypes.DeferredUpdateMessage:
        rec.originalMessageId = rec.sourceMessageId;
        break;
      case CallbackTypes.UpdateMessage: {
        const source = this.core.messageOrThrow(rec.sourceMessageId!);
        validateMessageBody(d, { allowEphemeral: true, edit: true, existingFlags: source.flags }).withPrefix(['data']).throwIfAny();
        const state = this.buildState(source.channelId, d, c.files, source, { ephemeral: source.ephemeralUserId !== null, allowedFlags: RestApi.INTERACTION_FLAGS });
        this.assertNotEmpty(state, d);
        this.applyEdit(source, state, true);
        rec.originalMessageId = source.id;
        resourceMessage = source;
        break;
      }
      case CallbackTypes.AutocompleteResult:
        validateAutocompleteResult(data, rec.focusedType ?? 3).throwIfAny();
        break;
      case CallbackTypes.Modal: {
        validateModal(data).throwIfAny();
        rec.modal = { customId: d.custom_id as string, data: structuredClone(d), submitted: false };
        break;
      }
    }

    const now = this.core.now();
    rec.ack = { type: type as number, data: data === null ? null : structuredClone(data as JsonObject), at: now };
    this.core.interactionResponses.push({
      interactionId: rec.id,
      interactionType: rec.type,
      type: type as number,
      data: rec.ack.data,
      latencyMs: now - rec.createdAt,
      commandName: rec.commandName,
      customId: rec.customId,
    });

    if (c.query.get('with_response') === 'true') {
      const resource: JsonObject = { type: type as number };
      if (resourceMessage) resource.message = this.core.world.renderMessage(resourceMessage);
      return ok({
        interaction: {
          id: rec.id,
          type: rec.type,
          activity_instance_id: null,
          response_message_id: resourceMessage?.id ?? null,
          response_message_loading: type === CallbackTypes.DeferredChannelMessageWithSource,
          response_message_ephemeral: resourceMessage ? (resourceMessage.flags & MessageFlags.Ephemeral) !== 0 : false,
        },
        resource,
      });
    }
    return noContent();
  }

  private responseMessageType(rec: InteractionRecord): number {
    // CHAT_INPUT_COMMAND (20) for slash-command responses; DEFAULT otherwise.
    return rec.type === InteractionTypes.ApplicationCommand ? 20 : 0;
  }

  /** Resolves the interaction behind a webhook token, enforcing the 15-minute lifetime. */
  private webhookInteraction(c: RouteContext): InteractionRecord {
    if (c.params.app !== this.core.application.id) throw apiErrors.unknownWebhook();
    const rec = this.core.interactionsByToken.get(c.params.token!);
    if (!rec) throw apiErrors.invalidWebhookToken();
    if (this.core.now() - rec.createdAt > this.core.options.interactionTokenTtlMs) throw apiErrors.invalidWebhookToken();
    // Before the initial response (or after an autocomplete result) there is no webhook yet.
    if (!rec.ack || rec.ack.type === CallbackTypes.AutocompleteResult) throw apiErrors.unknownWebhook();
    return rec;
  }

  private webhookMessage(rec: InteractionRecord, id: string): StoredMessage {
    const messageId = id === '@original' ? rec.originalMessageId : id;
    if (!messageId) throw apiErrors.unknownMessage();
    if (id !== '@original' && messageId !== rec.originalMessageId && !rec.followUpIds.includes(messageId)) throw apiErrors.unknownMessage();
    return this.core.messageOrThrow(messageId);
  }

  private webhookExecute(c: RouteContext): RouteResult {
    const rec = this.webhookInteraction(c);
    const body = asObject(c.body);
    const channel = this.core.world.channel(rec.channelId)!;
    const original = rec.originalMessageId ? this.core.world.messages.get(rec.originalMessageId) : undefined;
    if (original && !original.deleted && original.flags & MessageFlags.Loading) {
      // The first follow-up after a deferral replaces the "thinking…" message; its ephemerality
      // was fixed by the deferral and cannot be changed.
      validateMessageBody(body, { allowEphemeral: true, edit: true, existingFlags: original.flags }).throwIfAny();
      const isEphemeral = original.ephemeralUserId !== null;
      const requestedEphemeral = typeof body.flags === 'number' ? (body.flags & MessageFlags.Ephemeral) !== 0 : isEphemeral;
      if (requestedEphemeral !== isEphemeral) {
        this.core.warn(`follow-up after deferReply: EPHEMERAL=${requestedEphemeral} ignored, the deferred reply is ${isEphemeral ? 'ephemeral' : 'public'}`);
      }
      const withoutFlags: JsonObject = { ...body };
      delete withoutFlags.flags;
      const state = this.buildState(channel.id, withoutFlags, c.files, original, { ephemeral: isEphemeral, allowedFlags: RestApi.INTERACTION_FLAGS });
      this.assertNotEmpty(state, body);
      const headers = this.rateLimit(channel.id, true, 'PATCH');
      this.applyEdit(original, state, true);
      return ok(this.core.world.renderMessage(original), headers);
    }
    validateMessageBody(body, { allowEphemeral: true, edit: false }).throwIfAny();
    const ephemeral = typeof body.flags === 'number' && (body.flags & MessageFlags.Ephemeral) !== 0;
    const state = this.buildState(channel.id, body, c.files, null, { ephemeral, allowedFlags: RestApi.INTERACTION_FLAGS });
    this.assertNotEmpty(state, body);
    const headers = this.rateLimit(channel.id, true, 'POST');
    const message = this.newMessage({ channel, state, body, origin: 'follow-up', interaction: rec, type: 0, reference: null });
    rec.followUpIds.push(message.id);
    // Interaction follow-ups always behave as wait=true.
    return ok(this.core.world.renderMessage(message), headers);
  }

  private webhookGetMessage(c: RouteContext): RouteResult {
    const rec = this.webhookInteraction(c);
    return ok(this.core.world.renderMessage(this.webhookMessage(rec, c.params.message!)));
  }

  private webhookEditMessage(c: RouteContext): RouteResult {
    const rec = this.webhookInteraction(c);
    const message = this.webhookMessage(rec, c.params.message!);
    const body = asObject(c.body);
    validateMessageBody(body, { allowEphemeral: true, edit: true, existingFlags: message.flags }).throwIfAny();
    const state = this.buildState(message.channelId, body, c.files, message, { ephemeral: message.ephemeralUserId !== null, allowedFlags: RestApi.INTERACTION_FLAGS });
    this.assertNotEmpty(state, body);
    const headers = this.rateLimit(message.channelId, true, 'PATCH');
    this.applyEdit(message, state, true);
    return ok(this.core.world.renderMessage(message), headers);
  }

  private webhookDeleteMessage(c: RouteContext): RouteResult {
    const rec = this.webhookInteraction(c);
    const message = this.webhookMessage(rec, c.params.message!);
    this.deleteMessage(message);
    return noContent();
  }
}
