import { describe, expect, it } from 'vitest';
import { signedIn } from '../../../../src/chat/preconditions/index.js';
import { context, fakeApi } from './precondition.fixture.js';

describe('signedIn', () => {
  it.each(['alice', '123456789012345678', 'first.last@example.com'])('passes the user id %j', async (userId) => {
    expect(await signedIn.run(context(fakeApi().api, userId))).toEqual({ ok: true });
  });

  it.each(['', 'has space', 'system', 'cloud-engine', 'x'.repeat(65)])('refuses %j as INVALID_INPUT on userId, worded as the kernel words it', async (userId) => {
    const result = await signedIn.run(context(fakeApi().api, userId));
    expect(result).toMatchObject({ ok: false, error: { identifier: 'INVALID_INPUT', field: 'userId', value: userId } });
    if (!result.ok) expect(result.error.message).toMatch(/^Invalid userId: expected a user id of 1-64 letters, digits and \._@:-; received /);
  });
});
