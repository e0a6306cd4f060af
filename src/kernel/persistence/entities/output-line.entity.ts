import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { isoDate } from '../columns.js';

/** One line of a session's terraform output, redacted, persisted as it streams. */
@Entity({ name: 'output_lines' })
@Index(['sessionId', 'seq'])
export class OutputLineEntity {
  @PrimaryGeneratedColumn('increment', { type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 32, name: 'session_id' })
  sessionId!: string;

  /** Order within the session, across operations. */
  @Column({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 16 })
  operation!: 'plan' | 'apply';

  @Column({ type: 'varchar', length: 8 })
  level!: 'info' | 'warn' | 'error';

  @Column({ type: 'text' })
  line!: string;

  @Column({ type: 'varchar', length: 32, transformer: isoDate })
  at!: Date;
}
