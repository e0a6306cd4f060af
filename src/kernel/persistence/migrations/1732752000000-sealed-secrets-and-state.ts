import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Plans keep the values they mark sensitive, sealed, so any process redacts
 * their apply the same; sessions record which resources terraform's state
 * holds after a failed apply, so quotas keep counting them, and which state
 * a teardown started from, so a teardown that does not happen returns there.
 */
export class SealedSecretsAndState1732752000000 implements MigrationInterface {
  name = 'SealedSecretsAndState1732752000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('plans', new TableColumn({ name: 'sealed_secrets', type: 'text', isNullable: true }));
    await queryRunner.addColumn('sessions', new TableColumn({ name: 'resources_in_state', type: 'text', isNullable: true }));
    await queryRunner.addColumn('sessions', new TableColumn({ name: 'teardown_from', type: 'varchar', length: '24', isNullable: true }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('sessions', 'teardown_from');
    await queryRunner.dropColumn('sessions', 'resources_in_state');
    await queryRunner.dropColumn('plans', 'sealed_secrets');
  }
}
