import { createHash, randomBytes } from 'node:crypto';
import { CloudEngineError, invalidInput } from '../errors.js';
import type { Clock } from '../lifecycle/clock.js';
import type { Database } from '../persistence/database.js';
import { DashboardSessionEntity } from '../persistence/entities/dashboard-session.entity.js';
import { USER_ID, requirePattern } from '../validation.js';

/** How long a sign-in link works, once. */
export const SIGN_IN_LINK_TTL_MS = 5 * 60_000;
/** How long a browser session lasts. */
export const BROWSER_SESSION_TTL_MS = 8 * 60 * 60_000;

/** A freshly issued sign-in link: its secret token (shown once) and, when the dashboard's address is known, its URL. */
export interface SignInLink {
  readonly token: string;
  readonly url: string;
  readonly expiresAt: Date;
}

/** A signed-in browser: who, and until when. */
export interface BrowserSession {
  readonly id: string;
  readonly userId: string;
  readonly expiresAt: Date;
}

/** A browser session just opened from a link: its cookie token (shown once) and the session. */
export interface OpenedSession extends BrowserSession {
  readonly token: string;
}

/** Tokens are 256 random bits in base64url; anything else is refused before a query. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * Sign-in from chat (`kernel.signIns`): single-use links valid 5 minutes and
 * the browser sessions (8 hours, revocable) they open. Only hashes of tokens
 * are stored; a link is redeemed by one conditional update, so it opens at
 * most one session even when opened twice at once.
 */
export class SignInStore {
  private publicUrl: string | undefined;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Where the dashboard answers (set by whoever serves it); links are built on it. */
  setPublicUrl(url: string): void {
    this.publicUrl = url.replace(/\/+$/, '');
  }

  /** The dashboard's address in this process, if one is serving. */
  get url(): string | undefined {
    return this.publicUrl;
  }

  /** A single-use sign-in link for `userId`, valid 5 minutes; refused when no dashboard address is known. */
  async issueLink(userId: string, publicUrl = this.publicUrl): Promise<SignInLink> {
    requirePattern(userId, USER_ID, 'userId', 'a user id');
    if (!publicUrl) {
      throw new CloudEngineError(
        'INVALID_STATE',
        'The dashboard is not running in this process (it was started with --no-dashboard, or its port was taken). Start Cloud Engine with the dashboard on (cloud-engine start), or use cloud-engine dashboard-link.',
      );
    }
    const now = this.clock.now();
    const token = newToken();
    const expiresAt = new Date(now.getTime() + SIGN_IN_LINK_TTL_MS);
    await this.db.manager.insert(DashboardSessionEntity, { id: newId(), kind: 'link', tokenHash: hashToken(token), userId, createdAt: now, expiresAt, usedAt: null, revokedAt: null, linkId: null });
    return { token, url: `${publicUrl.replace(/\/+$/, '')}/sign-in/${token}`, expiresAt };
  }

  /**
   * Opens a browser session from a link's token: the link is spent in the
   * same conditional update that checks it is unused and unexpired.
   */
  async redeem(linkToken: string): Promise<OpenedSession> {
    const refused = () => invalidInput('link', 'This sign-in link was already used or has expired (links work once, for 5 minutes). Ask for a new one with /cloud-dashboard in chat or cloud-engine dashboard-link.');
    if (typeof linkToken !== 'string' || !TOKEN.test(linkToken)) throw refused();
    const now = this.clock.now();
    return this.db.transaction(async (manager) => {
      const link = await manager.findOne(DashboardSessionEntity, { where: { tokenHash: hashToken(linkToken), kind: 'link' } });
      if (!link) throw refused();
      const spent = await manager
        .createQueryBuilder()
        .update(DashboardSessionEntity)
        .set({ usedAt: now })
        .where('id = :id AND used_at IS NULL AND revoked_at IS NULL AND expires_at > :now', { id: link.id, now: now.toISOString() })
        .execute();
      if (spent.affected !== 1) throw refused();
      const token = newToken();
      const session = { id: newId(), userId: link.userId, expiresAt: new Date(now.getTime() + BROWSER_SESSION_TTL_MS) };
      await manager.insert(DashboardSessionEntity, { ...session, kind: 'session', tokenHash: hashToken(token), createdAt: now, usedAt: null, revokedAt: null, linkId: link.id });
      return { ...session, token };
    });
  }

  /** The live session a cookie token belongs to, or null (unknown, expired or revoked). */
  async authenticate(sessionToken: string | undefined): Promise<BrowserSession | null> {
    if (typeof sessionToken !== 'string' || !TOKEN.test(sessionToken)) return null;
    const row = await this.db.manager.findOne(DashboardSessionEntity, { where: { tokenHash: hashToken(sessionToken), kind: 'session' } });
    if (!row || row.revokedAt !== null || row.expiresAt.getTime() <= this.clock.now().getTime()) return null;
    return { id: row.id, userId: row.userId, expiresAt: row.expiresAt };
  }

  /** Ends one browser session (sign out). */
  async revoke(sessionId: string): Promise<void> {
    await this.db.manager.createQueryBuilder().update(DashboardSessionEntity).set({ revokedAt: this.clock.now() }).where("id = :id AND kind = 'session' AND revoked_at IS NULL", { id: sessionId }).execute();
  }

  /** Ends every browser session and unused link of a user; returns how many. */
  async revokeUser(userId: string): Promise<number> {
    const result = await this.db.manager.createQueryBuilder().update(DashboardSessionEntity).set({ revokedAt: this.clock.now() }).where("user_id = :userId AND revoked_at IS NULL AND (kind = 'session' OR used_at IS NULL)", { userId }).execute();
    return result.affected ?? 0;
  }
}

function newToken(): string {
  return randomBytes(32).toString('base64url');
}

function newId(): string {
  return randomBytes(12).toString('hex').slice(0, 24);
}

/** Hex SHA-256: what the table keeps of a token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
