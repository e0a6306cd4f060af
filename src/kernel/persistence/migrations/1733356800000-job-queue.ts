import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Fronts and workers: plan files kept with their plans (any worker applies them), and the heartbeats of the processes sharing the database. */
export class JobQueue1733356800000 implements MigrationInterface {
  name = 'JobQueue1733356800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('plans', new TableColumn({ name: 'plan_file_data', type: 'text', isNullable: true }));
    await queryRunner.createTable(
      new Table({
        name: 'kernel_processes',
        columns: [
          { name: 'id', type: 'varchar', length: '128', isPrimary: true },
          { name: 'role', type: 'varchar', length: '16' },
          { name: 'started_at', type: 'varchar', length: '32' },
          { name: 'seen_at', type: 'varchar', length: '32' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('kernel_processes');
    await queryRunner.dropColumn('plans', 'plan_file_data');
  }
}
