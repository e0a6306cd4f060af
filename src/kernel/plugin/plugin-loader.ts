import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CloudEngineError } from '../errors.js';
import { isPlugin, type Plugin } from './define-plugin.js';

/**
 * Loads the plugins a module specifier exports: its default export, a
 * `plugin` export or a `plugins` array. Paths are relative to `cwd`; bare
 * specifiers resolve from `cwd`'s node_modules, as a user would expect.
 */
export async function loadPluginModule(specifier: string, cwd = process.cwd()): Promise<Plugin[]> {
  let module: Record<string, unknown>;
  try {
    module = (await import(resolveSpecifier(specifier, cwd))) as Record<string, unknown>;
  } catch (error) {
    throw new CloudEngineError(
      'PLUGIN_FAILED',
      `Could not load plugin module "${specifier}" (CLOUD_ENGINE_PLUGINS): ${(error as Error).message}. Check the path or install the package.`,
      { cause: error, details: { specifier } },
    );
  }
  const candidates = [module.default, module.plugin, ...(Array.isArray(module.plugins) ? module.plugins : [])].flatMap((value) =>
    Array.isArray(value) ? value : [value],
  );
  const plugins = [...new Set(candidates.filter(isPlugin))];
  if (plugins.length === 0) {
    throw new CloudEngineError(
      'PLUGIN_FAILED',
      `Module "${specifier}" exports no plugin. Export one made with definePlugin({ id, register }) as the default export, as "plugin", or in a "plugins" array.`,
      { details: { specifier } },
    );
  }
  return plugins;
}

function resolveSpecifier(specifier: string, cwd: string): string {
  if (specifier.startsWith('file:')) return specifier;
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    return pathToFileURL(isAbsolute(specifier) ? specifier : resolve(cwd, specifier)).href;
  }
  try {
    return pathToFileURL(createRequire(join(cwd, 'package.json')).resolve(specifier)).href;
  } catch {
    // ESM-only packages without a "require" condition: let import() resolve it.
    return specifier;
  }
}
