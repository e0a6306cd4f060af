import { Column, Entity, PrimaryColumn } from 'typeorm';
import { isoDate } from '../columns.js';
import type { AccessLevel } from '../../access/authorizer.js';

/** A user's access to a project; one per user and project, replaced by a new grant. */
@Entity({ name: 'access_grants' })
export class AccessGrantEntity {
  @PrimaryColumn({ type: 'varchar', length: 32, name: 'project_id' })
  projectId!: string;

  @PrimaryColumn({ type: 'varchar', length: 64, name: 'user_id' })
  userId!: string;

  @Column({ type: 'varchar', length: 16 })
  level!: AccessLevel;

  @Column({ type: 'varchar', length: 64, name: 'granted_by' })
  grantedBy!: string;

  @Column({ type: 'varchar', length: 32, name: 'granted_at', transformer: isoDate })
  grantedAt!: Date;

  /** When the grant stops counting; null for a standing grant. */
  @Column({ type: 'varchar', length: 32, name: 'expires_at', nullable: true, transformer: isoDate })
  expiresAt!: Date | null;

  /** When the holder of a timed grant was told it ends soon (once per grant; a new grant replaces the row). */
  @Column({ type: 'varchar', length: 32, name: 'expiry_notice_at', nullable: true, transformer: isoDate })
  expiryNoticeAt?: Date | null;
}
