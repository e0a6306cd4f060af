import { describe, expect, it } from 'vitest';
import { definePlugin, isPlugin, type Plugin } from '../../../../src/kernel/plugin/define-plugin.js';

const register = () => {};

describe('definePlugin', () => {
  it.each(['aws', 'acme.sqs', 'my-plugin', '0day', 'a', 'a'.repeat(64), 'a.b-c.9'])('accepts the id %j and returns the plugin itself', (id) => {
    const plugin = { id, register };
    expect(definePlugin(plugin)).toBe(plugin);
  });

  it.each([
    ['an empty id', ''],
    ['uppercase letters', 'Acme'],
    ['a leading dash', '-acme'],
    ['a leading dot', '.acme'],
    ['a space', 'acme sqs'],
    ['a slash', 'acme/sqs'],
    ['an underscore', 'acme_sqs'],
    ['65 characters', 'a'.repeat(65)],
    ['a trailing newline', 'acme\n'],
  ])('rejects an id with %s, quoting the id and saying what ids look like', (_situation, id) => {
    expect(() => definePlugin({ id, register })).toThrow(TypeError);
    expect(() => definePlugin({ id, register })).toThrow(JSON.stringify(id));
    expect(() => definePlugin({ id, register })).toThrow(/lowercase letters, digits, dots and dashes/);
  });

  it.each([
    ['no id', { register }],
    ['a numeric id', { id: 42, register }],
    ['nothing at all', undefined],
    ['null', null],
  ])('rejects a plugin with %s', (_situation, plugin) => {
    expect(() => definePlugin(plugin as unknown as Plugin)).toThrow(/invalid plugin id/);
  });

  it('rejects a plugin without a register function, naming the plugin', () => {
    expect(() => definePlugin({ id: 'acme.sqs' } as Plugin)).toThrow(/"acme\.sqs" has no register\(ctx\)/);
    expect(() => definePlugin({ id: 'acme.sqs', register: 'yes' } as unknown as Plugin)).toThrow(TypeError);
  });
});

describe('isPlugin', () => {
  it('accepts an object with a string id and a register function', () => {
    expect(isPlugin({ id: 'x', register })).toBe(true);
  });

  it.each([null, undefined, 'x', 42, [], { id: 'x' }, { register }, { id: 1, register }, { id: 'x', register: true }])(
    'rejects %j',
    (value) => {
      expect(isPlugin(value)).toBe(false);
    },
  );
});
