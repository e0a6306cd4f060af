import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Deployments that expire: their expiry, and the persisted due times of reminders and expiries. */
export class Lifecycle1732924800000 implements MigrationInterface {
  name = 'Lifecycle1732924800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('deployments', new TableColumn({ name: 'expires_at', type: 'varchar', length: '32', isNullable: true }));
    await queryRunner.createTable(
      new Table({
        name: 'due_actions',
        columns: [
          { name: 'id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'deployment_id', type: 'varchar', length: '32' },
          { name: 'project_id', type: 'varchar', length: '32' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'offset_ms', type: 'double precision', isNullable: true },
          { name: 'expires_at', type: 'varchar', length: '32' },
          { name: 'due_at', type: 'varchar', length: '32' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'claimed_by', type: 'varchar', length: '128', isNullable: true },
          { name: 'claimed_at', type: 'varchar', length: '32', isNullable: true },
          { name: 'attempts', type: 'integer' },
          { name: 'last_error', type: 'text', isNullable: true },
          { name: 'done_at', type: 'varchar', length: '32', isNullable: true },
          { name: 'created_at', type: 'varchar', length: '32' },
        ],
      }),
    );
    await queryRunner.createIndex('due_actions', new TableIndex({ columnNames: ['state', 'due_at'] }));
    await queryRunner.createIndex('due_actions', new TableIndex({ columnNames: ['deployment_id'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('due_actions');
    await queryRunner.dropColumn('deployments', 'expires_at');
  }
}
