import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isoDate } from '../columns.js';

/** Why an approval stopped counting before its plan was applied: its approver withdrew it, the session changed, or it grew older than `expiresAfter` and its approver approved again. */
export type ApprovalEndReason = 'revoked' | 'voided' | 'expired';

/**
 * One person's approval of one plan of a session: bound to the plan's id and
 * the configuration hash it was made from, so it never counts for another plan.
 * Live while `revokedAt` is null (and, when the project sets `expiresAfter`, younger than that).
 */
@Entity({ name: 'approvals' })
@Index(['sessionId', 'planId'])
export class ApprovalEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 32, name: 'session_id' })
  sessionId!: string;

  @Column({ type: 'varchar', length: 32, name: 'plan_id' })
  planId!: string;

  @Column({ type: 'varchar', length: 64, name: 'config_hash' })
  configHash!: string;

  @Column({ type: 'varchar', length: 64, name: 'user_id' })
  userId!: string;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 32, name: 'revoked_at', nullable: true, transformer: isoDate })
  revokedAt!: Date | null;

  /** `revoked` by its approver, `voided` by a change of the session, `expired` when replaced by a newer one; null while live. */
  @Column({ type: 'varchar', length: 16, name: 'revoked_reason', nullable: true })
  revokedReason!: ApprovalEndReason | null;
}
