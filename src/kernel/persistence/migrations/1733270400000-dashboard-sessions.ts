import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** The dashboard's sign-in links and browser sessions (hashes of their tokens only). */
export class DashboardSessions1733270400000 implements MigrationInterface {
  name = 'DashboardSessions1733270400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'dashboard_sessions',
        columns: [
          { name: 'id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'user_id', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'varchar', length: '32' },
          { name: 'expires_at', type: 'varchar', length: '32' },
          { name: 'used_at', type: 'varchar', length: '32', isNullable: true },
          { name: 'revoked_at', type: 'varchar', length: '32', isNullable: true },
          { name: 'link_id', type: 'varchar', length: '32', isNullable: true },
        ],
      }),
    );
    await queryRunner.createIndex('dashboard_sessions', new TableIndex({ columnNames: ['token_hash'], isUnique: true }));
    await queryRunner.createIndex('dashboard_sessions', new TableIndex({ columnNames: ['user_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('dashboard_sessions');
  }
}
