import { Column, Entity, PrimaryColumn } from 'typeorm';
import { isoDate, jsonText, type JsonObject } from '../columns.js';

/** A deployable project: one cloud provider and its settings. */
@Entity({ name: 'projects' })
export class ProjectEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  @Column({ type: 'text', transformer: jsonText })
  settings!: JsonObject;

  @Column({ type: 'varchar', length: 64, name: 'created_by' })
  createdBy!: string;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;
}
