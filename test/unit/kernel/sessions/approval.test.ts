import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanRecordEntity } from '../../../../src/kernel/persistence/entities/plan-record.entity.js';
import { Approval } from '../../../../src/kernel/sessions/approval.js';
import { Editing } from '../../../../src/kernel/sessions/editing.js';
import { rejection } from '../../../support/rejection.js';
import { startSessionServices } from '../../../support/session-services.js';
import { ADMIN } from '../../../support/test-kernel.js';

describe('Approval, alone: which plan, and who may approve it', () => {
  let services: Awaited<ReturnType<typeof startSessionServices>>;
  let approval: Approval;
  let editing: Editing;
  beforeAll(async () => {
    services = await startSessionServices();
    approval = new Approval(services);
    editing = new Editing(services);
    await services.projects.create({ id: 'eyes', provider: 'sandbox', createdBy: ADMIN, settings: { approval: { requireDistinctApprover: true } } });
    for (const [userId, level] of [['alice', 'deploy'], ['bob', 'deploy'], ['carol', 'admin']] as const) {
      await services.access.grant({ projectId: 'eyes', userId, level, grantedBy: ADMIN });
    }
  });
  afterAll(() => services?.dispose());

  /** A session of alice's whose resources carol added to, marked planned by `plannedBy` (a plan record, no terraform). */
  async function planned(plannedBy: string, summary = { toAdd: 1, toDestroy: 0 }): Promise<string> {
    const session = await editing.startSession('alice', 'eyes');
    await editing.addResource(session.id, 'carol', { type: 'sandbox.bucket', name: 'b' });
    const planId = `p${session.id}`;
    await services.db.manager.insert(PlanRecordEntity, {
      id: planId,
      sessionId: session.id,
      createdBy: plannedBy,
      summary: `Plan: ${summary.toAdd} to add, 0 to change, ${summary.toDestroy} to destroy.`,
      toAdd: summary.toAdd,
      toChange: 0,
      toDestroy: summary.toDestroy,
      changes: [],
      planJson: {},
      planFile: '/nowhere.tfplan',
      configHash: 'h',
      cost: null,
      sealedSecrets: null,
      createdAt: new Date(),
    });
    await services.store.transition({ sessionId: session.id, from: ['DRAFT'], via: ['VALIDATING', 'PLANNING'], to: 'PLAN_READY', actor: plannedBy, patch: { currentPlanId: planId } });
    return session.id;
  }

  it('under four eyes refuses the owner, the planner and whoever added a resource, naming the role; anyone else passes', async () => {
    const sessionId = await planned('alice');
    const owner = await rejection(approval.check(sessionId, 'alice'));
    expect(owner).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining(`alice owns session ${sessionId}`) });
    const adder = await rejection(approval.check(sessionId, 'carol'));
    expect(adder.message).toContain(`carol made the last change to session ${sessionId}`);
    await expect(approval.check(sessionId, 'bob')).resolves.toBeUndefined();
  });

  it('the one who planned a teardown may not approve it', async () => {
    const sessionId = await planned('bob', { toAdd: 0, toDestroy: 1 });
    expect((await rejection(approval.check(sessionId, 'bob'))).message).toContain(`bob planned the teardown of session ${sessionId}`);
  });

  it('a plan id that is not the current plan is PLAN_STALE with its typed reason, and every refusal is audited', async () => {
    const sessionId = await planned('alice');
    const stale = await rejection(approval.check(sessionId, 'bob', { planId: 'older' }));
    expect(stale).toMatchObject({ code: 'PLAN_STALE', details: { reason: 'plan-changed', seenPlanId: 'older', currentPlanId: `p${sessionId}` } });
    const refusals = await services.audit.list({ sessionId, action: 'action.refused' });
    expect(refusals.map((event) => [event.actor, event.details.code])).toEqual([['bob', 'PLAN_STALE']]);
  });

  it('a session without a ready plan cannot be approved', async () => {
    const session = await editing.startSession('alice', 'eyes');
    expect(await rejection(approval.check(session.id, 'bob'))).toMatchObject({ code: 'INVALID_STATE', details: { state: 'DRAFT' } });
  });
});
