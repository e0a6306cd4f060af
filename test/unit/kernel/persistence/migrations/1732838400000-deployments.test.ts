import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, openDatabase } from '../../../../../src/kernel/persistence/database.js';
import { CloudSessionEntity } from '../../../../../src/kernel/persistence/entities/cloud-session.entity.js';
import { DeploymentEntity } from '../../../../../src/kernel/persistence/entities/deployment.entity.js';
import { ADMIN, startTestKernel } from '../../../../support/test-kernel.js';

const AT = '2026-11-01T10:00:00.000Z';

/**
 * A data dir whose database the previous release made: its migrations only,
 * holding sessions in every kind of end state, written as that release wrote them.
 */
async function previousRelease(dir: string): Promise<void> {
  const old = new DataSource({ type: 'sqlite', database: join(dir, 'cloud-engine.sqlite'), migrations: MIGRATIONS.slice(0, MIGRATIONS.findIndex((migration) => migration.name === 'Deployments1732838400000')), entities: [], logging: false });
  await old.initialize();
  await old.runMigrations();
  const insert = (table: string, values: Record<string, unknown>) => old.createQueryBuilder().insert().into(table).values(values).execute();
  await insert('projects', { id: 'legacy', provider: 'sandbox', settings: '{}', created_by: ADMIN, created_at: AT });
  const session = (id: string, state: string, extra: Record<string, unknown> = {}) =>
    insert('sessions', { id, project_id: 'legacy', provider: 'sandbox', user_id: 'alice', state, created_at: AT, updated_at: AT, ...extra });
  const resource = (sessionId: string, name: string, type = 'sandbox.vm') =>
    insert('resources', { id: `${sessionId}-${name}`, session_id: sessionId, name, type, config: JSON.stringify({ size: 'small' }), created_by: 'alice', created_at: AT });
  await session('applied1', 'APPLIED', { outputs: JSON.stringify({ web: { id: 'x' } }) });
  await resource('applied1', 'web');
  await resource('applied1', 'assets', 'sandbox.bucket');
  await session('failed01', 'FAILED', { resources_in_state: JSON.stringify(['kept']) });
  await resource('failed01', 'kept');
  await resource('failed01', 'never');
  await session('gone0001', 'DESTROYED');
  await resource('gone0001', 'old');
  await session('draft001', 'DRAFT');
  await resource('draft001', 'wip');
  await session('cancel01', 'CANCELLED');
  await old.destroy();
}

describe('migration: sessions of the previous release become deployments', () => {
  let dir: string;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cloud-engine-migrate-'));
    await previousRelease(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives every session a deployment of its own, with the resources, outputs and state it had; nothing is lost', async () => {
    const db = await openDatabase(dir);
    try {
      const deployments = await db.manager.find(DeploymentEntity, { order: { name: 'ASC' } });
      const byName = Object.fromEntries(deployments.map((deployment) => [deployment.name, deployment]));
      expect(Object.keys(byName)).toEqual(['s-applied1', 's-cancel01', 's-draft001', 's-failed01', 's-gone0001']);
      expect(byName['s-applied1']).toMatchObject({
        state: 'ACTIVE',
        version: 1,
        outputs: { web: { id: 'x' } },
        lastSessionId: 'applied1',
        openSessionId: null,
        workDir: 'sessions/applied1',
        stateKey: 'applied1',
      });
      // In the order sessions list them: when added, then by name.
      expect(byName['s-applied1']!.resources.map((resource) => [resource.name, resource.type, resource.config])).toEqual([
        ['assets', 'sandbox.bucket', { size: 'small' }],
        ['web', 'sandbox.vm', { size: 'small' }],
      ]);
      // A failed apply keeps what its state held, and only that.
      expect(byName['s-failed01']).toMatchObject({ state: 'ACTIVE', resources: [expect.objectContaining({ name: 'kept' })] });
      expect(byName['s-gone0001']).toMatchObject({ state: 'DESTROYED', resources: [] });
      // An open session holds its deployment's lock; a cancelled one held nothing.
      expect(byName['s-draft001']).toMatchObject({ state: 'NEW', version: 0, openSessionId: 'draft001' });
      expect(byName['s-cancel01']).toMatchObject({ state: 'NEW', openSessionId: null });
      for (const session of await db.manager.find(CloudSessionEntity)) {
        expect(session).toMatchObject({ deploymentId: byName[`s-${session.id}`]!.id, baseVersion: 0, workDir: `sessions/${session.id}`, stateKey: session.id });
      }
    } finally {
      await db.close();
    }
  });

  it('a migrated deployment is changed like any other: the change starts from its resources, in its old working dir, its draft still locks it', async () => {
    const t = await startTestKernel({ dataDir: dir });
    try {
      const { orchestrator, deployments } = t.kernel;
      await t.kernel.access.grant({ projectId: 'legacy', userId: 'alice', level: 'deploy', grantedBy: ADMIN });
      const change = await orchestrator.startSession('alice', 'legacy', undefined, { deployment: 's-applied1' });
      expect(change.resources.map((resource) => resource.name)).toEqual(['assets', 'web']);
      expect(change.workingDir).toBe(join(dir, 'sessions', 'applied1'));
      await expect(orchestrator.startSession('alice', 'legacy', undefined, { deployment: 's-draft001' })).rejects.toMatchObject({ code: 'LOCKED' });
      expect((await deployments.get('s-draft001', 'alice', 'legacy')).sessions).toEqual(['draft001']);
      // The quota view counts what the old release had deployed.
      expect(await t.kernel.quotas.usage('legacy')).toEqual([
        { quotaKey: 'compute_vm', used: 2, reserved: 0, limit: null, percent: null },
        { quotaKey: 'storage_bucket', used: 1, reserved: 0, limit: null, percent: null },
      ]);
    } finally {
      await t.dispose();
    }
  });
});
