import { randomBytes } from 'node:crypto';
import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Session states of a change still open: it holds its deployment's lock. */
const OPEN = ['DRAFT', 'VALIDATING', 'PLANNING', 'PLAN_READY', 'PLAN_FAILED', 'APPROVED', 'APPLYING', 'DESTROY_PLANNING', 'DESTROY_READY', 'DESTROYING'];
/** Session states whose resources were applied and still exist (FAILED: what its state holds). */
const LIVE = ['APPLIED', 'FAILED', 'DESTROY_PLANNING', 'DESTROY_READY', 'DESTROYING'];

interface SessionRow {
  id: string;
  project_id: string;
  provider: string;
  user_id: string;
  state: string;
  outputs: string | null;
  resources_in_state: string | null;
  current_plan_id: string | null;
  created_at: string;
  updated_at: string;
}

interface ResourceRow {
  session_id: string;
  name: string;
  type: string;
  config: string;
  created_by: string;
}

/**
 * Deployments: the long-lived thing a team owns, changed by sessions. Every
 * existing session becomes the one change of a deployment of its own, named
 * `s-<session id>`, whose working dir and state stay where they are
 * (`sessions/<id>`, keyed by the session id): a session that was ever
 * applied makes it ACTIVE with its resources (of a FAILED one, those its
 * state holds) and outputs, a DESTROYED one DESTROYED, any other NEW; an
 * open session holds its deployment's lock. Nothing is lost.
 */
export class Deployments1732838400000 implements MigrationInterface {
  name = 'Deployments1732838400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'deployments',
        columns: [
          { name: 'id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'project_id', type: 'varchar', length: '32' },
          { name: 'name', type: 'varchar', length: '63' },
          { name: 'provider', type: 'varchar', length: '32' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'version', type: 'integer' },
          { name: 'resources', type: 'text' },
          { name: 'outputs', type: 'text', isNullable: true },
          { name: 'monthly_cost', type: 'double precision', isNullable: true },
          { name: 'last_session_id', type: 'varchar', length: '32', isNullable: true },
          { name: 'open_session_id', type: 'varchar', length: '32', isNullable: true },
          { name: 'work_dir', type: 'varchar', length: '128' },
          { name: 'state_key', type: 'varchar', length: '32' },
          { name: 'created_by', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'varchar', length: '32' },
          { name: 'updated_at', type: 'varchar', length: '32' },
        ],
        indices: [new TableIndex({ columnNames: ['project_id', 'name'], isUnique: true })],
      }),
    );
    // Filled below for every existing session; new sessions always set them.
    await queryRunner.addColumns('sessions', [
      new TableColumn({ name: 'deployment_id', type: 'varchar', length: '32', isNullable: true }),
      new TableColumn({ name: 'base_version', type: 'integer', default: 0 }),
      new TableColumn({ name: 'work_dir', type: 'varchar', length: '128', isNullable: true }),
      new TableColumn({ name: 'state_key', type: 'varchar', length: '32', isNullable: true }),
    ]);
    await queryRunner.createIndex('sessions', new TableIndex({ columnNames: ['deployment_id'] }));

    const postgres = queryRunner.connection.options.type === 'postgres';
    const placeholder = (index: number) => (postgres ? `$${index + 1}` : '?');
    const sessions = (await queryRunner.query('SELECT * FROM sessions ORDER BY created_at, id')) as SessionRow[];
    const resources = (await queryRunner.query('SELECT * FROM resources ORDER BY created_at, name')) as ResourceRow[];
    const costs = new Map(((await queryRunner.query('SELECT id, cost FROM plans')) as { id: string; cost: string | null }[]).map((plan) => [plan.id, plan.cost]));
    const bySession = new Map<string, ResourceRow[]>();
    for (const resource of resources) bySession.set(resource.session_id, [...(bySession.get(resource.session_id) ?? []), resource]);
    for (const session of sessions) {
      const live = LIVE.includes(session.state);
      const held = session.state === 'FAILED' && session.resources_in_state !== null ? (JSON.parse(session.resources_in_state) as string[]) : null;
      const current = live ? (bySession.get(session.id) ?? []).filter((resource) => held === null || held.includes(resource.name)) : [];
      const applied = live || session.state === 'DESTROYED';
      const deploymentId = newId();
      const row: Record<string, unknown> = {
        id: deploymentId,
        project_id: session.project_id,
        name: `s-${session.id}`,
        provider: session.provider,
        state: session.state === 'DESTROYED' ? 'DESTROYED' : applied && (current.length > 0 || held === null) ? 'ACTIVE' : 'NEW',
        version: applied ? 1 : 0,
        resources: JSON.stringify(current.map((resource) => ({ name: resource.name, type: resource.type, config: JSON.parse(resource.config), createdBy: resource.created_by }))),
        outputs: live ? session.outputs : null,
        // The applied plan of a first (and only) change priced everything it made.
        monthly_cost: live ? monthlyOf(costs.get(session.current_plan_id ?? '') ?? null) : null,
        last_session_id: applied ? session.id : null,
        open_session_id: OPEN.includes(session.state) ? session.id : null,
        work_dir: `sessions/${session.id}`,
        state_key: session.id,
        created_by: session.user_id,
        created_at: session.created_at,
        updated_at: session.updated_at,
      };
      // Plain SQL with the table's own column names: entities change with later releases, this migration must not.
      const columns = Object.keys(row);
      await queryRunner.query(`INSERT INTO deployments (${columns.join(', ')}) VALUES (${columns.map((_, index) => placeholder(index)).join(', ')})`, Object.values(row));
      await queryRunner.query(
        `UPDATE sessions SET deployment_id = ${placeholder(0)}, base_version = 0, work_dir = ${placeholder(1)}, state_key = ${placeholder(2)} WHERE id = ${placeholder(3)}`,
        [deploymentId, `sessions/${session.id}`, session.id, session.id],
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('sessions', new TableIndex({ columnNames: ['deployment_id'] }));
    for (const column of ['state_key', 'work_dir', 'base_version', 'deployment_id']) await queryRunner.dropColumn('sessions', column);
    await queryRunner.dropTable('deployments');
  }
}

/** The monthly total of a stored plan cost, when it has one. */
function monthlyOf(cost: string | null): number | null {
  const monthly = cost === null ? undefined : (JSON.parse(cost) as { monthly?: unknown }).monthly;
  return typeof monthly === 'number' ? monthly : null;
}

/** A deployment id as the kernel makes them: lowercase letters and digits people can read aloud. */
function newId(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  return [...randomBytes(10)].map((byte) => alphabet[byte % alphabet.length]).join('');
}
