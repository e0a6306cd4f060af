import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudSessionEntity } from '../../../../src/kernel/persistence/entities/cloud-session.entity.js';
import type { DeploymentState } from '../../../../src/kernel/sessions/deployment-state.js';
import { Cancellation } from '../../../../src/kernel/sessions/cancellation.js';
import { Editing } from '../../../../src/kernel/sessions/editing.js';
import { Recovery } from '../../../../src/kernel/sessions/recovery.js';
import { StateReader } from '../../../../src/kernel/sessions/state-reader.js';
import { rejection } from '../../../support/rejection.js';
import { startSessionServices } from '../../../support/session-services.js';
import { ADMIN } from '../../../support/test-kernel.js';

/** A pid that no process holds any more. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

describe('Recovery and Cancellation, alone: sessions left busy, and where they go', () => {
  let services: Awaited<ReturnType<typeof startSessionServices>>;
  let editing: Editing;
  beforeAll(async () => {
    services = await startSessionServices();
    editing = new Editing(services);
    await services.projects.create({ id: 'rec', provider: 'sandbox', createdBy: ADMIN });
    await services.access.grant({ projectId: 'rec', userId: 'alice', level: 'deploy', grantedBy: ADMIN });
  });
  afterAll(() => services?.dispose());

  /** A session of alice's recorded in `state` by `owner` (as a crashed or live process would leave it). */
  async function leftIn(state: DeploymentState, owner: string, teardownFrom: DeploymentState | null = null): Promise<string> {
    const session = await editing.startSession('alice', 'rec');
    await editing.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
    await services.db.manager.update(CloudSessionEntity, { id: session.id }, { state, operationOwner: owner, teardownFrom });
    return session.id;
  }

  it('recovers an apply FAILED "interrupted", a plan PLAN_FAILED, and a FAILED deployment\'s teardown plan back to FAILED', async () => {
    const gone = `${hostname()}:${deadPid()}:ab`;
    const applying = await leftIn('APPLYING', gone);
    const planning = await leftIn('PLANNING', gone);
    const tearingDown = await leftIn('DESTROY_PLANNING', gone, 'FAILED');
    const elsewhere = await leftIn('APPLYING', `other-host.example:${deadPid()}:ab`);
    const recovered = await new Recovery(services, new StateReader(services)).recoverInterrupted();
    expect(recovered.sort()).toEqual([applying, planning, tearingDown].sort());
    expect(await services.store.load(applying)).toMatchObject({ state: 'FAILED', error: expect.stringMatching(/^interrupted: the process applying/), teardownFrom: null });
    // No working dir, no readable state: every resource keeps counting.
    expect((await services.store.load(applying)).resourcesInState).toBeNull();
    expect((await services.store.load(planning)).state).toBe('PLAN_FAILED');
    expect((await services.store.load(tearingDown)).state).toBe('FAILED');
    expect((await services.store.load(elsewhere)).state).toBe('APPLYING');
  });

  it('cancels an orphaned apply into FAILED, an orphaned teardown plan back to its deployment; a live owner keeps it (LOCKED)', async () => {
    const cancellation = new Cancellation(services);
    const orphan = await leftIn('APPLYING', `${hostname()}:${deadPid()}:ab`);
    expect((await cancellation.cancelSession(orphan, ADMIN)).state).toBe('FAILED');
    const teardown = await leftIn('DESTROY_PLANNING', `${hostname()}:${deadPid()}:ab`, 'FAILED');
    expect((await cancellation.cancelSession(teardown, ADMIN)).state).toBe('FAILED');
    // This test process is alive and is not the flows' own operations owner.
    const live = await leftIn('APPLYING', `${hostname()}:${process.pid}:ffffffff`);
    expect(await rejection(cancellation.cancelSession(live, ADMIN))).toMatchObject({ code: 'LOCKED' });
  });

  it("withdrawing a planned teardown returns to where it started; a deploy member may not cancel someone else's session", async () => {
    const cancellation = new Cancellation(services);
    const planned = await leftIn('DESTROY_READY', `${hostname()}:${process.pid}:ab`, 'FAILED');
    await services.db.manager.update(CloudSessionEntity, { id: planned }, { operationOwner: null });
    await services.access.grant({ projectId: 'rec', userId: 'bob', level: 'deploy', grantedBy: ADMIN });
    expect(await rejection(cancellation.cancelSession(planned, 'bob'))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await cancellation.cancelSession(planned, 'alice')).toMatchObject({ state: 'FAILED' });
    expect((await services.audit.list({ sessionId: planned, action: 'session.failed' }))[0]?.details).toMatchObject({ from: 'DESTROY_READY', reason: 'teardown withdrawn' });
  });
});
