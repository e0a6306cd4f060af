import { describe, expect, it } from 'vitest';
import { destroyGuardPolicy } from '../../../../src/plugins/policies/destroy-guard.policy.js';
import { change, checkPlan, parseSettings, planContext, settingsError } from './policy.fixture.js';

const plan = [
  change('terraform_data.new', ['create']),
  change('terraform_data.edit', ['update']),
  change('terraform_data.same', ['no-op']),
  change('terraform_data.gone', ['delete']),
  change('terraform_data.vm', ['delete', 'create'], {}, { replace_paths: [['triggers_replace']] }),
  change('aws_instance.web', ['create', 'delete'], {}),
];

describe('destroy-guard policy', () => {
  describe('settings', () => {
    it('accepts nothing configured and fills both switches', () => {
      expect(parseSettings(destroyGuardPolicy, undefined)).toBeUndefined();
      expect(parseSettings(destroyGuardPolicy, { allowDestroy: true })).toEqual({ allowDestroy: true, allowReplace: false });
    });

    it.each([
      [{ allowDestroy: 'yes' }, 'settings.policies.destroy-guard.allowDestroy', 'true or false'],
      [{ allowReplace: 1 }, 'settings.policies.destroy-guard.allowReplace', 'true or false'],
      [{ allowDelete: true }, 'settings.policies.destroy-guard', 'allowDelete'],
      ['on', 'settings.policies.destroy-guard', 'object'],
    ])('rejects %j naming %s', (value, field, hint) => {
      const error = settingsError(destroyGuardPolicy, value);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.field).toBe(field);
      expect(error.message).toContain(hint);
    });
  });

  it('is on when the project configured nothing: destroys and replacements are refused', async () => {
    const violations = await checkPlan(destroyGuardPolicy, planContext(undefined, { changes: plan }));
    expect(violations.map((violation) => [violation.code, violation.address])).toEqual([
      ['DESTROY_DENIED', 'terraform_data.gone'],
      ['REPLACE_DENIED', 'terraform_data.vm'],
      ['REPLACE_DENIED', 'aws_instance.web'],
    ]);
    expect(violations[0]!.message).toBe(
      'terraform_data.gone would be destroyed, and project demo does not allow destroying resources. Keep the resource, or ask an admin to set settings.policies["destroy-guard"].allowDestroy to true.',
    );
    expect(violations[1]!.message).toContain('because triggers_replace changed');
    expect(violations[1]!.message).toContain('settings.policies["destroy-guard"].allowReplace');
    expect(violations[2]!.message).toContain('Keep the attributes that force replacement');
  });

  it('allows each kind separately', async () => {
    const destroys = await checkPlan(destroyGuardPolicy, planContext({ allowDestroy: true, allowReplace: false }, { changes: plan }));
    expect(destroys.map((violation) => violation.code)).toEqual(['REPLACE_DENIED', 'REPLACE_DENIED']);
    const replaces = await checkPlan(destroyGuardPolicy, planContext({ allowDestroy: false, allowReplace: true }, { changes: plan }));
    expect(replaces.map((violation) => violation.code)).toEqual(['DESTROY_DENIED']);
    expect(await checkPlan(destroyGuardPolicy, planContext({ allowDestroy: true, allowReplace: true }, { changes: plan }))).toEqual([]);
  });

  it('ignores data sources and plans that only create or change', async () => {
    const data = { ...change('data_thing.x', ['delete']), mode: 'data' as const };
    expect(await checkPlan(destroyGuardPolicy, planContext(undefined, { changes: [data, ...plan.slice(0, 3)] }))).toEqual([]);
  });

  it('lets through the destroys the user asked for (resources removed in the change), never a replacement', async () => {
    const violations = await checkPlan(destroyGuardPolicy, planContext(undefined, { changes: plan, requestedDeletes: ['terraform_data.gone', 'terraform_data.vm'] }));
    expect(violations.map((violation) => [violation.code, violation.address])).toEqual([
      ['REPLACE_DENIED', 'terraform_data.vm'],
      ['REPLACE_DENIED', 'aws_instance.web'],
    ]);
  });
});
