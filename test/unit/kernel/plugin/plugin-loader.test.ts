import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { loadPluginModule } from '../../../../src/kernel/plugin/plugin-loader.js';

const FIXTURES = resolve(import.meta.dirname, '../../../fixtures/plugins');
const ROOT = resolve(import.meta.dirname, '../../../..');

async function loadError(specifier: string, cwd = ROOT): Promise<CloudEngineError> {
  const error = await loadPluginModule(specifier, cwd).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CloudEngineError);
  expect((error as CloudEngineError).code).toBe('PLUGIN_FAILED');
  return error as CloudEngineError;
}

const ids = (plugins: { id: string }[]) => plugins.map((plugin) => plugin.id);

describe('loadPluginModule', () => {
  it('loads a default export', async () => {
    expect(ids(await loadPluginModule('./test/fixtures/plugins/default-export.mjs', ROOT))).toEqual(['fixture.default']);
  });

  it('loads a `plugin` export and ignores unrelated exports', async () => {
    expect(ids(await loadPluginModule('./test/fixtures/plugins/named-plugin.mjs', ROOT))).toEqual(['fixture.named']);
  });

  it('loads every plugin of a `plugins` array, in order, skipping entries that are not plugins', async () => {
    expect(ids(await loadPluginModule('./test/fixtures/plugins/plugins-array.mjs', ROOT))).toEqual(['fixture.first', 'fixture.second']);
  });

  it('loads a plugin exported both as default and as `plugin` once', async () => {
    expect(ids(await loadPluginModule('./test/fixtures/plugins/same-plugin-twice.mjs', ROOT))).toEqual(['fixture.twice']);
  });

  it('resolves a relative path from the cwd it is given, not from the process cwd', async () => {
    expect(ids(await loadPluginModule('./default-export.mjs', FIXTURES))).toEqual(['fixture.default']);
    await loadError('./default-export.mjs', ROOT);
  });

  it('accepts an absolute path and a file: URL', async () => {
    const file = resolve(FIXTURES, 'named-plugin.mjs');
    expect(ids(await loadPluginModule(file, '/'))).toEqual(['fixture.named']);
    expect(ids(await loadPluginModule(pathToFileURL(file).href, '/'))).toEqual(['fixture.named']);
  });

  it('fails with PLUGIN_FAILED naming the specifier when the file does not exist', async () => {
    const error = await loadError('./test/fixtures/plugins/missing.mjs');
    expect(error.message).toContain('"./test/fixtures/plugins/missing.mjs"');
    expect(error.message).toMatch(/Check the path or install the package/);
    expect(error.details).toEqual({ specifier: './test/fixtures/plugins/missing.mjs' });
  });

  it('fails with PLUGIN_FAILED naming a bare package specifier that is not installed', async () => {
    const error = await loadError('@acme/cloud-engine-plugin-not-installed');
    expect(error.message).toContain('"@acme/cloud-engine-plugin-not-installed"');
  });

  it('fails with PLUGIN_FAILED naming the specifier and the cause when the module throws on import', async () => {
    const error = await loadError('./test/fixtures/plugins/throws-on-import.mjs');
    expect(error.message).toContain('"./test/fixtures/plugins/throws-on-import.mjs"');
    expect(error.message).toContain('fixture exploded at import');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('fails with PLUGIN_FAILED naming the specifier when the module exports no plugin', async () => {
    const error = await loadError('./test/fixtures/plugins/no-plugin.mjs');
    expect(error.message).toContain('"./test/fixtures/plugins/no-plugin.mjs" exports no plugin');
    expect(error.message).toMatch(/definePlugin/);
  });

  it('fails with PLUGIN_FAILED when an installed package exports no plugin', async () => {
    // zod is installed and exports plenty, but nothing shaped like a plugin.
    const error = await loadError('zod');
    expect(error.message).toContain('"zod" exports no plugin');
  });

  it('loads a folder by its package.json "exports" entry, which wins over "main"', async () => {
    expect(ids(await loadPluginModule('./test/fixtures/plugins/folder-exports', ROOT))).toEqual(['fixture.folder-exports']);
    expect(ids(await loadPluginModule(resolve(FIXTURES, 'folder-exports') + '/', '/'))).toEqual(['fixture.folder-exports']);
    expect(ids(await loadPluginModule(pathToFileURL(resolve(FIXTURES, 'folder-exports')).href, '/'))).toEqual(['fixture.folder-exports']);
  });

  it('loads a folder by its package.json "main" when it has no "exports"', async () => {
    expect(ids(await loadPluginModule('./folder-main', FIXTURES))).toEqual(['fixture.folder-main']);
  });

  it('fails with PLUGIN_FAILED naming the folder and what its package.json lacks when it has no entry point', async () => {
    const error = await loadError('./test/fixtures/plugins/no-entry');
    expect(error.message).toContain('"./test/fixtures/plugins/no-entry"');
    expect(error.message).toContain('is a folder without an entry point (no package.json "exports" or "main", and no index.js)');
  });
});

