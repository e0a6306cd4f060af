import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { isoDate, jsonText, type JsonObject } from '../columns.js';
import type { DeploymentState } from '../../sessions/deployment-state.js';

/** A deployment session: what a user assembles, plans and applies. */
@Entity({ name: 'sessions' })
@Index(['projectId', 'state'])
@Index(['userId'])
export class CloudSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id!: string;

  @Column({ type: 'varchar', length: 32, name: 'project_id' })
  projectId!: string;

  /** The deployment this session changes. */
  @Column({ type: 'varchar', length: 32, name: 'deployment_id' })
  deploymentId!: string;

  /** The deployment's version when the session started: a plan made on an older version is stale. */
  @Column({ type: 'integer', name: 'base_version' })
  baseVersion!: number;

  /** The deployment's working dir under the data dir, where terraform runs (see DeploymentEntity.workDir). */
  @Column({ type: 'varchar', length: 128, name: 'work_dir' })
  workDir!: string;

  /** The deployment's state key (see DeploymentEntity.stateKey). */
  @Column({ type: 'varchar', length: 32, name: 'state_key' })
  stateKey!: string;

  @Column({ type: 'varchar', length: 32 })
  provider!: string;

  @Column({ type: 'varchar', length: 64, name: 'user_id' })
  userId!: string;

  @Column({ type: 'varchar', length: 24 })
  state!: DeploymentState;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Who last changed the resources (four-eyes rules need it). */
  @Column({ type: 'varchar', length: 64, name: 'last_changed_by', nullable: true })
  lastChangedBy!: string | null;

  @Column({ type: 'varchar', length: 32, name: 'current_plan_id', nullable: true })
  currentPlanId!: string | null;

  /** Terraform outputs after a successful apply (sensitive values redacted). */
  @Column({ type: 'text', nullable: true, transformer: jsonText })
  outputs!: JsonObject | null;

  /** The process running the session's current operation (`host:pid:boot`), for crash recovery. */
  @Column({ type: 'varchar', length: 128, name: 'operation_owner', nullable: true })
  operationOwner!: string | null;

  /**
   * After a failed apply or teardown: the names of the session's resources
   * that terraform's state still holds (they count against quotas until torn
   * down). null when unknown, and then every resource counts.
   */
  @Column({ type: 'text', name: 'resources_in_state', nullable: true, transformer: jsonText })
  resourcesInState!: string[] | null;

  /** The state a teardown started from (APPLIED or FAILED), where it returns if the teardown does not happen. */
  @Column({ type: 'varchar', length: 24, name: 'teardown_from', nullable: true })
  teardownFrom!: DeploymentState | null;

  @Column({ type: 'varchar', length: 64, name: 'approved_by', nullable: true })
  approvedBy!: string | null;

  @Column({ type: 'varchar', length: 32, name: 'created_at', transformer: isoDate })
  createdAt!: Date;

  @Column({ type: 'varchar', length: 32, name: 'updated_at', transformer: isoDate })
  updatedAt!: Date;
}
