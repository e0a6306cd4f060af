import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Drift: each deployment's last drift check (what differed, acknowledged or not) and when its next scheduled check is due. */
export class Drift1733011200000 implements MigrationInterface {
  name = 'Drift1733011200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('deployments', new TableColumn({ name: 'drift', type: 'text', isNullable: true }));
    await queryRunner.addColumn('deployments', new TableColumn({ name: 'drift_next_at', type: 'varchar', length: '32', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('deployments', 'drift_next_at');
    await queryRunner.dropColumn('deployments', 'drift');
  }
}
