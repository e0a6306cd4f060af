import { describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import {
  byOption,
  checkPreconditions,
  error,
  ok,
  refusalError,
  requirePreconditions,
  resultOf,
  type Precondition,
} from '../../../../src/chat/preconditions/index.js';
import { context, fakeApi } from './precondition.fixture.js';

const pass = (name: string, ran: string[]): Precondition => ({ name, run: async () => (ran.push(name), ok()) });
const refuse = (name: string, ran: string[]): Precondition => ({
  name,
  run: async () => (ran.push(name), error({ identifier: 'PERMISSION_DENIED', message: `${name} says no.`, details: { needed: 'admin' } })),
});

describe('checkPreconditions', () => {
  it('runs every precondition in order and answers undefined when all pass', async () => {
    const ran: string[] = [];
    expect(await checkPreconditions([pass('a', ran), pass('b', ran)], context(fakeApi().api, 'alice'))).toBeUndefined();
    expect(ran).toEqual(['a', 'b']);
  });

  it('stops at the first refusal and names the precondition that made it', async () => {
    const ran: string[] = [];
    const refusal = await checkPreconditions([pass('a', ran), refuse('b', ran), pass('c', ran)], context(fakeApi().api, 'alice'));
    expect(ran).toEqual(['a', 'b']);
    expect(refusal).toEqual({ precondition: 'b', error: { identifier: 'PERMISSION_DENIED', message: 'b says no.', details: { needed: 'admin' } } });
  });

  it('passes with no preconditions', async () => {
    expect(await checkPreconditions([], context(fakeApi().api, 'alice'))).toBeUndefined();
  });
});

describe('refusalError and requirePreconditions', () => {
  it('make the refusal the error users see: its identifier as the code, its message, field and value, and the precondition in the details', async () => {
    const made = refusalError({ precondition: 'projectExists', error: { identifier: 'NOT_FOUND', message: 'No such project.', field: 'projectId', value: 'nope' } });
    expect(made).toBeInstanceOf(CloudEngineError);
    expect(made).toMatchObject({ code: 'NOT_FOUND', message: 'No such project.', field: 'projectId', value: 'nope', details: { precondition: 'projectExists' } });
    await expect(requirePreconditions([refuse('gate', [])], context(fakeApi().api, 'alice'))).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      message: 'gate says no.',
      details: { needed: 'admin', precondition: 'gate' },
    });
    await expect(requirePreconditions([pass('gate', [])], context(fakeApi().api, 'alice'))).resolves.toBeUndefined();
  });
});

describe('resultOf', () => {
  it('is ok when the check returns', async () => {
    expect(await resultOf(async () => 'fine')).toEqual({ ok: true });
  });

  it('turns a CloudEngineError into a refusal worded as thrown', async () => {
    const result = await resultOf(() => {
      throw new CloudEngineError('INVALID_INPUT', 'Invalid userId.', { field: 'userId', value: '', details: { why: 'empty' } });
    });
    expect(result).toEqual({ ok: false, error: { identifier: 'INVALID_INPUT', message: 'Invalid userId.', field: 'userId', value: '', details: { why: 'empty' } } });
  });

  it.each([
    ['an INTERNAL error', new CloudEngineError('INTERNAL', 'disk full')],
    ['a plain Error', new Error('socket hang up')],
  ])('throws %s on: it is not a refusal but a failure to report as internal', async (_what, thrown) => {
    await expect(resultOf(() => Promise.reject(thrown))).rejects.toBe(thrown);
  });
});

describe('byOption', () => {
  it('runs the first precondition when the option is given, the second when it is absent or empty', async () => {
    const ran: string[] = [];
    const either = byOption('project', pass('given', ran), pass('absent', ran));
    const { api } = fakeApi();
    await either.run(context(api, 'alice', { project: 'web' }));
    await either.run(context(api, 'alice', {}));
    await either.run(context(api, 'alice', { project: '' }));
    expect(ran).toEqual(['given', 'absent', 'absent']);
  });
});
