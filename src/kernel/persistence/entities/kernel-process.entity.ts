import { Column, Entity, PrimaryColumn } from 'typeorm';
import { isoDate } from '../columns.js';

/** A kernel process that shares the database (a front, a worker, or both), with its heartbeat. */
@Entity({ name: 'kernel_processes' })
export class KernelProcessEntity {
  /** `host:pid:boot`, as sessions' `operation_owner` names it. */
  @PrimaryColumn({ type: 'varchar', length: 128 })
  id!: string;

  /** `front`, `worker`, or `front+worker`. */
  @Column({ type: 'varchar', length: 16 })
  role!: string;

  @Column({ type: 'varchar', length: 32, name: 'started_at', transformer: isoDate })
  startedAt!: Date;

  /** Moved on every few seconds while it lives: an owner not seen for long is gone. */
  @Column({ type: 'varchar', length: 32, name: 'seen_at', transformer: isoDate })
  seenAt!: Date;
}
