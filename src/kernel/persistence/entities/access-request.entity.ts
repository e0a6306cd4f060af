import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isoDate } from '../columns.js';
import type { AccessLevel } from '../../access/authorizer.js';

/** PENDING until an admin approves or denies it, or a day passes unanswered (EXPIRED); decided by a conditional update. */
export type AccessRequestState = 'PENDING' | 'APPROVED' | 'DENIED' | 'EXPIRED';

/** Someone asking for a level on a project for a time, and what became of it. */
@Entity({ name: 'access_requests' })
@Index(['projectId', 'state'])
@Index(['state', 'expiresAt'])
export class AccessRequestEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 32, name: 'project_id' })
  projectId!: string;

  @Column({ type: 'varchar', length: 64, name: 'user_id' })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  level!: AccessLevel;

  /** The duration asked for, ms. */
  @Column({ type: 'double precision', name: 'duration_ms' })
  durationMs!: number;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: AccessRequestState;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;

  /** When it lapses unanswered. */
  @Column({ type: 'varchar', length: 32, name: 'expires_at', transformer: isoDate })
  expiresAt!: Date;

  @Column({ type: 'varchar', length: 64, name: 'decided_by', nullable: true })
  decidedBy!: string | null;

  @Column({ type: 'varchar', length: 32, name: 'decided_at', nullable: true, transformer: isoDate })
  decidedAt!: Date | null;

  /** For an approved request: how long the grant runs (the duration asked for, or the project's cap), ms. */
  @Column({ type: 'double precision', name: 'granted_ms', nullable: true })
  grantedMs!: number | null;

  /** For an approved request: when its grant ends. */
  @Column({ type: 'varchar', length: 32, name: 'grant_expires_at', nullable: true, transformer: isoDate })
  grantExpiresAt!: Date | null;
}
