import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isoDate, jsonText, type JsonObject } from '../columns.js';

/** One terraform plan of a session: what was shown, and the file that will be applied. */
@Entity({ name: 'plans' })
@Index(['sessionId'])
export class PlanRecordEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 32, name: 'session_id' })
  sessionId!: string;

  @Column({ type: 'varchar', length: 64, name: 'created_by' })
  createdBy!: string;

  @Column({ type: 'varchar', length: 200 })
  summary!: string;

  @Column({ type: 'integer', name: 'to_add' })
  toAdd!: number;

  @Column({ type: 'integer', name: 'to_change' })
  toChange!: number;

  @Column({ type: 'integer', name: 'to_destroy' })
  toDestroy!: number;

  @Column({ type: 'text', transformer: jsonText })
  changes!: { address: string; type: string; actions: string[]; resource?: string }[];

  /** `terraform show -json` of the plan file. */
  @Column({ type: 'text', name: 'plan_json', transformer: jsonText })
  planJson!: JsonObject;

  @Column({ type: 'varchar', length: 1024, name: 'plan_file' })
  planFile!: string;

  /** sha256 of the synthesized configuration the plan was made from. */
  @Column({ type: 'varchar', length: 64, name: 'config_hash' })
  configHash!: string;

  @Column({ type: 'text', nullable: true, transformer: jsonText })
  cost!: JsonObject | null;

  /**
   * The values the plan marks sensitive, encrypted with the kernel's secret
   * key (`secrets/sealed-box.ts`), so whichever process applies the plan
   * hides them in its output; null when the plan has none.
   */
  @Column({ type: 'text', name: 'sealed_secrets', nullable: true })
  sealedSecrets!: string | null;

  /**
   * The saved plan file itself (base64), so that any process can apply
   * exactly it: a worker other than the one that planned rebuilds the
   * working dir and writes it back. null for plans made before it was kept.
   */
  @Column({ type: 'text', name: 'plan_file_data', nullable: true })
  planFileData!: string | null;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;
}
