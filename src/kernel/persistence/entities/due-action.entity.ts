import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isoDate } from '../columns.js';

/** What a due action does: remind before expiry, or tear the deployment down at it. */
export type DueActionKind = 'reminder' | 'expiry';
/** PENDING until a kernel claims it (a conditional update), then DONE or back to PENDING with a later due time. */
export type DueActionState = 'PENDING' | 'CLAIMED' | 'DONE' | 'SKIPPED';

/** One persisted due time of a deployment's lifecycle: a reminder, or its expiry. */
@Entity({ name: 'due_actions' })
@Index(['state', 'dueAt'])
export class DueActionEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 32, name: 'deployment_id' })
  deploymentId!: string;

  @Column({ type: 'varchar', length: 32, name: 'project_id' })
  projectId!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: DueActionKind;

  /** For a reminder: how long before expiry, ms; null for the expiry. */
  @Column({ type: 'double precision', name: 'offset_ms', nullable: true })
  offsetMs!: number | null;

  /** The expiry this action belongs to (a TTL set again replaces its actions). */
  @Column({ type: 'varchar', length: 32, name: 'expires_at', transformer: isoDate })
  expiresAt!: Date;

  /** When it should run; a failed teardown moves it later (back-off). */
  @Column({ type: 'varchar', length: 32, name: 'due_at', transformer: isoDate })
  dueAt!: Date;

  @Column({ type: 'varchar', length: 16 })
  state!: DueActionState;

  /** The kernel process (`host:pid:boot`) that claimed it, and when: a claim older than the lease is taken over. */
  @Column({ type: 'varchar', length: 128, name: 'claimed_by', nullable: true })
  claimedBy!: string | null;

  @Column({ type: 'varchar', length: 32, name: 'claimed_at', nullable: true, transformer: isoDate })
  claimedAt!: Date | null;

  /** Failed attempts so far (a teardown that failed, or found a change open). */
  @Column({ type: 'integer' })
  attempts!: number;

  @Column({ type: 'text', name: 'last_error', nullable: true })
  lastError!: string | null;

  @Column({ type: 'varchar', length: 32, name: 'done_at', nullable: true, transformer: isoDate })
  doneAt!: Date | null;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;
}
