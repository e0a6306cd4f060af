import { DataResource } from 'cdktf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { defineResourceType } from '../../src/kernel/plugin/resource-type.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { rejection } from '../support/rejection.js';


describe('session rules enforced by the kernel', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'rules', provider: 'sandbox', createdBy: ADMIN });
  });
  afterAll(() => t?.dispose());

  it.each([
    [{ type: 'sandbox.nope', name: 'a' }, 'type', 'sandbox.vm'],
    [{ type: 'aws.s3_bucket', name: 'a', config: { bucket: 'abc' } }, 'type', 'belongs to the aws provider'],
    [{ type: 'sandbox.vm', name: 'Web' }, 'name', 'lowercase'],
    [{ type: 'sandbox.vm', name: '1web' }, 'name', 'starting with a letter'],
    [{ type: 'sandbox.vm', name: 'x'.repeat(64) }, 'name', '1-63'],
    [{ type: 'sandbox.vm', name: 'web', config: { size: 'huge' } }, 'config.size', 'small, medium or large'],
    [{ type: 'sandbox.vm', name: 'web', config: { bootSeconds: 601 } }, 'config.bootSeconds', '0 to 600'],
    [{ type: 'sandbox.vm', name: 'web', config: { colour: 'red' } }, 'config', 'colour'],
    [{ type: 'sandbox.vm', name: 'web', config: { tags: { t: 'x'.repeat(70_000) } } }, 'config', 'bytes'],
  ])('refuses %j as INVALID_INPUT naming %s, and stores nothing', async (input, field, hint) => {
    const session = await t.kernel.orchestrator.startSession('alice', 'rules');
    const error = await rejection(t.kernel.orchestrator.addResource(session.id, 'alice', input));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe(field);
    expect(error.message).toContain(hint);
    const after = await t.kernel.orchestrator.getSession(session.id);
    expect(after.resources).toEqual([]);
    expect(after.state).toBe('DRAFT');
    expect(await t.kernel.audit.list({ sessionId: session.id, action: 'resource.added' })).toEqual([]);
  });

  it('refuses a second resource with the same name', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'rules');
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web' });
    const error = await rejection(t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'web' }));
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
    expect((await t.kernel.orchestrator.getSession(session.id)).resources).toHaveLength(1);
  });

  it('refuses to plan a session without resources, without marking it failed', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'rules');
    const error = await rejection(t.kernel.orchestrator.runPlan(session.id, 'alice'));
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain('add at least one');
    expect((await t.kernel.orchestrator.getSession(session.id)).state).toBe('DRAFT');
  });

  it('refuses every operation from a user without a grant, naming them; a global admin may act', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'rules');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
    for (const attempt of [
      () => orchestrator.addResource(session.id, 'mallory', { type: 'sandbox.bucket', name: 'c' }),
      () => orchestrator.removeResource(session.id, 'mallory', 'b'),
      () => orchestrator.runPlan(session.id, 'mallory'),
      () => orchestrator.approveAndApply(session.id, 'mallory'),
      () => orchestrator.cancelSession(session.id, 'mallory'),
    ]) {
      const error = await rejection(attempt());
      expect(error.code).toBe('PERMISSION_DENIED');
      expect(error.message).toContain('mallory');
    }
    await orchestrator.addResource(session.id, ADMIN, { type: 'sandbox.bucket', name: 'c' });
    expect((await orchestrator.getSession(session.id)).resources.map((resource) => resource.name)).toEqual(['b', 'c']);
  });

  it('validates project creation: admins only, id shape, provider, settings named by field', async () => {
    const { projects } = t.kernel;
    expect(await rejection(projects.create({ id: 'mine', provider: 'sandbox', createdBy: 'alice' }))).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect(await rejection(projects.create({ id: 'Bad_Id', provider: 'sandbox', createdBy: ADMIN }))).toMatchObject({ code: 'INVALID_INPUT', field: 'id' });
    expect(await rejection(projects.create({ id: 'x', provider: 'azure', createdBy: ADMIN }))).toMatchObject({ code: 'INVALID_INPUT', field: 'provider' });
    const region = await rejection(projects.create({ id: 'x', provider: 'aws', createdBy: ADMIN, settings: { region: 'mars-1' } }));
    expect(region).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.region' });
    const typo = await rejection(projects.create({ id: 'x', provider: 'aws', createdBy: ADMIN, settings: { region: 'us-east-1', regoin: 'x' } }));
    expect(typo).toMatchObject({ code: 'INVALID_INPUT', field: 'settings' });
    expect(typo.message).toContain('regoin');
    const backend = await rejection(
      projects.create({ id: 'x', provider: 'sandbox', createdBy: ADMIN, settings: { backend: { type: 'pg', connStr: 'postgres://u:secret@db/tf' } } }),
    );
    expect(backend).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.backend.connStr' });
    expect(backend.message).toContain('PGPASSWORD');
    expect(await rejection(projects.create({ id: 'rules', provider: 'sandbox', createdBy: ADMIN }))).toMatchObject({ code: 'INVALID_INPUT', field: 'id' });
    expect((await projects.list()).map((project) => project.id)).toEqual(['rules']);
  });

  it('refuses to start a session for an unknown project or with the wrong provider', async () => {
    expect(await rejection(t.kernel.orchestrator.startSession('alice', 'nope'))).toMatchObject({ code: 'NOT_FOUND', field: 'projectId' });
    expect(await rejection(t.kernel.orchestrator.startSession('alice', 'rules', 'aws'))).toMatchObject({ code: 'INVALID_INPUT', field: 'provider' });
    expect(await rejection(t.kernel.orchestrator.startSession('bad user id!', 'rules'))).toMatchObject({ code: 'INVALID_INPUT', field: 'userId' });
  });

  it('a change after a plan invalidates it: back to DRAFT, and approval is refused until re-planned', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'rules');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'one' });
    await orchestrator.runPlan(session.id, 'alice');
    const changed = await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'two' });
    expect(changed.state).toBe('DRAFT');
    expect(changed.plan).toBeNull();
    expect(changed.lastChangedBy).toBe('alice');
    expect(await rejection(orchestrator.approveAndApply(session.id, 'alice'))).toMatchObject({ code: 'INVALID_STATE' });
    const replanned = await orchestrator.runPlan(session.id, 'alice');
    expect(replanned.toAdd).toBe(2);
    expect((await orchestrator.approveAndApply(session.id, 'alice')).state).toBe('APPLIED');
  });

  it('cancels a draft; a cancelled session takes no more changes', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'rules');
    expect((await orchestrator.cancelSession(session.id, 'alice')).state).toBe('CANCELLED');
    expect(await rejection(orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'late' }))).toMatchObject({ code: 'INVALID_STATE' });
    expect(await rejection(orchestrator.cancelSession(session.id, 'alice'))).toMatchObject({ code: 'INVALID_STATE' });
  });
});

/** A resource type whose synthesis a "new version" of the plugin changes. */
const versionedPlugin = (version: number) =>
  definePlugin({
    id: 'test.versioned',
    register(ctx) {
      ctx.addResourceType(
        defineResourceType({
          type: 'sandbox.versioned',
          provider: 'sandbox',
          description: 'Synthesizes differently per plugin version.',
          quotaKey: 'test',
          schema: z.strictObject({}),
          synthesize(scope, { name }) {
            new DataResource(scope, name, { input: { version } });
          },
        }),
      );
    },
  });

describe('applying a plan whose configuration changed underneath it', () => {
  it('refuses with PLAN_STALE after a plugin upgrade changed the synthesized configuration', async () => {
    const before = await startTestKernel({ extraPlugins: [versionedPlugin(1)] });
    await createProject(before.kernel, { id: 'stale', provider: 'sandbox', createdBy: ADMIN });
    const session = await before.kernel.orchestrator.startSession('alice', 'stale');
    await before.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.versioned', name: 'v' });
    await before.kernel.orchestrator.runPlan(session.id, 'alice');
    await before.kernel.close();

    const after = await startTestKernel({ dataDir: before.dataDir, extraPlugins: [versionedPlugin(2)] });
    try {
      const error = await rejection(after.kernel.orchestrator.approveAndApply(session.id, 'alice'));
      expect(error.code).toBe('PLAN_STALE');
      expect(error.message).toContain('Run the plan again');
      expect((await after.kernel.orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
      expect(await after.kernel.audit.list({ sessionId: session.id, action: 'session.approved' })).toEqual([]);
    } finally {
      await after.dispose();
      await before.dispose();
    }
  });
});

describe('policy validators', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel({
      timeouts: { plugin: '1s' },
      extraPlugins: [
        definePlugin({
          id: 'test.policies',
          register(ctx) {
            ctx.addPolicyValidator({
              id: 'no-large',
              description: 'Large VMs need a ticket.',
              validateSession: ({ session }) =>
                session.resources
                  .filter((resource) => resource.config.size === 'large')
                  .map((resource) => ({ code: 'NO_LARGE', message: 'large VMs need a ticket', address: resource.name })),
            });
            ctx.addPolicyValidator({
              id: 'max-two-creates',
              description: 'At most two creations per plan.',
              validatePlan: ({ plan }) =>
                (plan.resource_changes ?? []).filter((change) => change.change.actions.includes('create')).length > 2
                  ? [{ code: 'TOO_MANY', message: 'at most two resources per plan' }]
                  : [],
            });
          },
        }),
        definePlugin({
          id: 'test.hanging-policy',
          register(ctx) {
            ctx.addPolicyValidator({
              id: 'never-answers',
              description: 'Hangs on a bucket named stuck.',
              validateSession: ({ session }) =>
                session.resources.some((resource) => resource.name === 'stuck') ? new Promise<never>(() => {}) : [],
            });
          },
        }),
        definePlugin({
          id: 'test.broken-policy',
          register(ctx) {
            ctx.addPolicyValidator({
              id: 'explodes',
              description: 'Throws on a VM named boom.',
              validateSession: ({ session }) => {
                if (session.resources.some((resource) => resource.name === 'boom')) throw new Error('kaboom');
                return [];
              },
            });
          },
        }),
      ],
    });
    await createProject(t.kernel, { id: 'pol', provider: 'sandbox', createdBy: ADMIN });
  });
  afterAll(() => t?.dispose());

  it('collects every violation before planning and keeps the session out of PLAN_READY', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'pol');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'a', config: { size: 'large' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'b', config: { size: 'large' } });
    const check = await orchestrator.validateSession(session.id, 'alice');
    expect(check.ok).toBe(false);
    expect(check.violations.map((violation) => violation.address)).toEqual(['a', 'b']);
    const error = await rejection(orchestrator.runPlan(session.id, 'alice'));
    expect(error.code).toBe('POLICY_VIOLATION');
    expect(error.message).toContain('a: large VMs need a ticket');
    expect(error.message).toContain('b: large VMs need a ticket');
    const after = await orchestrator.getSession(session.id);
    expect(after.state).toBe('PLAN_FAILED');
    expect(after.error).toContain('NO_LARGE');
  });

  it('checks the plan JSON after planning', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'pol');
    for (const name of ['x', 'y', 'z']) await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name });
    const error = await rejection(orchestrator.runPlan(session.id, 'alice'));
    expect(error.code).toBe('POLICY_VIOLATION');
    expect(error.message).toContain('at most two resources per plan');
    expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_FAILED');
  });

  it('a validator that never answers is cut off by the plugin timeout, naming the plugin', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'pol');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'stuck' });
    const error = await rejection(orchestrator.runPlan(session.id, 'alice'));
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('test.hanging-policy');
    expect(error.message).toContain('did not answer within 1s');
    expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_FAILED');
  });

  it('a throwing validator fails that session naming the plugin; other sessions keep working', async () => {
    const { orchestrator } = t.kernel;
    const bad = await orchestrator.startSession('alice', 'pol');
    await orchestrator.addResource(bad.id, 'alice', { type: 'sandbox.bucket', name: 'boom' });
    const error = await rejection(orchestrator.runPlan(bad.id, 'alice'));
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('test.broken-policy');
    expect(error.message).toContain('kaboom');
    expect((await orchestrator.getSession(bad.id)).state).toBe('PLAN_FAILED');

    const good = await orchestrator.startSession('alice', 'pol');
    await orchestrator.addResource(good.id, 'alice', { type: 'sandbox.bucket', name: 'fine' });
    expect((await orchestrator.runPlan(good.id, 'alice')).toAdd).toBe(1);
  });
});

describe('a resource type whose synthesis throws', () => {
  it('fails the plan with PLUGIN_FAILED naming the plugin and the resource; other sessions keep working', async () => {
    const t = await startTestKernel({
      extraPlugins: [
        definePlugin({
          id: 'test.broken-type',
          register(ctx) {
            ctx.addResourceType(
              defineResourceType({
                type: 'sandbox.broken',
                provider: 'sandbox',
                description: 'Always throws while synthesizing.',
                quotaKey: 'test',
                schema: z.strictObject({}),
                synthesize() {
                  throw new TypeError('cannot read properties of undefined');
                },
              }),
            );
          },
        }),
      ],
    });
    try {
      await createProject(t.kernel, { id: 'broken', provider: 'sandbox' });
      const { orchestrator } = t.kernel;
      const bad = await orchestrator.startSession('alice', 'broken');
      await orchestrator.addResource(bad.id, 'alice', { type: 'sandbox.broken', name: 'x' });
      const error = await rejection(orchestrator.runPlan(bad.id, 'alice'));
      expect(error.code).toBe('PLUGIN_FAILED');
      expect(error.message).toContain('plugin "test.broken-type"');
      expect(error.message).toContain('"x"');
      expect((await orchestrator.getSession(bad.id)).state).toBe('PLAN_FAILED');
      const good = await orchestrator.startSession('alice', 'broken');
      await orchestrator.addResource(good.id, 'alice', { type: 'sandbox.bucket', name: 'fine' });
      expect((await orchestrator.runPlan(good.id, 'alice')).toAdd).toBe(1);
    } finally {
      await t.dispose();
    }
  });
});
