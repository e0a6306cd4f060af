import { describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { Registry } from '../../../../src/kernel/plugin/registry.js';

interface Thing {
  id: string;
  size?: number;
}

const things = (...contributions: { pluginId: string; item: Thing }[]) => new Registry<Thing>('thing', (thing) => thing.id, contributions);

describe('Registry', () => {
  it('returns empty lists, not errors, when nothing is registered', () => {
    const registry = things();
    expect(registry.list()).toEqual([]);
    expect(registry.keys()).toEqual([]);
    expect(registry.entries()).toEqual([]);
    expect(registry.get('x')).toBeUndefined();
    expect(registry.has('x')).toBe(false);
    expect(registry.pluginOf('x')).toBeUndefined();
  });

  it('keeps contributions in registration order and remembers which plugin made each', () => {
    const registry = things({ pluginId: 'a', item: { id: 'one' } });
    registry.add({ pluginId: 'b', item: { id: 'two' } });
    expect(registry.keys()).toEqual(['one', 'two']);
    expect(registry.list()).toEqual([{ id: 'one' }, { id: 'two' }]);
    expect(registry.get('two')).toEqual({ id: 'two' });
    expect(registry.has('one')).toBe(true);
    expect(registry.pluginOf('two')).toBe('b');
    expect(registry.entries()).toEqual([
      { pluginId: 'a', item: { id: 'one' } },
      { pluginId: 'b', item: { id: 'two' } },
    ]);
  });

  it('rejects a duplicate key with PLUGIN_FAILED naming the kind, the key and both plugin ids', () => {
    const registry = things({ pluginId: 'first-plugin', item: { id: 'dup', size: 1 } });
    let error: unknown;
    try {
      registry.add({ pluginId: 'second-plugin', item: { id: 'dup', size: 2 } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CloudEngineError);
    const { code, message, details } = error as CloudEngineError;
    expect(code).toBe('PLUGIN_FAILED');
    expect(message).toContain('thing "dup"');
    expect(message).toContain('"first-plugin"');
    expect(message).toContain('"second-plugin"');
    expect(details).toEqual({ pluginId: 'second-plugin', key: 'dup', existingPluginId: 'first-plugin' });
    // the first registration wins and stays intact
    expect(registry.get('dup')).toEqual({ id: 'dup', size: 1 });
    expect(registry.pluginOf('dup')).toBe('first-plugin');
  });

  it('rejects a duplicate even when the same plugin registers it twice', () => {
    const registry = things({ pluginId: 'p', item: { id: 'x' } });
    expect(() => registry.add({ pluginId: 'p', item: { id: 'x' } })).toThrow(/"p".*"p"/);
  });

  it('rejects duplicates passed to the constructor too', () => {
    expect(() => things({ pluginId: 'a', item: { id: 'x' } }, { pluginId: 'b', item: { id: 'x' } })).toThrow(CloudEngineError);
  });

  it('hands out copies, so callers cannot change the registry through list() or keys()', () => {
    const registry = things({ pluginId: 'a', item: { id: 'one' } });
    registry.list().pop();
    registry.keys().pop();
    registry.entries().pop();
    expect(registry.keys()).toEqual(['one']);
  });
});
