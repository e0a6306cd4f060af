import { describe, expect, it } from 'vitest';
import { nearest, parseLine, tokenize } from '../../../../src/plugins/console/console-parser.js';

describe('tokenize', () => {
  it('splits on whitespace and keeps quoted values whole, with escapes inside quotes', () => {
    expect(tokenize(`a b:"two words" c='it''s' d="say \\"hi\\""`)).toEqual(['a', 'b:two words', 'c=its', 'd=say "hi"']);
  });

  it('keeps an empty quoted value as an empty word', () => {
    expect(tokenize(`x "" y`)).toEqual(['x', '', 'y']);
  });

  it('refuses an unclosed quote with INVALID_INPUT', () => {
    expect(() => tokenize('a "b c')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('parseLine', () => {
  it('reads the command, name:value options and bare or key=value words', () => {
    expect(parseLine('/cloud-deploy project:sandbox provider:"sandbox"')).toEqual({ name: 'cloud-deploy', options: { project: 'sandbox', provider: 'sandbox' }, words: [] });
    expect(parseLine('/add sandbox.vm web size=medium tags="team=web, env=dev"')).toEqual({
      name: 'add',
      options: {},
      words: ['sandbox.vm', 'web', 'size=medium', 'tags=team=web, env=dev'],
    });
  });

  it('ignores blank lines and comments, and refuses text without a slash', () => {
    expect(parseLine('   ')).toBeUndefined();
    expect(parseLine('# a comment')).toBeUndefined();
    expect(() => parseLine('cloud-deploy')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('nearest', () => {
  const known = ['cloud-deploy', 'cloud-list', 'cloud-quota', 'cloud-projects', 'approve', 'add'];
  it.each([
    ['cloud-deplyo', 'cloud-deploy'],
    ['cloud-lst', 'cloud-list'],
    ['aprove', 'approve'],
    ['cloud-project', 'cloud-projects'],
  ])('suggests %s → %s', (typo, expected) => {
    expect(nearest(typo, known)).toBe(expected);
  });

  it('suggests nothing for a word far from every command', () => {
    expect(nearest('terraform-destroy-everything', known)).toBeUndefined();
  });
});
