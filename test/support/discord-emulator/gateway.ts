/**
 * Gateway (API v10, JSON encoding) as @discordjs/ws speaks it:
 *
 *   connect `${url}?v=10&encoding=json` → HELLO(op 10) → IDENTIFY(op 2) → READY(seq 1, guilds
 *   unavailable) → GUILD_CREATE per guild → dispatches; HEARTBEAT(op 1) ↔ HEARTBEAT_ACK(op 11);
 *   RESUME(op 6) with session_id + seq on `resume_gateway_url` → missed events replayed → RESUMED.
 *
 * Close codes are Discord's because @discordjs/ws decides between resume / re-identify / give up
 * purely on the code (4004, 4010–4014 are fatal; 1000 re-identifies; most others resume).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as setTimer, clearTimeout as clearTimer } from 'node:timers';
import zlib from 'node:zlib';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { JsonObject } from './errors.js';

export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
  RequestSoundboardSounds: 31,
  RequestChannelInfo: 43,
} as const;

export const CloseCode = {
  UnknownError: 4000,
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
  InvalidSeq: 4007,
  RateLimited: 4008,
  SessionTimedOut: 4009,
  InvalidShard: 4010,
  ShardingRequired: 4011,
  InvalidApiVersion: 4012,
  InvalidIntents: 4013,
  DisallowedIntents: 4014,
} as const;

const CLOSE_REASONS: Record<number, string> = {
  4000: 'Unknown error.',
  4001: 'Unknown opcode.',
  4002: 'Error while decoding payload.',
  4003: 'Not authenticated.',
  4004: 'Authentication failed.',
  4005: 'Already authenticated.',
  4007: 'Invalid seq.',
  4008: 'Rate limited.',
  4009: 'Session timed out.',
  4010: 'Invalid shard.',
  4011: 'Sharding required.',
  4012: 'Invalid API version.',
  4013: 'Invalid intent(s).',
  4014: 'Disallowed intent(s).',
};

export const Intents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

export const PRIVILEGED_INTENTS = Intents.GuildMembers | Intents.GuildPresences | Intents.MessageContent;

/** Every intent bit Discord currently defines; anything else is "Invalid intent(s)". */
const KNOWN_INTENTS = ((1 << 17) - 1) | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25);

export interface IdentifyRecord {
  intents: number;
  shard: [number, number];
  properties: JsonObject;
  compress: boolean;
  largeThreshold: number | null;
  presence: JsonObject | null;
  at: number;
}

export interface GatewaySession {
  sessionId: string;
  intents: number;
  shard: [number, number];
  seq: number;
  /** Dispatches kept for RESUME replay (bounded). */
  backlog: Array<{ s: number; t: string; d: unknown }>;
  connection: GatewayConnection | null;
  /** False once closed with 1000/1001 or invalidated: Discord forgets such sessions. */
  resumable: boolean;
  /** Until READY + GUILD_CREATEs have been sent, new dispatches wait behind them. */
  ready: boolean;
  disconnectedAt: number | null;
}

export interface GatewayHooks {
  token: string;
  heartbeatIntervalMs: number;
  enabledPrivilegedIntents: number;
  requireGuildsIntent: boolean;
  resumeWindowMs: number;
  now(): number;
  newSessionId(): string;
  buildReady(session: GatewaySession, resumeUrl: string): JsonObject;
  /** GUILD_CREATE payloads for the guilds on this session's shard. */
  guildCreates(session: GatewaySession): JsonObject[];
  /** GUILD_MEMBERS_CHUNK members for op 8 requests. */
  requestMembers(guildId: string, userIds: string[] | null, query: string | null, limit: number): { members: JsonObject[]; notFound: string[] };
  gatewayUrl(): string;
  onChange(): void;
}

const BACKLOG_LIMIT = 1000;
const SEND_LIMIT = 120;
const SEND_WINDOW_MS = 60_000;

export class GatewayConnection {
  identified = false;
  session: GatewaySession | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private sendWindowStart: number;
  private sendCount = 0;
  private deflate: zlib.Deflate | null = null;
  private deflateChunks: Buffer[] = [];
  private sendChain: Promise<void> = Promise.resolve();
  identifyCompress = false;
  closed = false;

  constructor(
    readonly ws: WebSocket,
    private readonly gateway: Gateway,
    compressStream: boolean,
  ) {
    this.sendWindowStart = gateway.hooks.now();
    if (compressStream) {
      this.deflate = zlib.createDeflate({ chunkSize: 65535 });
      this.deflate.on('data', (chunk: Buffer) => this.deflateChunks.push(chunk));
      this.deflate.on('error', () => this.cleanup());
    }
  }

  send(payload: { op: number; d: unknown; s?: number | null; t?: string | null }): void {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify({ t: null, s: null, ...payload });
    this.gateway.log.push({ direction: 'out', payload: JSON.parse(text) as JsonObject, at: this.gateway.hooks.now() });
    if (this.deflate) {
      // zlib-stream: one shared deflate context, each payload ends with a Z_SYNC_FLUSH (00 00 ff ff).
      const deflate = this.deflate;
      this.sendChain = this.sendChain.then(
        () =>
          new Promise<void>((resolve) => {
            if (this.closed) {
              resolve();
              return;
            }
            deflate.write(text);
            deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
              const frame = Buffer.concat(this.deflateChunks);
              this.deflateChunks = [];
              if (!this.closed && this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
              resolve();
            });
          }),
      );
      return;
    }
    if (this.identifyCompress && payload.op === Op.Dispatch) {
      this.ws.send(zlib.deflateSync(text));
      return;
    }
    this.ws.send(text);
  }

  armHeartbeatTimeout(): void {
    if (this.heartbeatTimer) clearTimer(this.heartbeatTimer);
    // Discord drops connections that stop heartbeating; allow the interval plus jitter slack.
    this.heartbeatTimer = setTimer(() => this.close(CloseCode.SessionTimedOut), this.gateway.hooks.heartbeatIntervalMs * 1.5 + 1000);
    this.heartbeatTimer.unref();
  }

  /** Counts a client→server payload against Discord's 120/60 s limit. */
  countSend(): boolean {
    const now = this.gateway.hooks.now();
    if (now - this.sendWindowStart >= SEND_WINDOW_MS) {
      this.sendWindowStart = now;
      this.sendCount = 0;
    }
    this.sendCount++;
    return this.sendCount <= SEND_LIMIT;
  }

  close(code: number, reason = CLOSE_REASONS[code] ?? ''): void {
    if (this.closed) return;
    this.gateway.closes.push({ code, reason, by: 'server', at: this.gateway.hooks.now() });
    this.cleanup();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  cleanup(): void {
    this.closed = true;
    if (this.heartbeatTimer) clearTimer(this.heartbeatTimer);
    this.heartbeatTimer = null;
    if (this.deflate) {
      this.deflate.destroy();
      this.deflate = null;
    }
  }
}

export class Gateway {
  readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly sessions = new Map<string, GatewaySession>();
  readonly connections = new Set<GatewayConnection>();
  readonly identifies: IdentifyRecord[] = [];
  readonly closes: Array<{ code: number; reason: string; by: 'server' | 'client'; at: number }> = [];
  readonly log: Array<{ direction: 'in' | 'out'; payload: JsonObject; at: number }> = [];
  private readonly pendingTimers = new Set<NodeJS.Timeout>();

  constructor(readonly hooks: GatewayHooks) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, url.searchParams));
  }

  private onConnection(ws: WebSocket, params: URLSearchParams): void {
    const compress = params.get('compress');
    const conn = new GatewayConnection(ws, this, compress === 'zlib-stream');
    this.connections.add(conn);
    ws.on('message', (data, isBinary) => this.onMessage(conn, data, isBinary));
    ws.on('close', (code) => this.onClose(conn, code));
    ws.on('error', () => conn.cleanup());

    if (params.get('v') !== '10') {
      conn.close(CloseCode.InvalidApiVersion);
      return;
    }
    if ((params.get('encoding') ?? 'json') !== 'json') {
      // Only JSON is emulated; `etf` needs erlpack.
      conn.close(CloseCode.DecodeError);
      return;
    }
    if (compress !== null && compress !== 'zlib-stream') {
      conn.close(CloseCode.DecodeError);
      return;
    }
    conn.send({ op: Op.Hello, d: { heartbeat_interval: this.hooks.heartbeatIntervalMs, _trace: ['["gateway-emulator",{"micros":0}]'] } });
    conn.armHeartbeatTimeout();
    this.hooks.onChange();
  }

  private onClose(conn: GatewayConnection, code: number): void {
    if (!conn.closed) this.closes.push({ code, reason: '', by: 'client', at: this.hooks.now() });
    conn.cleanup();
    this.connections.delete(conn);
    const session = conn.session;
    if (session && session.connection === conn) {
      session.connection = null;
      session.disconnectedAt = this.hooks.now();
      // A client closing with 1000/1001 ends its session; Discord will not accept a RESUME for it.
      if (code === 1000 || code === 1001) session.resumable = false;
    }
    this.hooks.onChange();
  }

  private onMessage(conn: GatewayConnection, raw: RawData, isBinary: boolean): void {
    if (conn.closed) return;
    let payload: { op?: unknown; d?: unknown };
    try {
      const text = isBinary ? Buffer.concat(Array.isArray(raw) ? raw : [Buffer.from(raw as ArrayBuffer)]).toString('utf8') : raw.toString();
      payload = JSON.parse(text) as { op?: unknown; d?: unknown };
      if (typeof payload !== 'object' || payload === null) throw new Error('not an object');
    } catch {
      conn.close(CloseCode.DecodeError);
      return;
    }
    this.log.push({ direction: 'in', payload: redactToken(payload as JsonObject), at: this.hooks.now() });
    if (!conn.countSend()) {
      conn.close(CloseCode.RateLimited);
      return;
    }
    switch (payload.op) {
      case Op.Heartbeat:
        conn.armHeartbeatTimeout();
        conn.send({ op: Op.HeartbeatAck, d: null });
        return;
      case Op.Identify:
        this.onIdentify(conn, payload.d);
        return;
      case Op.Resume:
        this.onResume(conn, payload.d);
        return;
    }
    if (!conn.identified) {
      conn.close(CloseCode.NotAuthenticated);
      return;
    }
    switch (payload.op) {
      case Op.PresenceUpdate:
      case Op.VoiceStateUpdate:
      case Op.RequestSoundboardSounds:
      case Op.RequestChannelInfo:
        return;
      case Op.RequestGuildMembers:
        this.onRequestMembers(conn, payload.d);
        return;
      default:
        conn.close(CloseCode.UnknownOpcode);
    }
  }

  private checkToken(token: unknown): boolean {
    if (typeof token !== 'string') return false;
    return token.replace(/^Bot\s+/i, '') === this.hooks.token;
  }

  private onIdentify(conn: GatewayConnection, d: unknown): void {
    if (conn.identified) {
      conn.close(CloseCode.AlreadyAuthenticated);
      return;
    }
    if (typeof d !== 'object' || d === null) {
      conn.close(CloseCode.DecodeError);
      return;
    }
    const data = d as JsonObject;
    if (!this.checkToken(data.token)) {
      conn.close(CloseCode.AuthenticationFailed);
      return;
    }
    const intents = data.intents;
    if (typeof intents !== 'number' || !Number.isInteger(intents) || intents < 0 || (intents & ~KNOWN_INTENTS) !== 0) {
      conn.close(CloseCode.InvalidIntents);
      return;
    }
    // Privileged intents must be switched on in the developer portal; the emulated application
    // has none enabled unless the test says otherwise.
    const privileged = intents & PRIVILEGED_INTENTS;
    if ((privileged & ~this.hooks.enabledPrivilegedIntents) !== 0) {
      conn.close(CloseCode.DisallowedIntents);
      return;
    }
    // Stricter than Discord (which would accept and then send no guild events): a ChatOps bot
    // without GUILDS has no channel/guild cache, so catch it at login.
    if (this.hooks.requireGuildsIntent && (intents & Intents.Guilds) === 0) {
      conn.close(CloseCode.InvalidIntents, 'Invalid intent(s). (emulator: the GUILDS intent is required)');
      return;
    }
    let shard: [number, number] = [0, 1];
    if (data.shard !== undefined) {
      const s = data.shard;
      if (!Array.isArray(s) || s.length !== 2 || typeof s[0] !== 'number' || typeof s[1] !== 'number' || s[1] < 1 || s[0] < 0 || s[0] >= s[1]) {
        conn.close(CloseCode.InvalidShard);
        return;
      }
      shard = [s[0], s[1]];
    }
    if (typeof data.properties !== 'object' || data.properties === null) {
      conn.close(CloseCode.DecodeError);
      return;
    }
    conn.identifyCompress = data.compress === true;
    this.identifies.push({
      intents,
      shard,
      properties: data.properties as JsonObject,
      compress: data.compress === true,
      largeThreshold: typeof data.large_threshold === 'number' ? data.large_threshold : null,
      presence: (data.presence as JsonObject | undefined) ?? null,
      at: this.hooks.now(),
    });
    const session: GatewaySession = {
      sessionId: this.hooks.newSessionId(),
      intents,
      shard,
      seq: 0,
      backlog: [],
      connection: conn,
      resumable: true,
      ready: false,
      disconnectedAt: null,
    };
    this.sessions.set(session.sessionId, session);
    conn.identified = true;
    conn.session = session;
    const resumeUrl = `${this.hooks.gatewayUrl()}/resume`;
    this.sendDispatch(session, 'READY', this.hooks.buildReady(session, resumeUrl));
    // Discord streams GUILD_CREATEs shortly after READY; discord.js waits for them before `ready`.
    this.later(() => {
      if (session.connection !== conn) return;
      for (const guild of this.hooks.guildCreates(session)) this.sendDispatch(session, 'GUILD_CREATE', guild);
      session.ready = true;
      this.hooks.onChange();
    });
    this.hooks.onChange();
  }

  private onResume(conn: GatewayConnection, d: unknown): void {
    if (conn.identified) {
      conn.close(CloseCode.AlreadyAuthenticated);
      return;
    }
    if (typeof d !== 'object' || d === null) {
      conn.close(CloseCode.DecodeError);
      return;
    }
    const data = d as JsonObject;
    if (!this.checkToken(data.token)) {
      conn.close(CloseCode.AuthenticationFailed);
      return;
    }
    const session = typeof data.session_id === 'string' ? this.sessions.get(data.session_id) : undefined;
    const expired =
      session?.disconnectedAt != null && this.hooks.now() - session.disconnectedAt > this.hooks.resumeWindowMs;
    if (!session || !session.resumable || expired) {
      // d: false → the client must re-identify (Discord waits 1–5 s before sending this).
      this.later(() => conn.send({ op: Op.InvalidSession, d: false }), 50);
      return;
    }
    const seq = typeof data.seq === 'number' ? data.seq : -1;
    if (seq > session.seq || seq < 0) {
      conn.close(CloseCode.InvalidSeq);
      return;
    }
    if (session.connection && session.connection !== conn) session.connection.close(CloseCode.UnknownError);
    conn.identified = true;
    conn.session = session;
    session.connection = conn;
    session.disconnectedAt = null;
    const missed = session.backlog.filter((e) => e.s > seq);
    if (missed.length < session.seq - seq && session.backlog.length >= BACKLOG_LIMIT) {
      // Could not replay everything: behave like Discord and make the client start over.
      conn.send({ op: Op.InvalidSession, d: false });
      return;
    }
    for (const e of missed) conn.send({ op: Op.Dispatch, t: e.t, s: e.s, d: e.d });
    this.sendDispatch(session, 'RESUMED', { _trace: ['["gateway-emulator",{"micros":0}]'] });
    this.hooks.onChange();
  }

  private onRequestMembers(conn: GatewayConnection, d: unknown): void {
    const session = conn.session;
    if (!session || typeof d !== 'object' || d === null) {
      conn.close(CloseCode.DecodeError);
      return;
    }
    const data = d as JsonObject;
    const userIds = Array.isArray(data.user_ids) ? data.user_ids.map(String) : typeof data.user_ids === 'string' ? [data.user_ids] : null;
    const query = typeof data.query === 'string' ? data.query : null;
    const wantsPresences = data.presences === true;
    // Listing members (rather than fetching known ids) needs the privileged GUILD_MEMBERS intent.
    if ((!userIds && !(session.intents & Intents.GuildMembers)) || (wantsPresences && !(session.intents & Intents.GuildPresences))) {
      conn.close(CloseCode.DisallowedIntents);
      return;
    }
    const guildIds = Array.isArray(data.guild_id) ? data.guild_id.map(String) : [String(data.guild_id)];
    for (const guildId of guildIds) {
      const { members, notFound } = this.hooks.requestMembers(guildId, userIds, query, typeof data.limit === 'number' ? data.limit : 0);
      const chunk: JsonObject = { guild_id: guildId, members, chunk_index: 0, chunk_count: 1 };
      if (notFound.length) chunk.not_found = notFound;
      if (data.nonce !== undefined) chunk.nonce = data.nonce;
      this.sendDispatch(session, 'GUILD_MEMBERS_CHUNK', chunk);
    }
  }

  /** Assigns the next sequence number, records it for RESUME, and sends if connected. */
  sendDispatch(session: GatewaySession, t: string, d: unknown): void {
    session.seq += 1;
    const s = session.seq;
    session.backlog.push({ s, t, d });
    if (session.backlog.length > BACKLOG_LIMIT) session.backlog.shift();
    session.connection?.send({ op: Op.Dispatch, t, s, d });
  }

  /**
   * Delivers an event to every live session that should see it. `guildId` selects the shard
   * ((guild_id >> 22) % num_shards); `intent` gates it like Discord does.
   */
  dispatch(t: string, d: unknown, filter: { guildId?: string; intent?: number } = {}): number {
    let delivered = 0;
    for (const session of this.sessions.values()) {
      if (!this.isAlive(session)) continue;
      if (filter.intent !== undefined && (session.intents & filter.intent) === 0) continue;
      if (filter.guildId !== undefined && !shardOwnsGuild(session.shard, filter.guildId)) continue;
      if (!session.ready) {
        // Keep ordering: READY and GUILD_CREATEs go first.
        this.later(() => this.sendDispatch(session, t, d));
      } else {
        this.sendDispatch(session, t, d);
      }
      delivered++;
    }
    return delivered;
  }

  /** Sessions that would receive an event for this guild right now or on resume. */
  liveSessions(guildId?: string): GatewaySession[] {
    return [...this.sessions.values()].filter(
      (s) => this.isAlive(s) && (guildId === undefined || shardOwnsGuild(s.shard, guildId)),
    );
  }

  /** Connected, or dropped recently enough that Discord would still accept a RESUME. */
  private isAlive(session: GatewaySession): boolean {
    if (!session.resumable) return false;
    if (session.connection) return true;
    return session.disconnectedAt !== null && this.hooks.now() - session.disconnectedAt <= this.hooks.resumeWindowMs;
  }

  later(fn: () => void, ms = 5): void {
    const timer = setTimer(() => {
      this.pendingTimers.delete(timer);
      fn();
    }, ms);
    this.pendingTimers.add(timer);
  }

  /** Test helper: op 7 RECONNECT, which makes @discordjs/ws close with 4200 and RESUME. */
  requestReconnect(): void {
    for (const conn of this.connections) if (conn.identified) conn.send({ op: Op.Reconnect, d: null });
  }

  /** Test helper: drop every connection with a close code (e.g. 4000 → client resumes). */
  dropConnections(code: number = CloseCode.UnknownError): void {
    for (const conn of [...this.connections]) conn.close(code);
  }

  async close(): Promise<void> {
    for (const timer of this.pendingTimers) clearTimer(timer);
    this.pendingTimers.clear();
    for (const conn of this.connections) {
      conn.cleanup();
      conn.ws.terminate();
    }
    this.connections.clear();
    for (const session of this.sessions.values()) session.connection = null;
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

export function shardOwnsGuild(shard: [number, number], guildId: string): boolean {
  return Number((BigInt(guildId) >> 22n) % BigInt(shard[1])) === shard[0];
}

function redactToken(payload: JsonObject): JsonObject {
  const d = payload.d;
  if (d && typeof d === 'object' && !Array.isArray(d) && 'token' in d) {
    return { ...payload, d: { ...d, token: '[redacted]' } };
  }
  return payload;
}
