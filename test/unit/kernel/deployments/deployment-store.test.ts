import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanRecordEntity } from '../../../../src/kernel/persistence/entities/plan-record.entity.js';
import { Editing } from '../../../../src/kernel/sessions/editing.js';
import { rejection } from '../../../support/rejection.js';
import { startSessionServices } from '../../../support/session-services.js';
import { ADMIN } from '../../../support/test-kernel.js';

describe('DeploymentStore keeps a deployment in step with its changes', () => {
  let services: Awaited<ReturnType<typeof startSessionServices>>;
  let editing: Editing;
  beforeAll(async () => {
    services = await startSessionServices();
    editing = new Editing(services);
    await services.projects.create({ id: 'dep', provider: 'sandbox', createdBy: ADMIN });
    await services.access.grant({ projectId: 'dep', userId: 'alice', level: 'deploy', grantedBy: ADMIN });
  });
  afterAll(() => services?.dispose());

  /** A change of `deployment` with a plan costing `monthlyDelta` a month, taken to `end` (APPLIED or FAILED) or left open. */
  async function change(deployment: string, edit: (sessionId: string) => Promise<unknown>, monthlyDelta: number, end?: 'APPLIED' | 'FAILED' | 'CANCELLED') {
    const session = await editing.startSession('alice', 'dep', undefined, { deployment });
    await edit(session.id);
    const planId = `p-${session.id}`;
    await services.db.manager.insert(PlanRecordEntity, Object.assign(new PlanRecordEntity(), {
      id: planId,
      sessionId: session.id,
      createdBy: 'alice',
      summary: 'Plan',
      toAdd: 0,
      toChange: 0,
      toDestroy: 0,
      changes: [],
      planJson: {},
      planFile: '/x.tfplan',
      configHash: 'h',
      cost: { currency: 'USD', hourly: 0, monthly: 0, monthlyDelta, lines: [], unpriced: [] },
      sealedSecrets: null,
      createdAt: new Date(),
    }));
    const { store } = services;
    await store.transition({ sessionId: session.id, from: ['DRAFT'], via: ['VALIDATING', 'PLANNING'], to: 'PLAN_READY', actor: 'alice', patch: { currentPlanId: planId } });
    if (end === 'CANCELLED') await store.transition({ sessionId: session.id, from: ['PLAN_READY'], to: 'CANCELLED', actor: 'alice' });
    else if (end) await store.transition({ sessionId: session.id, from: ['PLAN_READY'], via: ['APPROVED', 'APPLYING'], to: end, actor: 'bob', patch: end === 'FAILED' ? { resourcesInState: null } : {} });
    return session.id;
  }

  it('an applied change sets the resources, moves the version, adds its monthly delta and frees the lock', async () => {
    await change('costly', (id) => editing.addResource(id, 'alice', { type: 'sandbox.vm', name: 'a' }), 12.5, 'APPLIED');
    expect(await services.deployments.find('dep', 'costly')).toMatchObject({ state: 'ACTIVE', version: 1, monthlyCost: 12.5, openSessionId: null, resources: [expect.objectContaining({ name: 'a' })] });
    await change('costly', (id) => editing.removeResource(id, 'alice', 'a').then(() => editing.addResource(id, 'alice', { type: 'sandbox.bucket', name: 'b' })), -2.25, 'APPLIED');
    expect(await services.deployments.find('dep', 'costly')).toMatchObject({ version: 2, monthlyCost: 10.25, resources: [expect.objectContaining({ name: 'b' })] });
  });

  it('a cancelled change frees the lock and changes nothing else', async () => {
    const before = await services.deployments.find('dep', 'costly');
    await change('costly', (id) => editing.addResource(id, 'alice', { type: 'sandbox.bucket', name: 'c' }), 99, 'CANCELLED');
    expect(await services.deployments.find('dep', 'costly')).toMatchObject({ version: before!.version, monthlyCost: before!.monthlyCost, openSessionId: null, resources: before!.resources });
  });

  it('a failed change whose state could not be read keeps every resource of both (they may exist) and moves the version', async () => {
    await change('costly', (id) => editing.addResource(id, 'alice', { type: 'sandbox.vm', name: 'd' }), 5, 'FAILED');
    const after = await services.deployments.find('dep', 'costly');
    expect(after!.resources.map((resource) => resource.name).sort()).toEqual(['b', 'd']);
    expect(after).toMatchObject({ state: 'ACTIVE', version: 3, openSessionId: null, monthlyCost: 10.25 });
  });

  it('an open change locks the deployment until it ends', async () => {
    const open = await change('costly', async () => undefined, 0);
    const error = await rejection(editing.startSession('alice', 'dep', undefined, { deployment: 'costly' }));
    expect(error).toMatchObject({ code: 'LOCKED', details: { openSessionId: open } });
  });
});
