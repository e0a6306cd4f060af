import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { definePolicy, type PolicyValidator } from '../../../../src/kernel/plugin/policy-validator.js';
import { checkSession, resource, sessionContext } from '../../plugins/policies/policy.fixture.js';

const prefixPolicy = definePolicy({
  id: 'acme.name-prefix',
  description: 'Requires every resource name to start with the project prefix.',
  settingsSchema: z.strictObject({ prefix: z.string().min(1) }).optional(),
  validateSession({ session, settings }) {
    if (!settings) return [];
    return session.resources
      .filter((item) => !item.name.startsWith(settings.prefix))
      .map((item) => ({ code: 'NAME_PREFIX', address: item.name, message: `${item.name} must start with ${settings.prefix}` }));
  },
});

describe('definePolicy', () => {
  it('returns the validator itself, so the kernel sees exactly what was declared', () => {
    const declared = { id: 'acme.noop', description: 'Lets everything through.' };
    expect(definePolicy(declared)).toBe(declared);
  });

  it('infers the settings type from settingsSchema, optional included', () => {
    expectTypeOf(prefixPolicy).toEqualTypeOf<PolicyValidator<{ prefix: string } | undefined>>();
    definePolicy({
      id: 'acme.typed',
      description: 'typed',
      settingsSchema: z.object({ max: z.number().default(3) }),
      validateSession({ settings }) {
        expectTypeOf(settings).toEqualTypeOf<{ max: number } | undefined>();
        // @ts-expect-error: not a key of the settings schema
        void settings?.min;
        return [];
      },
    });
  });

  it('types a policy without settings as having none', () => {
    const none = definePolicy({ id: 'acme.none', description: 'none', validateSession: ({ settings }) => (settings === undefined ? [] : [{ code: 'X', message: 'x' }]) });
    expectTypeOf(none).toEqualTypeOf<PolicyValidator<undefined>>();
  });

  it('runs as the kernel runs it: violations for names without the prefix, nothing when the project has no settings', async () => {
    const resources = [resource('sandbox.vm', 'ops-web'), resource('sandbox.vm', 'db')];
    expect(await checkSession(prefixPolicy, sessionContext({ prefix: 'ops-' }, { resources }))).toEqual([
      { code: 'NAME_PREFIX', address: 'db', message: 'db must start with ops-' },
    ]);
    expect(await checkSession(prefixPolicy, sessionContext(undefined, { resources }))).toEqual([]);
  });
});
