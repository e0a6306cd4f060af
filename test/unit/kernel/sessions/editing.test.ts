import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Editing } from '../../../../src/kernel/sessions/editing.js';
import { rejection } from '../../../support/rejection.js';
import { startSessionServices } from '../../../support/session-services.js';
import { ADMIN } from '../../../support/test-kernel.js';

describe('Editing, alone', () => {
  let services: Awaited<ReturnType<typeof startSessionServices>>;
  let editing: Editing;
  beforeAll(async () => {
    services = await startSessionServices();
    editing = new Editing(services);
    await services.projects.create({ id: 'edit', provider: 'sandbox', createdBy: ADMIN });
    await services.access.grant({ projectId: 'edit', userId: 'alice', level: 'deploy', grantedBy: ADMIN });
  });
  afterAll(() => services?.dispose());

  it('starts a DRAFT, adds and removes resources, each change audited and announced', async () => {
    const changed: string[] = [];
    services.events.on('session.resourcesChanged', (event) => changed.push(event.sessionId));
    const session = await editing.startSession('alice', 'edit');
    expect(session).toMatchObject({ state: 'DRAFT', provider: 'sandbox', userId: 'alice', resources: [] });
    const added = await editing.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web', config: { size: 'medium' } });
    expect(added.resources).toEqual([expect.objectContaining({ name: 'web', type: 'sandbox.vm', config: expect.objectContaining({ size: 'medium' }), createdBy: 'alice' })]);
    expect(added.lastChangedBy).toBe('alice');
    const removed = await editing.removeResource(session.id, 'alice', 'web');
    expect(removed.resources).toEqual([]);
    expect((await services.audit.list({ sessionId: session.id })).map((event) => event.action)).toEqual(['session.started', 'resource.added', 'resource.removed']);
    expect(changed).toEqual([session.id, session.id]);
  });

  it('refuses a second resource of the same name and a provider the project does not deploy to, naming the field', async () => {
    const session = await editing.startSession('alice', 'edit');
    await editing.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets' });
    expect(await rejection(editing.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets' }))).toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
    expect(await rejection(editing.startSession('alice', 'edit', 'aws'))).toMatchObject({ code: 'INVALID_INPUT', field: 'provider' });
    expect(await rejection(editing.removeResource(session.id, 'alice', 'nothing'))).toMatchObject({ code: 'NOT_FOUND', field: 'name' });
  });

  it('a session that is not editable says so and what to do', async () => {
    const session = await editing.startSession('alice', 'edit');
    await services.store.transition({ sessionId: session.id, from: ['DRAFT'], to: 'CANCELLED', actor: 'alice' });
    const error = await rejection(editing.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'late' }));
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain('resources can only change in DRAFT, PLAN_READY, PLAN_FAILED. Start a new session.');
  });
});
