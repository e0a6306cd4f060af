import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * N-of-M approvals: each approval of a plan, recorded against that plan (its
 * id and configuration hash). Plain SQL that SQLite and PostgreSQL both run;
 * the partial unique index keeps one live approval per person and plan, so a
 * person counts once even when their clicks race.
 */
export class Approvals1733184000000 implements MigrationInterface {
  name = 'Approvals1733184000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE approvals (
      id varchar(32) NOT NULL PRIMARY KEY,
      session_id varchar(32) NOT NULL,
      plan_id varchar(32) NOT NULL,
      config_hash varchar(64) NOT NULL,
      user_id varchar(64) NOT NULL,
      created_at varchar(32) NOT NULL,
      revoked_at varchar(32) NULL,
      revoked_reason varchar(16) NULL
    )`);
    await queryRunner.query('CREATE INDEX idx_approvals_session_plan ON approvals (session_id, plan_id)');
    await queryRunner.query('CREATE UNIQUE INDEX uq_approvals_live ON approvals (session_id, plan_id, user_id) WHERE revoked_at IS NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE approvals');
  }
}
