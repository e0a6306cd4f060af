import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isoDate, jsonText, type JsonObject } from '../columns.js';

/** One resource of a session, as the user described it (validated config). */
@Entity({ name: 'resources' })
@Index(['sessionId', 'name'], { unique: true })
export class CloudResourceEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 32, name: 'session_id' })
  sessionId!: string;

  @Column({ type: 'varchar', length: 63 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: 'text', transformer: jsonText })
  config!: JsonObject;

  @Column({ type: 'varchar', length: 64, name: 'created_by' })
  createdBy!: string;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;
}
