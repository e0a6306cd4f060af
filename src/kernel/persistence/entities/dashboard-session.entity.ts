import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isoDate } from '../columns.js';

/** A single-use sign-in link, or the browser session one opened. */
export type DashboardSessionKind = 'link' | 'session';

/**
 * The dashboard's sign-ins: links sent in chat and the browser sessions they
 * open. Only the SHA-256 of a token is kept, so a copy of the database
 * signs no one in.
 */
@Entity({ name: 'dashboard_sessions' })
@Index(['userId'])
export class DashboardSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: DashboardSessionKind;

  /** Hex SHA-256 of the token (the link's, or the session cookie's). */
  @Index({ unique: true })
  @Column({ type: 'varchar', length: 64, name: 'token_hash' })
  tokenHash!: string;

  /** The chat user it signs in. */
  @Column({ type: 'varchar', length: 64, name: 'user_id' })
  userId!: string;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 32, name: 'expires_at', transformer: isoDate })
  expiresAt!: Date;

  /** When a link was opened (a link works once); null for sessions. */
  @Column({ type: 'varchar', length: 32, name: 'used_at', nullable: true, transformer: isoDate })
  usedAt!: Date | null;

  @Column({ type: 'varchar', length: 32, name: 'revoked_at', nullable: true, transformer: isoDate })
  revokedAt!: Date | null;

  /** For a session: the link it was opened from. */
  @Column({ type: 'varchar', length: 32, name: 'link_id', nullable: true })
  linkId!: string | null;
}
