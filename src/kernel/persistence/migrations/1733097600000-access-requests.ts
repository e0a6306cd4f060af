import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Access requests (asked for in chat, decided by a button) and the mark that
 * a timed grant's holder was told it ends soon. Plain SQL whose types mean
 * the same on SQLite and PostgreSQL; timestamps are ISO text as elsewhere.
 */
export class AccessRequests1733097600000 implements MigrationInterface {
  name = 'AccessRequests1733097600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE access_requests (
      id varchar(32) NOT NULL PRIMARY KEY,
      project_id varchar(32) NOT NULL,
      user_id varchar(64) NOT NULL,
      level varchar(16) NOT NULL,
      duration_ms double precision NOT NULL,
      reason text NOT NULL,
      state varchar(16) NOT NULL,
      created_at varchar(32) NOT NULL,
      expires_at varchar(32) NOT NULL,
      decided_by varchar(64) NULL,
      decided_at varchar(32) NULL,
      granted_ms double precision NULL,
      grant_expires_at varchar(32) NULL
    )`);
    await queryRunner.query('CREATE INDEX idx_access_requests_project_state ON access_requests (project_id, state)');
    await queryRunner.query('CREATE INDEX idx_access_requests_state_expires ON access_requests (state, expires_at)');
    await queryRunner.query('ALTER TABLE access_grants ADD COLUMN expiry_notice_at varchar(32) NULL');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE access_grants DROP COLUMN expiry_notice_at');
    await queryRunner.query('DROP INDEX idx_access_requests_state_expires');
    await queryRunner.query('DROP INDEX idx_access_requests_project_state');
    await queryRunner.query('DROP TABLE access_requests');
  }
}
