import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiteralGuard, escapeTemplate } from '../../../../src/kernel/synth/literal-guard.js';

/** Strings rich in the characters that matter: sigils, braces and cdktf token markers. */
const nasty = fc
  .array(
    fc.oneof(
      fc.constantFrom('$', '%', '#', '{', '}', '${', '%{', '#{', '$${', '%%{', '${TfToken[TOKEN.1]}', '#{TfToken[TOKEN.2]}', '${var.x}', '%{ if true }x%{ endif }', 'ceLiteral'),
      fc.string({ maxLength: 4 }),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));
const anyString = fc.oneof(nasty, fc.string(), fc.string({ unit: 'grapheme' }));

describe('escapeTemplate', () => {
  it.each([
    ['${a}', '$${a}'],
    ['%{if}', '%%{if}'],
    ['$${a}', '$$${a}'],
    ['%%{a}', '%%%{a}'],
    ['${TfToken[TOKEN.1]}', '$${TfToken[TOKEN.1]}'],
    ['a ${b} and %{c}', 'a $${b} and %%{c}'],
    ['plain text', 'plain text'],
    ['$ {a} % {b} #{c}', '$ {a} % {b} #{c}'],
    ['', ''],
  ])('escapes %j as %j', (input, output) => {
    expect(escapeTemplate(input)).toBe(output);
  });

  it('leaves strings without "${" or "%{" unchanged', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => !s.includes('${') && !s.includes('%{')),
        (text) => {
          expect(escapeTemplate(text)).toBe(text);
        },
      ),
    );
  });
});

describe('LiteralGuard.protect', () => {
  it('leaves no "${", "#{" or "%{" anywhere in its output, whatever the input', () => {
    const guard = new LiteralGuard();
    fc.assert(
      fc.property(anyString, (text) => {
        const out = guard.protect(text);
        expect(out).not.toContain('${');
        expect(out).not.toContain('#{');
        expect(out).not.toContain('%{');
      }),
      { numRuns: 300 },
    );
  });

  it('reveal(protect(s)) is exactly escapeTemplate(s), for any string including cdktf token markers', () => {
    const guard = new LiteralGuard();
    fc.assert(
      fc.property(anyString, (text) => {
        expect(guard.reveal(guard.protect(text))).toBe(escapeTemplate(text));
      }),
      { numRuns: 300 },
    );
  });

  it('turns a cdktf token marker typed by a user into escaped literal text once revealed', () => {
    const guard = new LiteralGuard();
    expect(guard.reveal(guard.protect('${TfToken[TOKEN.1]}'))).toBe('$${TfToken[TOKEN.1]}');
    expect(guard.reveal(guard.protect('#{TfToken[TOKEN.1]}'))).toBe('#{TfToken[TOKEN.1]}');
  });

  it('leaves plain text unchanged', () => {
    const guard = new LiteralGuard();
    expect(guard.protect('web server 1')).toBe('web server 1');
  });
});

describe('LiteralGuard.protectDeep and reveal', () => {
  it('protects strings and keys at every depth and leaves other values alone', () => {
    const guard = new LiteralGuard();
    const input = {
      name: '${var.x}',
      count: 3,
      enabled: true,
      none: null,
      tags: { '${key}': '%{ if true }x%{ endif }', nested: { list: ['#{TfToken[TOKEN.1]}', 7, { deep: '${a}' }] } },
    };
    const protectedValue = guard.protectDeep(input);
    const text = JSON.stringify(protectedValue);
    expect(text).not.toContain('${');
    expect(text).not.toContain('%{');
    expect(text).not.toContain('#{');
    expect(guard.reveal(protectedValue)).toEqual({
      name: '$${var.x}',
      count: 3,
      enabled: true,
      none: null,
      tags: { '$${key}': '%%{ if true }x%%{ endif }', nested: { list: ['#{TfToken[TOKEN.1]}', 7, { deep: '$${a}' }] } },
    });
  });

  it('does not modify the object it protects', () => {
    const guard = new LiteralGuard();
    const input = { a: ['${x}'], b: { '${k}': 'v' } };
    const copy = structuredClone(input);
    guard.protectDeep(input);
    expect(input).toEqual(copy);
  });

  it('reveal leaves values without its nonce untouched', () => {
    const guard = new LiteralGuard();
    const value = { a: 'ceLiteral', b: ['x', 1], c: { d: '$${e}' } };
    expect(guard.reveal(value)).toEqual(value);
  });
});

describe('two guards', () => {
  it('use different nonces, so one guard cannot reveal what another protected', () => {
    const first = new LiteralGuard();
    const second = new LiteralGuard();
    const protectedByFirst = first.protect('${TfToken[TOKEN.1]}');
    expect(second.protect('${x}')).not.toBe(first.protect('${x}'));
    expect(second.reveal(protectedByFirst)).toBe(protectedByFirst);
    expect(second.reveal(protectedByFirst)).not.toContain('${');
    expect(first.reveal(protectedByFirst)).toBe('$${TfToken[TOKEN.1]}');
  });

  it('a user cannot smuggle text that another guard\'s reveal turns into a live marker', () => {
    const victim = new LiteralGuard();
    // The attacker sees a protected string from another synthesis and types it back in.
    const seen = new LiteralGuard().protect('${TfToken[TOKEN.1]}');
    expect(victim.reveal(victim.protect(seen))).toBe(escapeTemplate(seen));
    expect(victim.reveal(victim.protect(seen))).not.toMatch(/(^|[^$])\$\{/);
  });
});
