import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Just-in-time access grants and per-project quotas. */
export class Governance1732492800000 implements MigrationInterface {
  name = 'Governance1732492800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'access_grants',
        columns: [
          { name: 'project_id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'user_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'level', type: 'varchar', length: '16' },
          { name: 'granted_by', type: 'varchar', length: '64' },
          { name: 'granted_at', type: 'varchar', length: '32' },
          { name: 'expires_at', type: 'varchar', length: '32', isNullable: true },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'quotas',
        columns: [
          { name: 'project_id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'quota_key', type: 'varchar', length: '32', isPrimary: true },
          // "limit" is reserved in SQL.
          { name: 'max_count', type: 'integer' },
          { name: 'set_by', type: 'varchar', length: '64' },
          { name: 'set_at', type: 'varchar', length: '32' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('quotas');
    await queryRunner.dropTable('access_grants');
  }
}
