import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger as TypeOrmLogger } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KernelOptions } from '../../src/kernel/config/engine-config.js';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { REDACTED } from '../../src/kernel/secrets/redactor.js';
import type { PlanResult } from '../../src/kernel/sessions/session-view.js';
import { rejection } from '../support/rejection.js';
import { secretPlugin } from '../support/secret-plugin.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

const PASSWORD = 'correct-horse-battery-staple-42';

/** Every SQL statement the kernel's DataSource runs, through TypeORM's logger hook. */
class QueryLog implements TypeOrmLogger {
  queries: string[] = [];
  logQuery(query: string): void {
    this.queries.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  /** The statements `work` runs. */
  async during<T>(work: () => Promise<T>): Promise<{ result: T; queries: string[] }> {
    this.queries = [];
    const result = await work();
    const queries = this.queries;
    this.queries = [];
    return { result, queries };
  }
}

const selects = (queries: readonly string[], table: string) => queries.filter((query) => new RegExp(`^SELECT\\b[\\s\\S]*\\bFROM "${table}"`).test(query));
const readsPlanJson = (query: string) => /plan_json/.test(query) && /^SELECT/.test(query);
/** Reads of one session by id (quota checks read sessions too, by project and state). */
const sessionReads = (queries: readonly string[]) => selects(queries, 'sessions').filter((query) => /WHERE \(\("CloudSessionEntity"\."id" = \?\)\)/.test(query));

/** A kernel on a fresh data dir whose SQLite DataSource logs every statement to `log`. */
async function loggedKernel(log: QueryLog, options: KernelOptions = {}): Promise<TestKernel & { cleanup(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-views-'));
  const t = await startTestKernel({
    ...options,
    dataDir,
    database: { type: 'sqlite', database: join(dataDir, 'cloud-engine.sqlite'), enableWAL: true, busyTimeout: 15_000, logging: false, logger: log },
  });
  return {
    ...t,
    async cleanup() {
      await t.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('listing and reading sessions', () => {
  const log = new QueryLog();
  let t: Awaited<ReturnType<typeof loggedKernel>>;
  const ids: string[] = [];
  const plans = new Map<string, PlanResult>();
  const resourcesOf = new Map<string, string[]>();

  beforeAll(async () => {
    t = await loggedKernel(log, { extraPlugins: [secretPlugin] });
    const { orchestrator } = t.kernel;
    await createProject(t.kernel, { id: 'views', provider: 'sandbox' });
    // Six sessions of different sizes: four planned, two drafts; the first holds a sensitive password.
    for (let i = 0; i < 6; i++) {
      const session = await orchestrator.startSession('alice', 'views');
      const names = [`b${i}`, ...(i % 2 === 0 ? [`v${i}`] : [])];
      for (const name of names) {
        await orchestrator.addResource(session.id, 'alice', name.startsWith('b') ? { type: 'sandbox.bucket', name } : { type: 'sandbox.vm', name, config: { bootSeconds: 0 } });
      }
      if (i === 0) {
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.database', name: 'db', config: { password: PASSWORD } });
        names.push('db');
      }
      if (i < 4) plans.set(session.id, await orchestrator.runPlan(session.id, 'alice'));
      ids.push(session.id);
      resourcesOf.set(session.id, names);
    }
  });
  afterAll(() => t?.cleanup());

  it('lists N sessions with the same few queries whatever N, never reading plan_json', async () => {
    const { orchestrator } = t.kernel;
    for (const viewer of [undefined, 'alice', ADMIN]) {
      // Newest first: the three newest are two drafts and one planned session.
      const three = await log.during(() => orchestrator.listSessions({ projectId: 'views', limit: 3 }, viewer));
      const six = await log.during(() => orchestrator.listSessions({ projectId: 'views', limit: 6 }, viewer));
      const all = await log.during(() => orchestrator.listSessions({}, viewer));
      expect(three.result).toHaveLength(3);
      expect(six.result).toHaveLength(6);
      expect(all.result).toHaveLength(6);
      expect(six.queries.length).toBe(three.queries.length);
      // The sessions, all their resources in one query, all their plans in one query.
      for (const { queries } of [three, six, all]) {
        expect(selects(queries, 'sessions')).toHaveLength(1);
        expect(selects(queries, 'resources')).toHaveLength(1);
        expect(selects(queries, 'plans')).toHaveLength(1);
        expect(queries.filter(readsPlanJson)).toEqual([]);
      }
    }
  });

  it('gives each listed session its own resources, in order, and its plan summary without the plan JSON', async () => {
    const views = await t.kernel.orchestrator.listSessions({ projectId: 'views' }, 'alice');
    expect(views.map((view) => view.id).sort()).toEqual([...ids].sort());
    for (const view of views) {
      expect(view.resources.map((resource) => resource.name)).toEqual(resourcesOf.get(view.id));
      const plan = plans.get(view.id);
      if (!plan) {
        expect(view.plan).toBeNull();
        continue;
      }
      expect(view.state).toBe('PLAN_READY');
      expect(view.plan).not.toBeNull();
      expect(view.plan).not.toHaveProperty('planJson');
      const { planJson: _planJson, ...summary } = plan;
      expect(view.plan).toEqual(summary);
    }
  });

  it('getSession shows the plan summary and does not read plan_json', async () => {
    const { result: view, queries } = await log.during(() => t.kernel.orchestrator.getSession(ids[0]!, 'bob'));
    expect(view.plan?.id).toBe(plans.get(ids[0]!)!.id);
    expect(view.plan).not.toHaveProperty('planJson');
    expect(queries.filter(readsPlanJson)).toEqual([]);
  });

  it('getPlanJson returns the stored plan JSON of the current plan, redacted as runPlan returned it', async () => {
    const { orchestrator } = t.kernel;
    const { result: json, queries } = await log.during(() => orchestrator.getPlanJson(ids[0]!, 'alice'));
    // What runPlan returned, as JSON stores it.
    expect(json).toEqual(JSON.parse(JSON.stringify(plans.get(ids[0]!)!.planJson)));
    expect(json?.resource_changes?.map((change) => change.address).sort()).toEqual(['terraform_data.b0', 'terraform_data.db', 'terraform_data.v0']);
    const text = JSON.stringify(json);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain(REDACTED);
    expect(queries.filter(readsPlanJson)).toHaveLength(1);
    // Without a viewer it is the same; a session without a plan has none.
    expect(await orchestrator.getPlanJson(ids[0]!)).toEqual(json);
    expect(await orchestrator.getPlanJson(ids[4]!, 'alice')).toBeNull();
  });

  it('getPlanJson refuses exactly as getSession does', async () => {
    const { orchestrator } = t.kernel;
    const cases: [string, string][] = [
      [ids[0]!, 'carol'], // no grant on the project
      ['nosuchsession', 'alice'],
      ['nosuchsession', 'carol'],
      [ids[0]!, 'Not A User!'],
    ];
    for (const [sessionId, viewer] of cases) {
      const session = await rejection(orchestrator.getSession(sessionId, viewer));
      const planJson = await rejection(orchestrator.getPlanJson(sessionId, viewer));
      expect(planJson).toMatchObject({ code: session.code, message: session.message, field: session.field });
    }
    expect((await rejection(orchestrator.getPlanJson(ids[0]!, 'carol'))).code).toBe('PERMISSION_DENIED');
    // Read access is enough; a global admin may read any project.
    expect(await orchestrator.getPlanJson(ids[0]!, 'bob')).not.toBeNull();
    expect(await orchestrator.getPlanJson(ids[0]!, ADMIN)).not.toBeNull();
  });

  it('a change drops the plan from the view and from getPlanJson; a re-plan brings the new one', async () => {
    const { orchestrator } = t.kernel;
    const sessionId = ids[1]!;
    const changed = await orchestrator.addResource(sessionId, 'alice', { type: 'sandbox.bucket', name: 'extra' });
    expect(changed).toMatchObject({ state: 'DRAFT', plan: null });
    expect(await orchestrator.getPlanJson(sessionId, 'alice')).toBeNull();
    const plan = await orchestrator.runPlan(sessionId, 'alice');
    expect(plan.planJson.resource_changes?.map((change) => change.address).sort()).toEqual(['terraform_data.b1', 'terraform_data.extra']);
    expect((await orchestrator.getSession(sessionId)).plan?.id).toBe(plan.id);
    expect(await orchestrator.getPlanJson(sessionId, 'alice')).toEqual(JSON.parse(JSON.stringify(plan.planJson)));
  });
});

describe('a plan: database work before terraform, and its audit trail', () => {
  const log = new QueryLog();
  let t: Awaited<ReturnType<typeof loggedKernel>>;
  let openGate: () => void = () => {};
  let gateReached: () => void = () => {};

  beforeAll(async () => {
    t = await loggedKernel(log, {
      extraPlugins: [
        definePlugin({
          id: 'test.view-policies',
          register(ctx) {
            ctx.addPolicyValidator({
              id: 'no-forbidden',
              description: 'A resource named "forbidden" is refused; one named "gate" waits for the test.',
              validateSession: async ({ session }) => {
                if (session.resources.some((resource) => resource.name === 'gate')) {
                  const opened = new Promise<void>((resolve) => (openGate = resolve));
                  gateReached();
                  await opened;
                }
                return session.resources.filter((resource) => resource.name === 'forbidden').map(() => ({ code: 'FORBIDDEN', message: 'not this one', address: 'forbidden' }));
              },
            });
          },
        }),
      ],
    });
    await createProject(t.kernel, { id: 'trail', provider: 'sandbox' });
  });
  afterAll(() => t?.cleanup());

  async function session(...names: string[]): Promise<string> {
    const { orchestrator } = t.kernel;
    const created = await orchestrator.startSession('alice', 'trail');
    for (const name of names) await orchestrator.addResource(created.id, 'alice', { type: 'sandbox.bucket', name });
    return created.id;
  }

  function watch(sessionId: string): string[] {
    const changes: string[] = [];
    t.kernel.events.on('session.stateChanged', (event) => {
      if (event.sessionId === sessionId) changes.push(`${event.from}->${event.to}${event.error ? ' (error)' : ''}`);
    });
    return changes;
  }

  it('reads the session once and writes its two transitions in one transaction before terraform starts', async () => {
    const sessionId = await session('b');
    let beforeTerraform: string[] | undefined;
    log.queries = [];
    await t.kernel.orchestrator.runPlan(sessionId, 'alice', {
      onOutput: () => {
        beforeTerraform ??= [...log.queries];
      },
    });
    const queries = beforeTerraform!;
    expect(sessionReads(queries)).toHaveLength(1);
    expect(selects(queries, 'resources')).toHaveLength(1);
    expect(selects(queries, 'projects')).toHaveLength(1);
    expect(queries.filter((query) => /^BEGIN/.test(query))).toHaveLength(1);
    expect(queries.filter((query) => /^UPDATE "sessions"/.test(query))).toHaveLength(1);
    expect(queries.filter((query) => /^INSERT INTO "audit_events"/.test(query))).toHaveLength(2);
    expect(queries.filter(readsPlanJson)).toEqual([]);
  });

  it('still audits and announces every state change, in order, with from and to', async () => {
    const { orchestrator, audit } = t.kernel;
    const sessionId = await session('web');
    const changes = watch(sessionId);
    const first = await orchestrator.runPlan(sessionId, 'alice');
    const second = await orchestrator.runPlan(sessionId, 'alice');
    const trail = (await audit.list({ sessionId })).map((event) => ({ action: event.action, actor: event.actor, from: event.details.from, to: event.details.to }));
    expect(trail).toEqual([
      { action: 'session.started', actor: 'alice', from: undefined, to: undefined },
      { action: 'resource.added', actor: 'alice', from: undefined, to: undefined },
      { action: 'session.validating', actor: 'alice', from: 'DRAFT', to: 'VALIDATING' },
      { action: 'session.planning', actor: 'alice', from: 'VALIDATING', to: 'PLANNING' },
      { action: 'session.plan_ready', actor: 'alice', from: 'PLANNING', to: 'PLAN_READY' },
      { action: 'session.validating', actor: 'alice', from: 'PLAN_READY', to: 'VALIDATING' },
      { action: 'session.planning', actor: 'alice', from: 'VALIDATING', to: 'PLANNING' },
      { action: 'session.plan_ready', actor: 'alice', from: 'PLANNING', to: 'PLAN_READY' },
    ]);
    const ready = await audit.list({ sessionId, action: 'session.plan_ready' });
    expect(ready.map((event) => event.details.planId)).toEqual([first.id, second.id]);
    expect(changes).toEqual(['DRAFT->VALIDATING', 'VALIDATING->PLANNING', 'PLANNING->PLAN_READY', 'PLAN_READY->VALIDATING', 'VALIDATING->PLANNING', 'PLANNING->PLAN_READY']);
    const view = await orchestrator.getSession(sessionId);
    expect(view).toMatchObject({ state: 'PLAN_READY', error: null, plan: { id: second.id } });
  });

  it('a plan refused before terraform: validating, then plan_failed with the reason', async () => {
    const { orchestrator, audit } = t.kernel;
    const sessionId = await session('forbidden');
    const changes = watch(sessionId);
    const error = await rejection(orchestrator.runPlan(sessionId, 'alice'));
    expect(error.code).toBe('POLICY_VIOLATION');
    const trail = await audit.list({ sessionId });
    expect(trail.map((event) => event.action)).toEqual(['session.started', 'resource.added', 'session.validating', 'session.plan_failed']);
    expect(trail[2]!.details).toEqual({ from: 'DRAFT', to: 'VALIDATING' });
    expect(trail[3]!.details).toMatchObject({ from: 'VALIDATING', to: 'PLAN_FAILED', error: error.message, code: 'POLICY_VIOLATION', violations: [{ code: 'FORBIDDEN' }] });
    expect(changes).toEqual(['DRAFT->VALIDATING', 'VALIDATING->PLAN_FAILED (error)']);
    expect(await orchestrator.getSession(sessionId)).toMatchObject({ state: 'PLAN_FAILED', error: error.message, plan: null });
    // Fixed, it plans: from PLAN_FAILED through VALIDATING and PLANNING.
    await orchestrator.removeResource(sessionId, 'alice', 'forbidden');
    await orchestrator.addResource(sessionId, 'alice', { type: 'sandbox.bucket', name: 'fine' });
    await orchestrator.runPlan(sessionId, 'alice');
    expect((await audit.list({ sessionId })).slice(-3).map((event) => `${event.details.from}->${event.details.to}`)).toEqual([
      'DRAFT->VALIDATING',
      'VALIDATING->PLANNING',
      'PLANNING->PLAN_READY',
    ]);
  });

  it('a plan cancelled while it validates ends CANCELLED, audited through VALIDATING, without running terraform', async () => {
    const { orchestrator, audit } = t.kernel;
    const sessionId = await session('gate');
    const changes = watch(sessionId);
    const reached = new Promise<void>((resolve) => (gateReached = resolve));
    // cancelSession records the request, aborts the plan, then waits for it to end: the validator answers once the plan is aborted.
    let aborted = () => {};
    const abortedPlan = new Promise<void>((resolve) => (aborted = resolve));
    const abort = AbortController.prototype.abort;
    const spy = vi.spyOn(AbortController.prototype, 'abort').mockImplementation(function (this: AbortController, reason?: unknown) {
      abort.call(this, reason);
      aborted();
    });
    const planning = rejection(orchestrator.runPlan(sessionId, 'alice'));
    let cancelling: Promise<unknown>;
    try {
      await reached;
      cancelling = orchestrator.cancelSession(sessionId, 'alice');
      await abortedPlan;
    } finally {
      spy.mockRestore();
      openGate();
    }
    expect(await cancelling).toMatchObject({ state: 'CANCELLED' });
    expect(await planning).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('was stopped: cancelled by alice') });
    const trail = await audit.list({ sessionId });
    expect(trail.map((event) => event.action)).toEqual(['session.started', 'resource.added', 'session.cancel_requested', 'session.validating', 'session.cancelled']);
    expect(trail[4]!.details).toMatchObject({ from: 'VALIDATING', to: 'CANCELLED', during: 'plan' });
    expect(changes).toEqual(['DRAFT->VALIDATING', 'VALIDATING->CANCELLED']);
    expect(await orchestrator.getOutput(sessionId)).toEqual([]);
  });
});

describe('a plan racing another process', () => {
  let first: TestKernel;
  let second: TestKernel;
  let validations = 0;
  /** Set by a test: runs inside the first validation of a session with a resource named "meddle". */
  let meddle: ((sessionId: string) => Promise<void>) | undefined;
  /** Both kernels' validators wait here until both have arrived. */
  let barrier: { arrived: number; open: () => void; opened: Promise<void> } | undefined;

  const policies = definePlugin({
    id: 'test.race-policies',
    register(ctx) {
      ctx.addPolicyValidator({
        id: 'race',
        description: 'Lets a test act while a session validates.',
        validateSession: async ({ session }) => {
          validations++;
          if (session.resources.some((resource) => resource.name === 'meddle') && meddle) {
            const act = meddle;
            meddle = undefined;
            await act(session.id);
          }
          if (barrier && session.resources.some((resource) => resource.name === 'race')) {
            if (++barrier.arrived === 2) barrier.open();
            await barrier.opened;
          }
          return [];
        },
      });
    },
  });

  beforeAll(async () => {
    first = await startTestKernel({ extraPlugins: [policies] });
    // A second process on the same data dir: only the database arbitrates between them.
    second = await startTestKernel({ dataDir: first.dataDir, extraPlugins: [policies] });
    // bob administers the project: changing alice's session takes admin.
    await createProject(first.kernel, { id: 'race', provider: 'sandbox' }, { alice: 'deploy', bob: 'admin' });
  });
  afterAll(async () => {
    await second?.dispose();
    await first?.dispose();
  });

  it('a session another process changes while it validates is read again: the plan includes the change', async () => {
    const { orchestrator, audit } = first.kernel;
    const session = await orchestrator.startSession('alice', 'race');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'meddle' });
    meddle = async (sessionId) => {
      // Still DRAFT in the database while it validates, so the other process may change it.
      await second.kernel.orchestrator.addResource(sessionId, 'bob', { type: 'sandbox.bucket', name: 'late' });
    };
    validations = 0;
    const plan = await orchestrator.runPlan(session.id, 'alice');
    expect(validations).toBe(2);
    expect(plan.changes.map((change) => change.address).sort()).toEqual(['terraform_data.late', 'terraform_data.meddle']);
    expect((await audit.list({ sessionId: session.id })).map((event) => event.action)).toEqual([
      'session.started',
      'resource.added',
      'resource.added',
      'session.validating',
      'session.planning',
      'session.plan_ready',
    ]);
    expect(await orchestrator.getSession(session.id)).toMatchObject({ state: 'PLAN_READY', lastChangedBy: 'bob', plan: { id: plan.id } });
  });

  it('two processes planning one session at once: exactly one plans, the other gets INVALID_STATE', async () => {
    const { orchestrator, audit } = first.kernel;
    const session = await orchestrator.startSession('alice', 'race');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'race' });
    let open = () => {};
    const opened = new Promise<void>((resolve) => (open = resolve));
    barrier = { arrived: 0, open, opened };
    try {
      const results = await Promise.allSettled([orchestrator.runPlan(session.id, 'alice'), second.kernel.orchestrator.runPlan(session.id, 'alice')]);
      const won = results.filter((result) => result.status === 'fulfilled');
      const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ code: 'INVALID_STATE', message: expect.stringContaining('(someone else just did this)') });
    } finally {
      barrier = undefined;
    }
    for (const action of ['session.validating', 'session.planning', 'session.plan_ready']) {
      expect(await audit.list({ sessionId: session.id, action })).toHaveLength(1);
    }
    expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
  });
});
