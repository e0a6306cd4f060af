import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const id = (length = 32) => ({ name: 'id', type: 'varchar', length: String(length), isPrimary: true });
const varchar = (name: string, length: number, isNullable = false) => ({ name, type: 'varchar', length: String(length), isNullable });
const text = (name: string, isNullable = false) => ({ name, type: 'text', isNullable });
const integer = (name: string) => ({ name, type: 'integer' });

/** The core schema: projects, sessions, resources, plans and the audit trail. */
export class InitialSchema1732406400000 implements MigrationInterface {
  name = 'InitialSchema1732406400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'projects',
        columns: [id(), varchar('provider', 32), text('settings'), varchar('created_by', 64), varchar('created_at', 32)],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'sessions',
        columns: [
          id(),
          varchar('project_id', 32),
          varchar('provider', 32),
          varchar('user_id', 64),
          varchar('state', 24),
          text('error', true),
          varchar('last_changed_by', 64, true),
          varchar('current_plan_id', 32, true),
          text('outputs', true),
          varchar('approved_by', 64, true),
          varchar('created_at', 32),
          varchar('updated_at', 32),
        ],
        indices: [
          new TableIndex({ columnNames: ['project_id', 'state'] }),
          new TableIndex({ columnNames: ['user_id'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'resources',
        columns: [
          id(),
          varchar('session_id', 32),
          varchar('name', 63),
          varchar('type', 64),
          text('config'),
          varchar('created_by', 64),
          varchar('created_at', 32),
        ],
        indices: [new TableIndex({ columnNames: ['session_id', 'name'], isUnique: true })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'plans',
        columns: [
          id(),
          varchar('session_id', 32),
          varchar('created_by', 64),
          varchar('summary', 200),
          integer('to_add'),
          integer('to_change'),
          integer('to_destroy'),
          text('changes'),
          text('plan_json'),
          varchar('plan_file', 1024),
          varchar('config_hash', 64),
          text('cost', true),
          varchar('created_at', 32),
        ],
        indices: [new TableIndex({ columnNames: ['session_id'] })],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'audit_events',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          varchar('actor', 64),
          varchar('action', 64),
          varchar('project_id', 32, true),
          varchar('session_id', 32, true),
          text('details'),
          varchar('at', 32),
        ],
        indices: [new TableIndex({ columnNames: ['session_id'] }), new TableIndex({ columnNames: ['project_id'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['audit_events', 'plans', 'resources', 'sessions', 'projects']) {
      await queryRunner.dropTable(table);
    }
  }
}
