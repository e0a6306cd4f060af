import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Plugin state: small JSON values plugins keep across restarts. */
export class PluginState1732665600000 implements MigrationInterface {
  name = 'PluginState1732665600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'plugin_state',
        columns: [
          { name: 'plugin_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'state_key', type: 'varchar', length: '200', isPrimary: true },
          { name: 'value', type: 'text' },
          { name: 'updated_at', type: 'varchar', length: '32' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('plugin_state');
  }
}
