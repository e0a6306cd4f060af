import { Column, Entity, PrimaryColumn } from 'typeorm';
import { isoDate } from '../columns.js';

/** The most resources of one quota key a project may hold. */
@Entity({ name: 'quotas' })
export class QuotaEntity {
  @PrimaryColumn({ type: 'varchar', length: 32, name: 'project_id' })
  projectId!: string;

  @PrimaryColumn({ type: 'varchar', length: 32, name: 'quota_key' })
  quotaKey!: string;

  @Column({ type: 'integer', name: 'max_count' })
  limit!: number;

  @Column({ type: 'varchar', length: 64, name: 'set_by' })
  setBy!: string;

  @Column({ type: 'varchar', length: 32, name: 'set_at', transformer: isoDate })
  setAt!: Date;
}
