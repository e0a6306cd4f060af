import { DataResource, Fn } from 'cdktf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { defineResourceType } from '../../src/kernel/plugin/resource-type.js';
import { rejection } from '../support/rejection.js';
import { secretPlugin } from '../support/secret-plugin.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

describe('an approval applies the plan the approver saw, or nothing', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'bound', provider: 'sandbox' });
  });
  afterAll(() => t?.dispose());

  it('refuses with PLAN_STALE when the owner re-planned between the view and the click, naming the new plan', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'bound');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'small' });
    const seen = await orchestrator.runPlan(session.id, 'alice');
    // bob reviews this plan; meanwhile alice swaps the resource and plans again.
    expect((await orchestrator.getSession(session.id, 'bob')).plan?.id).toBe(seen.id);
    await orchestrator.removeResource(session.id, 'alice', 'small');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'big', config: { size: 'large' } });
    const replanned = await orchestrator.runPlan(session.id, 'alice');

    await expect(orchestrator.checkApproval(session.id, 'bob', { planId: seen.id })).rejects.toMatchObject({ code: 'PLAN_STALE' });
    const error = await rejection(orchestrator.approveAndApply(session.id, 'bob', { planId: seen.id }));
    expect(error.code).toBe('PLAN_STALE');
    expect(error.message).toContain(`The plan you approved (${seen.id})`);
    expect(error.message).toContain(`its plan is now ${replanned.id} (Plan: 1 to add, 0 to change, 0 to destroy.), made by alice`);
    expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
    expect(await t.kernel.audit.list({ sessionId: session.id, action: 'session.approved' })).toEqual([]);
    // Both refusals (the check a chat adapter makes first, and the approval) are audited with the reason.
    const refusals = await t.kernel.audit.list({ sessionId: session.id, action: 'action.refused' });
    expect(refusals).toHaveLength(2);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ actor: 'bob', details: { action: 'session.approve', code: 'PLAN_STALE', reason: expect.stringContaining(seen.id) } });
    }

    // The plan now shown is approved by its id, and applied.
    const final = await orchestrator.approveAndApply(session.id, 'bob', { planId: replanned.id });
    expect(final).toMatchObject({ state: 'APPLIED', approvedBy: 'bob' });
    expect(final.resources.map((resource) => resource.name)).toEqual(['big']);
  });

  it('refuses a plan id when the session has no ready plan any more (changed back to DRAFT)', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'bound');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'one' });
    const seen = await orchestrator.runPlan(session.id, 'alice');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'two' });
    const error = await rejection(orchestrator.approveAndApply(session.id, 'bob', { planId: seen.id }));
    expect(error.code).toBe('PLAN_STALE');
    expect(error.message).toContain('it has no ready plan now (DRAFT, last changed by alice)');
  });
});

/** Holds bob's approval at its policy check until the test lets it go; everyone else passes at once. */
function stallingPolicy() {
  let arrived!: () => void;
  let release!: () => void;
  const stalled = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const plugin = definePlugin({
    id: 'test.stalling-policy',
    register(ctx) {
      ctx.addPolicyValidator({
        id: 'stall-for-bob',
        description: 'Takes its time when bob is the one asking.',
        async validateSession({ userId }) {
          if (userId !== 'bob') return [];
          arrived();
          await released;
          return [];
        },
      });
    },
  });
  return { plugin, stalled, release };
}

describe('a plan swapped while an approval is on its way (ABA)', () => {
  let approver: TestKernel;
  let owner: TestKernel;
  const stall = stallingPolicy();
  beforeAll(async () => {
    owner = await startTestKernel();
    // The approver's process: same database, its own locks; its policy check is where it stalls.
    approver = await startTestKernel({ dataDir: owner.dataDir, extraPlugins: [stall.plugin] });
    await createProject(owner.kernel, { id: 'aba', provider: 'sandbox', createdBy: ADMIN });
  });
  afterAll(async () => {
    await approver?.dispose();
    await owner?.dispose();
  });

  it('does not apply the old plan file when the session went back to DRAFT and was re-planned meanwhile', async () => {
    const session = await owner.kernel.orchestrator.startSession('alice', 'aba');
    await owner.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'first' });
    const first = await owner.kernel.orchestrator.runPlan(session.id, 'alice');

    // bob approves the current plan (no plan id: the API's default) and stalls after reading it.
    const approval = rejection(approver.kernel.orchestrator.approveAndApply(session.id, 'bob'));
    await stall.stalled;
    // A: PLAN_READY(first) → B: DRAFT → A: PLAN_READY(second), all while bob's approval is in flight.
    await owner.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'second' });
    const second = await owner.kernel.orchestrator.runPlan(session.id, 'alice');
    expect(second.id).not.toBe(first.id);
    stall.release();

    const error = await approval;
    expect(error.code).toBe('PLAN_STALE');
    expect(error.message).toContain(`The plan you approved (${first.id})`);
    const now = await owner.kernel.orchestrator.getSession(session.id);
    expect(now).toMatchObject({ state: 'PLAN_READY', approvedBy: null });
    expect(now.plan?.id).toBe(second.id);
    expect(await owner.kernel.orchestrator.getOutput(session.id).then((lines) => lines.filter((line) => line.operation === 'apply'))).toEqual([]);
  });
});

const LEAKY_PASSWORD = 'approve-elsewhere-secret-77';

/** A database whose boot script prints its password: only the plan's sensitive marks say it is one. */
const chattyDatabasePlugin = definePlugin({
  id: 'test.chatty-database',
  register(ctx) {
    ctx.addResourceType(
      defineResourceType({
        type: 'sandbox.chatty_database',
        provider: 'sandbox',
        description: 'A pretend database whose provisioner echoes its password.',
        quotaKey: 'database',
        schema: z.strictObject({ password: z.string().min(8) }),
        synthesize(scope, { name, config }) {
          new DataResource(scope, name, {
            input: { password: Fn.sensitive(config.password) },
            provisioners: [{ type: 'local-exec', command: 'echo "connecting with $PW"', environment: { PW: config.password } }],
          });
        },
      }),
    );
  },
});

describe('the values a plan marks sensitive stay hidden when another process applies it', () => {
  let planner: TestKernel;
  let applier: TestKernel | undefined;
  beforeAll(async () => {
    planner = await startTestKernel({ extraPlugins: [chattyDatabasePlugin, secretPlugin] });
    await createProject(planner.kernel, { id: 'sealed', provider: 'sandbox' });
  });
  afterAll(async () => {
    await applier?.dispose();
    await planner?.dispose();
  });

  it('redacts the apply output in a second kernel that never saw the plan being made', async () => {
    const session = await planner.kernel.orchestrator.startSession('alice', 'sealed');
    await planner.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.chatty_database', name: 'db', config: { password: LEAKY_PASSWORD } });
    const plan = await planner.kernel.orchestrator.runPlan(session.id, 'alice');
    expect(JSON.stringify(plan.planJson)).not.toContain(LEAKY_PASSWORD);

    // `cloud-engine plan` then `approve` elsewhere: a new kernel, with nothing in memory from the plan.
    applier = await startTestKernel({ dataDir: planner.dataDir, extraPlugins: [chattyDatabasePlugin, secretPlugin] });
    const streamed: string[] = [];
    const final = await applier.kernel.orchestrator.approveAndApply(session.id, 'bob', { onOutput: (line) => streamed.push(line) });
    expect(final.state).toBe('APPLIED');
    expect(streamed.some((line) => line.includes('connecting with'))).toBe(true);
    expect(streamed.join('\n')).not.toContain(LEAKY_PASSWORD);
    const stored = await applier.kernel.orchestrator.getOutput(session.id);
    expect(stored.map((line) => line.line).join('\n')).not.toContain(LEAKY_PASSWORD);
  });
});
