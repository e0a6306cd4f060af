import { describe, expect, it } from 'vitest';
import { projectAccess } from '../../../../src/chat/preconditions/index.js';
import { context, fakeApi } from './precondition.fixture.js';

describe('projectAccess', () => {
  it('asks the authorizer for the action on the named project, and passes whom it allows', async () => {
    const { api, asked } = fakeApi();
    expect(await projectAccess('project.view').run(context(api, 'rita', { project: 'web' }))).toEqual({ ok: true });
    expect(await projectAccess('project.admin').run(context(api, 'dave', { project: 'web' }))).toEqual({ ok: true });
    expect(asked).toEqual([
      { userId: 'rita', action: 'project.view', projectId: 'web' },
      { userId: 'dave', action: 'project.admin', projectId: 'web' },
    ]);
  });

  it("refuses as PERMISSION_DENIED with the authorizer's message and details (the level needed and held)", async () => {
    const result = await projectAccess('project.admin').run(context(fakeApi().api, 'alice', { project: 'web' }));
    expect(result).toEqual({
      ok: false,
      error: {
        identifier: 'PERMISSION_DENIED',
        message: 'project.admin needs admin access to project web; alice has deploy.',
        field: undefined,
        value: undefined,
        details: { action: 'project.admin', needed: 'admin', held: 'deploy' },
      },
    });
  });

  it('refuses someone without a grant, and a missing project option without asking', async () => {
    const { api, asked } = fakeApi();
    expect(await projectAccess('project.view').run(context(api, 'mallory', { project: 'web' }))).toMatchObject({ ok: false, error: { identifier: 'PERMISSION_DENIED' } });
    expect(await projectAccess('project.view').run(context(api, 'rita', {}))).toMatchObject({ ok: false, error: { identifier: 'INVALID_INPUT', field: 'project' } });
    expect(asked).toHaveLength(1);
  });

  it('throws an unexpected failure of the authorizer on instead of calling it a refusal', async () => {
    const failure = new Error('database is locked');
    const { api } = fakeApi({ authorize: () => Promise.reject(failure) });
    await expect(projectAccess('project.view').run(context(api, 'rita', { project: 'web' }))).rejects.toBe(failure);
  });
});
