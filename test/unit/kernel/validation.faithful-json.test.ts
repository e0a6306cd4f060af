import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CloudEngineError } from '../../../src/kernel/errors.js';
import { RESOURCE_NAME, parseInput, requireFaithfulJson, requirePattern } from '../../../src/kernel/validation.js';

function refusal(fn: () => unknown): CloudEngineError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEngineError);
    expect((error as CloudEngineError).code).toBe('INVALID_INPUT');
    return error as CloudEngineError;
  }
  throw new Error('expected INVALID_INPUT');
}

const tags = z.strictObject({ tags: z.record(z.string(), z.string()).optional() });

describe('requireFaithfulJson: what a schema would accept but Terraform would not get unchanged', () => {
  it('refuses a "__proto__" key (object copies drop it), naming its path', () => {
    const error = refusal(() => parseInput(tags, JSON.parse('{"tags": {"team": "a", "__proto__": "x"}}'), 'config'));
    expect(error.field).toBe('config.tags.__proto__');
    expect(error.message).toBe('Invalid config.tags.__proto__: "__proto__" cannot be used as a key; rename it.');
  });

  it('refuses lone surrogates in values and keys (Terraform would turn them into U+FFFD)', () => {
    const value = refusal(() => parseInput(tags, { tags: { team: 'a\uD800b' } }, 'config'));
    expect(value.field).toBe('config.tags.team');
    expect(value.message).toContain('lone surrogate');
    expect(value.message).toContain('"a\\ud800b"');
    const key = refusal(() => parseInput(tags, { tags: { ['\uDC00k']: 'v' } }, 'config'));
    expect(key.message).toContain('keys must be valid Unicode');
    // A well-formed pair is fine.
    expect(parseInput(tags, { tags: { team: '👍🏽' } }, 'config')).toEqual({ tags: { team: '👍🏽' } });
  });

  it('normalizes text and keys to NFC, the form Terraform reads, so what is stored is what is deployed', () => {
    const parsed = parseInput(tags, { tags: { ['cafe\u0301']: 'A\u030a', plain: 'x' } }, 'config');
    expect(parsed).toEqual({ tags: { ['caf\u00e9']: '\u00c5', plain: 'x' } });
    // Nothing to normalize: the very same value goes to the schema.
    const value = { tags: { a: 'b' } };
    expect(requireFaithfulJson(value, 'config')).toBe(value);
  });

  it('refuses two keys that are the same text in different Unicode forms, rather than keep one silently', () => {
    const error = refusal(() => parseInput(tags, { tags: { ['caf\u00e9']: '1', ['cafe\u0301']: '2' } }, 'config'));
    expect(error.field).toMatch(/^config\.tags\./);
    expect(error.message).toContain('same text as another key');
  });

  it('walks deep nesting without overflowing the stack', () => {
    let deep: unknown = 'e\u0301';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(() => requireFaithfulJson(deep, 'config')).not.toThrow();
    let bad: unknown = '\uD800';
    for (let i = 0; i < 100_000; i += 1) bad = { a: bad };
    expect(refusal(() => requireFaithfulJson(bad, 'config')).field).toMatch(/^config(\.a)+$/);
  });

  it('tolerates cycles and values that are not plain JSON (the schema judges those)', () => {
    const cyclic: Record<string, unknown> = { a: 'x' };
    cyclic.self = cyclic;
    expect(requireFaithfulJson(cyclic, 'config')).toBe(cyclic);
    const withText: Record<string, unknown> = { text: 'e\u0301' };
    withText.self = withText;
    const normalized = requireFaithfulJson(withText, 'config') as Record<string, unknown>;
    expect(normalized.text).toBe('\u00e9');
    expect(normalized.self).toBe(normalized);
    const date = new Date(0);
    expect(requireFaithfulJson(date, 'config')).toBe(date);
  });
});

describe('RESOURCE_NAME', () => {
  it('refuses the two names every JavaScript object already has, saying they are reserved', () => {
    for (const name of ['__proto__', 'constructor']) {
      expect(RESOURCE_NAME.test(name)).toBe(false);
      const error = refusal(() => requirePattern(name, RESOURCE_NAME, 'name', 'a resource name'));
      expect(error.message).toBe(`Invalid name: expected a resource name; received "${name}", a reserved name; pick another.`);
    }
    for (const name of ['_', '_proto_', 'constructors', 'my-constructor', 'tostring', 'a'.repeat(63)]) expect(RESOURCE_NAME.test(name)).toBe(true);
  });
});
