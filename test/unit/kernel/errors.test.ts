import { describe, expect, it } from 'vitest';
import { CloudEngineError, describeValue, isCloudEngineError } from '../../../src/kernel/errors.js';

describe('describeValue', () => {
  it.each([
    ['a string, quoted', 'abc', '"abc"'],
    ['a number', 42, '42'],
    ['an object as JSON', { a: 1 }, '{"a":1}'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a function', () => 1, '() => 1'],
    ['a bigint, which JSON cannot encode', 10n, '10'],
  ])('shows %s', (_situation, value, text) => {
    expect(describeValue(value)).toBe(text);
  });

  it('keeps text of exactly the limit whole', () => {
    expect(describeValue('x'.repeat(58))).toBe(`"${'x'.repeat(58)}"`);
  });

  it('cuts longer text at the limit and says how long it was', () => {
    expect(describeValue('x'.repeat(59))).toBe(`"${'x'.repeat(59)}… (61 chars)`);
    expect(describeValue('x'.repeat(10_000))).toBe(`"${'x'.repeat(59)}… (10002 chars)`);
  });

  it('honours a custom limit', () => {
    expect(describeValue({ key: 'value' }, 5)).toBe('{"key… (15 chars)');
  });

  it('does not throw on a circular object', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(describeValue(circular)).toBe('[object Object]');
  });
});

describe('CloudEngineError', () => {
  it('carries code, field, value, details and cause, and serializes without the value', () => {
    const cause = new Error('root');
    const error = new CloudEngineError('NOT_FOUND', 'No project "x".', { field: 'project', value: 'x', details: { id: 'x' }, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CloudEngineError');
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({ code: 'NOT_FOUND', message: 'No project "x".', field: 'project', details: { id: 'x' } });
    expect(isCloudEngineError(error)).toBe(true);
    expect(isCloudEngineError(error, 'NOT_FOUND')).toBe(true);
    expect(isCloudEngineError(error, 'LOCKED')).toBe(false);
    expect(isCloudEngineError(new Error('x'))).toBe(false);
  });

  it('has empty details and no cause by default', () => {
    const error = new CloudEngineError('INTERNAL', 'oops');
    expect(error.details).toEqual({});
    expect('cause' in error).toBe(false);
  });
});
