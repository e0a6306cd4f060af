import { describe, expect, it } from 'vitest';
import { projectExists } from '../../../../src/chat/preconditions/index.js';
import { context, fakeApi } from './precondition.fixture.js';

describe('projectExists', () => {
  it('passes a project that exists, read from the project option by default', async () => {
    expect(await projectExists().run(context(fakeApi().api, 'alice', { project: 'web' }))).toEqual({ ok: true });
  });

  it('reads another option when told to', async () => {
    expect(await projectExists('project_id').run(context(fakeApi().api, 'alice', { project_id: 'web' }))).toEqual({ ok: true });
  });

  it("refuses an unknown project as NOT_FOUND with the kernel's message", async () => {
    expect(await projectExists().run(context(fakeApi().api, 'alice', { project: 'nope' }))).toEqual({
      ok: false,
      error: { identifier: 'NOT_FOUND', message: 'Project "nope" does not exist.', field: 'projectId', value: 'nope', details: {} },
    });
  });

  it('refuses a missing project as INVALID_INPUT naming the option', async () => {
    expect(await projectExists().run(context(fakeApi().api, 'alice', {}))).toMatchObject({
      ok: false,
      error: { identifier: 'INVALID_INPUT', field: 'project', message: 'Missing project: this option is required.' },
    });
  });
});
