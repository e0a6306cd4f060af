import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_ACTOR, asSystem, systemCall } from '../../../../src/kernel/lifecycle/system-actor.js';
import { PlanRecordEntity } from '../../../../src/kernel/persistence/entities/plan-record.entity.js';
import { Approval } from '../../../../src/kernel/sessions/approval.js';
import { Editing } from '../../../../src/kernel/sessions/editing.js';
import { requireUser } from '../../../../src/kernel/sessions/session-services.js';
import { rejection } from '../../../support/rejection.js';
import { startSessionServices } from '../../../support/session-services.js';
import { ADMIN } from '../../../support/test-kernel.js';

describe('the system actor', () => {
  it('is cloud-engine only inside the lifecycle scope; outside it the name is refused as a user id', async () => {
    expect(systemCall(SYSTEM_ACTOR)).toBeUndefined();
    expect(() => requireUser(SYSTEM_ACTOR)).toThrow(/reserved|user id/);
    await asSystem('ttl', async () => {
      expect(systemCall(SYSTEM_ACTOR)).toBe('ttl');
      expect(systemCall('alice')).toBeUndefined();
      expect(() => requireUser(SYSTEM_ACTOR)).not.toThrow();
    });
  });
});

describe('four eyes and the system teardown', () => {
  let services: Awaited<ReturnType<typeof startSessionServices>>;
  let approval: Approval;
  let editing: Editing;
  beforeAll(async () => {
    services = await startSessionServices();
    approval = new Approval(services);
    editing = new Editing(services);
    await services.projects.create({ id: 'eyes', provider: 'sandbox', createdBy: ADMIN, settings: { approval: { requireDistinctApprover: true, approvers: 'admin' } } });
    await services.access.grant({ projectId: 'eyes', userId: 'alice', level: 'admin', grantedBy: ADMIN });
  });
  afterAll(() => services?.dispose());

  /** A session alice started, planned by `plannedBy` (a plan record, no terraform). */
  async function planned(plannedBy: string, toAdd: number): Promise<string> {
    const session = await editing.startSession('alice', 'eyes');
    const planId = `p${session.id}`;
    await services.db.manager.insert(PlanRecordEntity, {
      id: planId, sessionId: session.id, createdBy: plannedBy, summary: '', toAdd, toChange: 0, toDestroy: 1, changes: [], planJson: {},
      planFile: '/nowhere.tfplan', configHash: 'h', cost: null, sealedSecrets: null, createdAt: new Date(),
    });
    await services.store.transition({ sessionId: session.id, from: ['DRAFT'], via: ['VALIDATING', 'PLANNING'], to: 'PLAN_READY', actor: plannedBy, patch: { currentPlanId: planId } });
    return session.id;
  }

  it('does not hold up the system approving its own teardown, but does a plan that adds, and never a user in the same scope', async () => {
    const teardown = await planned(SYSTEM_ACTOR, 0);
    await expect(asSystem('ttl', () => approval.check(teardown, SYSTEM_ACTOR))).resolves.toBeUndefined();
    // Outside the scope the system name is refused like any reserved name.
    expect(await rejection(approval.check(teardown, SYSTEM_ACTOR))).toMatchObject({ code: 'INVALID_INPUT', field: 'userId' });
    const adds = await planned(SYSTEM_ACTOR, 1);
    expect(await rejection(asSystem('ttl', () => approval.check(adds, SYSTEM_ACTOR)))).toMatchObject({ code: 'PERMISSION_DENIED', details: { rule: 'requireDistinctApprover' } });
    // A user stays bound by four eyes, inside the system's scope too.
    const own = await planned('alice', 0);
    expect(await rejection(asSystem('ttl', () => approval.check(own, 'alice')))).toMatchObject({ code: 'PERMISSION_DENIED', details: { rule: 'requireDistinctApprover' } });
  });
});
