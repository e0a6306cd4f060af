import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { isoDate, jsonText, type JsonObject } from '../columns.js';

/** One recorded action: who did what, where, when. Append-only. */
@Entity({ name: 'audit_events' })
@Index(['sessionId'])
@Index(['projectId'])
export class AuditEventEntity {
  @PrimaryGeneratedColumn('increment', { type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  actor!: string;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 32, name: 'project_id', nullable: true })
  projectId!: string | null;

  @Column({ type: 'varchar', length: 32, name: 'session_id', nullable: true })
  sessionId!: string | null;

  @Column({ type: 'text', transformer: jsonText })
  details!: JsonObject;

  @Column({ type: 'varchar', length: 32, transformer: isoDate })
  at!: Date;
}
