import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProject, startTestKernel, type TestKernel } from '../../support/test-kernel.js';
import { dashboardApp, signIn } from './dashboard-test-app.js';

/** The events of a server-sent event stream, as { event, id, data }. */
function events(body: string): { event: string; id?: number; data: Record<string, unknown> }[] {
  return body
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      const id = field('id');
      return { event: field('event')!, ...(id ? { id: Number(id) } : {}), data: JSON.parse(field('data')!) };
    });
}

describe('the live log stream of a session (/sessions/<id>/output)', () => {
  let t: TestKernel;
  let app: FastifyInstance;
  let sessionId: string;
  let cookie: string;

  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'logs', provider: 'sandbox' });
    const session = await t.kernel.orchestrator.startSession('alice', 'logs', 'sandbox');
    sessionId = session.id;
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'box', config: { bootSeconds: 1 } });
    const plan = await t.kernel.orchestrator.runPlan(session.id, 'alice');
    await t.kernel.orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
    app = await dashboardApp(t.kernel);
    ({ cookie } = await signIn(app, t.kernel, 'alice'));
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await t?.dispose();
  });

  it('of a finished session sends every persisted line in order with its seq as event id, then end with the state', async () => {
    const response = await app.inject({ method: 'GET', url: `/sessions/${sessionId}/output`, headers: { cookie } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    const stream = events(response.body);
    const persisted = await t.kernel.orchestrator.getOutput(sessionId);
    const lines = stream.filter((event) => event.event === 'line');
    expect(lines.map((event) => event.data.line)).toEqual(persisted.map((line) => line.line));
    expect(lines.map((event) => event.id)).toEqual(persisted.map((line) => line.seq));
    expect(lines.map((event) => event.data.line)).toEqual(expect.arrayContaining([expect.stringContaining('booting box: 1/1s')]));
    expect(stream.at(-1)).toEqual({ event: 'end', data: { state: 'APPLIED' } });
  });

  it('resumes after ?after=<seq>, and after Last-Event-ID on a reconnect, sending nothing twice', async () => {
    const persisted = await t.kernel.orchestrator.getOutput(sessionId);
    const middle = persisted[Math.floor(persisted.length / 2)]!.seq;
    const after = events((await app.inject({ method: 'GET', url: `/sessions/${sessionId}/output?after=${middle}`, headers: { cookie } })).body).filter((event) => event.event === 'line');
    expect(after.map((event) => event.id)).toEqual(persisted.filter((line) => line.seq > middle).map((line) => line.seq));
    const resumed = events((await app.inject({ method: 'GET', url: `/sessions/${sessionId}/output?after=0`, headers: { cookie, 'last-event-id': String(middle) } })).body).filter((event) => event.event === 'line');
    expect(resumed.map((event) => event.id)).toEqual(after.map((event) => event.id));
  });

  it('of a plan waiting for approval stays open, and streams the apply once someone approves it elsewhere (chat)', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'logs', 'sandbox');
    await t.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'later', config: { bootSeconds: 1 } });
    const plan = await t.kernel.orchestrator.runPlan(session.id, 'alice');
    const after = (await t.kernel.orchestrator.getOutput(session.id)).at(-1)!.seq;
    const streaming = app.inject({ method: 'GET', url: `/sessions/${session.id}/output?after=${after}`, headers: { cookie } });
    // Held open past a few idle polls before anyone approves.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await t.kernel.orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id });
    const stream = events((await streaming).body);
    expect(stream[0]).toEqual({ event: 'state', data: { state: 'PLAN_READY' } });
    expect(stream.filter((event) => event.event === 'line').map((event) => event.data.line)).toEqual(expect.arrayContaining([expect.stringContaining('booting later: 1/1s')]));
    expect(stream.at(-1)).toEqual({ event: 'end', data: { state: 'APPLIED' } });
  }, 60_000);
});
