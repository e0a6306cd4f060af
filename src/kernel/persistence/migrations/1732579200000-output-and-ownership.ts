import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Persisted terraform output, and which process runs a session's operation (for crash recovery). */
export class OutputAndOwnership1732579200000 implements MigrationInterface {
  name = 'OutputAndOwnership1732579200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'output_lines',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'session_id', type: 'varchar', length: '32' },
          { name: 'seq', type: 'integer' },
          { name: 'operation', type: 'varchar', length: '16' },
          { name: 'level', type: 'varchar', length: '8' },
          { name: 'line', type: 'text' },
          { name: 'at', type: 'varchar', length: '32' },
        ],
        indices: [new TableIndex({ columnNames: ['session_id', 'seq'] })],
      }),
    );
    await queryRunner.addColumn('sessions', new TableColumn({ name: 'operation_owner', type: 'varchar', length: '128', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('sessions', 'operation_owner');
    await queryRunner.dropTable('output_lines');
  }
}
