import { describe, expect, it } from 'vitest';
import { sessionAccess } from '../../../../src/chat/preconditions/index.js';
import { context, fakeApi } from './precondition.fixture.js';

describe('sessionAccess', () => {
  it("passes the session's owner, asking for the action with the session in hand", async () => {
    const { api, asked } = fakeApi();
    expect(await sessionAccess('session.change').run(context(api, 'alice', { session_id: 's1' }))).toEqual({ ok: true });
    expect(asked.at(-1)).toEqual({ userId: 'alice', action: 'session.change', projectId: 'web', session: { id: 's1', userId: 'alice' } });
  });

  it("refuses a reader who may see the session but not cancel someone else's", async () => {
    const result = await sessionAccess('session.cancel').run(context(fakeApi().api, 'rita', { session_id: 's1' }));
    expect(result).toMatchObject({ ok: false, error: { identifier: 'PERMISSION_DENIED', details: { action: 'session.cancel', needed: 'admin' } } });
  });

  it('passes a project admin on anyone’s session', async () => {
    expect(await sessionAccess('session.cancel').run(context(fakeApi().api, 'dave', { session_id: 's1' }))).toEqual({ ok: true });
  });

  it('refuses an unknown session as NOT_FOUND, and an outsider who may not even see it', async () => {
    expect(await sessionAccess('session.change').run(context(fakeApi().api, 'alice', { session_id: 'nope' }))).toMatchObject({ ok: false, error: { identifier: 'NOT_FOUND' } });
    expect(await sessionAccess('session.change').run(context(fakeApi().api, 'mallory', { session_id: 's1' }))).toMatchObject({
      ok: false,
      error: { identifier: 'PERMISSION_DENIED', details: { action: 'session.view' } },
    });
  });

  it('refuses a missing session option as INVALID_INPUT naming it', async () => {
    expect(await sessionAccess('session.change').run(context(fakeApi().api, 'alice', {}))).toMatchObject({ ok: false, error: { identifier: 'INVALID_INPUT', field: 'session_id' } });
  });
});
