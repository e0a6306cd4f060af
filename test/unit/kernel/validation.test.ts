import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CloudEngineError } from '../../../src/kernel/errors.js';
import { PROJECT_ID, RESOURCE_NAME, USER_ID, parseInput, requirePattern } from '../../../src/kernel/validation.js';

function inputError(fn: () => unknown): CloudEngineError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEngineError);
    expect((error as CloudEngineError).code).toBe('INVALID_INPUT');
    return error as CloudEngineError;
  }
  throw new Error('expected INVALID_INPUT');
}

const schema = z.strictObject({
  size: z.enum(['small', 'large']),
  disk: z.strictObject({ gb: z.number().int().max(100, 'gb must be at most 100') }),
});

describe('parseInput', () => {
  it('returns the parsed value when the input is valid', () => {
    expect(parseInput(schema, { size: 'small', disk: { gb: 10 } }, 'config')).toEqual({ size: 'small', disk: { gb: 10 } });
  });

  it('prefixes the field path and names the field, the problem and the value received', () => {
    const error = inputError(() => parseInput(schema, { size: 'small', disk: { gb: 500 } }, 'config'));
    expect(error.field).toBe('config.disk.gb');
    expect(error.value).toBe(500);
    expect(error.message).toBe('Invalid config.disk.gb: gb must be at most 100; received 500.');
  });

  it('quotes a received string so the user sees exactly what was sent', () => {
    const error = inputError(() => parseInput(schema, { size: 'huge', disk: { gb: 1 } }, 'config'));
    expect(error.field).toBe('config.size');
    expect(error.message).toContain('Invalid config.size:');
    expect(error.message).toContain('received "huge"');
  });

  it('uses the bare field path when there is no prefix', () => {
    const error = inputError(() => parseInput(schema, { size: 'small', disk: { gb: 'ten' } }, ''));
    expect(error.field).toBe('disk.gb');
    expect(error.message).toMatch(/^Invalid disk\.gb: .*; received "ten"\.$/);
  });

  it('names the prefix alone when the whole input is wrong', () => {
    const error = inputError(() => parseInput(schema, 'not an object', 'settings'));
    expect(error.field).toBe('settings');
    expect(error.message).toContain('received "not an object"');
  });

  it('says "input" when neither prefix nor path names a field', () => {
    const error = inputError(() => parseInput(z.string(), 5, ''));
    expect(error.field).toBeUndefined();
    expect(error.message).toMatch(/^Invalid input: .*; received 5\.$/);
  });

  it('counts the other problems and lists them all, prefixed, in details', () => {
    const error = inputError(() => parseInput(schema, { size: 'huge', disk: { gb: 500 } }, 'config'));
    expect(error.message).toContain('(and 1 more problem)');
    expect(error.details.issues).toEqual([
      { path: 'config.size', message: expect.any(String) },
      { path: 'config.disk.gb', message: 'gb must be at most 100' },
    ]);
    const three = inputError(() => parseInput(schema, { size: 'huge', disk: { gb: 500 }, extra: 1 }, 'config'));
    expect(three.message).toContain('(and 2 more problems)');
  });

  it('names unknown keys without a misleading "received" of the parent object', () => {
    const error = inputError(() => parseInput(schema, { size: 'small', disk: { gb: 1 }, sise: 'x' }, 'config'));
    expect(error.message).toContain('sise');
    expect(error.message).not.toContain('received');
  });

  it('appends the hint', () => {
    const error = inputError(() => parseInput(schema, {}, 'settings', '(settings for the aws provider)'));
    expect(error.message).toMatch(/\. \(settings for the aws provider\)$/);
  });

  it('truncates a huge received value', () => {
    const error = inputError(() => parseInput(z.strictObject({ name: z.string().max(5) }), { name: 'x'.repeat(10_000) }, 'config'));
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).toContain('(10002 chars)');
  });
});

describe('requirePattern', () => {
  it('returns a matching value and rejects others naming the field, expectation and value', () => {
    expect(requirePattern('web-1', RESOURCE_NAME, 'name', 'a resource name')).toBe('web-1');
    const error = inputError(() => requirePattern('Web 1', RESOURCE_NAME, 'name', 'a resource name'));
    expect(error.message).toBe('Invalid name: expected a resource name; received "Web 1".');
    expect(error.field).toBe('name');
    expect(inputError(() => requirePattern(42, RESOURCE_NAME, 'name', 'x')).message).toContain('received 42');
  });
});

describe('id patterns', () => {
  it.each([
    [PROJECT_ID, ['a', 'web', 'team-1', 'a'.repeat(32)], ['', '-a', 'a-', 'A', 'a_b', 'a'.repeat(33)]],
    [RESOURCE_NAME, ['a', '_a', 'web-1', 'web_ip', 'a'.repeat(63)], ['', '1a', '-a', 'A', 'a.b', 'a'.repeat(64)]],
    [USER_ID, ['U123', 'alice@example.com', 'discord:42'], ['', 'a b', 'a/b', 'a'.repeat(65)]],
  ])('%s accepts and rejects the expected values', (pattern, good, bad) => {
    for (const value of good) expect(pattern.test(value), value).toBe(true);
    for (const value of bad) expect(pattern.test(value), value).toBe(false);
  });
});
