import { describe, expect, it } from 'vitest';
import { globalAdmin } from '../../../../src/chat/preconditions/index.js';
import { context, fakeApi } from './precondition.fixture.js';

describe('globalAdmin', () => {
  const onlyAdmins = globalAdmin((userId) => `Statistics are for global admins; ${userId} is not one.`);

  it('passes a global admin', async () => {
    expect(await onlyAdmins.run(context(fakeApi().api, 'admin'))).toEqual({ ok: true });
  });

  it("refuses anyone else as PERMISSION_DENIED in the command's words, needing global admin", async () => {
    expect(await onlyAdmins.run(context(fakeApi().api, 'dave'))).toEqual({
      ok: false,
      error: { identifier: 'PERMISSION_DENIED', message: 'Statistics are for global admins; dave is not one.', details: { needed: 'global admin' } },
    });
  });
});
