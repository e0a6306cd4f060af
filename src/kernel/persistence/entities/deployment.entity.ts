import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isoDate, jsonText, type JsonObject } from '../columns.js';
import type { DeploymentStatus } from '../../deployments/deployment-status.js';

/** One resource of a deployment as last applied. */
export interface DeployedResource {
  readonly name: string;
  readonly type: string;
  readonly config: JsonObject;
  readonly createdBy: string;
}

/** A deployment: the long-lived set of resources a team owns in a project; each session is one change of it. */
@Entity({ name: 'deployments' })
@Index(['projectId', 'name'], { unique: true })
export class DeploymentEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 32, name: 'project_id' })
  projectId!: string;

  /** Unique in the project; the same rules as resource names. */
  @Column({ type: 'varchar', length: 63 })
  name!: string;

  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: DeploymentStatus;

  /** Moves on every applied (or failed) change and teardown: a session planned on an older version is stale. */
  @Column({ type: 'integer' })
  version!: number;

  /** The resources as last applied (what terraform's state holds after a failed change). */
  @Column({ type: 'text', transformer: jsonText })
  resources!: DeployedResource[];

  @Column({ type: 'text', nullable: true, transformer: jsonText })
  outputs!: JsonObject | null;

  /**
   * What its priced resources cost a month, USD: each applied change's plan
   * adds its monthly delta. null when nothing applied was ever priced.
   */
  @Column({ type: 'double precision', name: 'monthly_cost', nullable: true })
  monthlyCost!: number | null;

  /** The session whose apply (or teardown) made the current version; null before the first. */
  @Column({ type: 'varchar', length: 32, name: 'last_session_id', nullable: true })
  lastSessionId!: string | null;

  /** The one open change (a session not yet APPLIED, FAILED, CANCELLED or DESTROYED); null when none. */
  @Column({ type: 'varchar', length: 32, name: 'open_session_id', nullable: true })
  openSessionId!: string | null;

  /** Where its terraform runs and its state lives, under the data dir (`deployments/<id>`; `sessions/<id>` for one made from an older session). */
  @Column({ type: 'varchar', length: 128, name: 'work_dir' })
  workDir!: string;

  /** What its remote state's key, prefix or schema is named after (its id; the session id for one made from an older session). */
  @Column({ type: 'varchar', length: 32, name: 'state_key' })
  stateKey!: string;

  /** When the kernel tears it down by itself (its TTL); null when it does not expire. */
  @Column({ type: 'varchar', length: 32, name: 'expires_at', nullable: true, transformer: isoDate })
  expiresAt!: Date | null;

  /** Its last drift check, as stored (see drift/drift-record.ts); null before the first. */
  @Column({ type: 'text', nullable: true, transformer: jsonText })
  drift!: JsonObject | null;

  /** When its next scheduled drift check is due (project setting `drift.every`); null when none is scheduled. */
  @Column({ type: 'varchar', length: 32, name: 'drift_next_at', nullable: true, transformer: isoDate })
  driftNextAt!: Date | null;

  @Column({ type: 'varchar', length: 64, name: 'created_by' })
  createdBy!: string;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 32, name: 'updated_at', transformer: isoDate })
  updatedAt!: Date;
}
