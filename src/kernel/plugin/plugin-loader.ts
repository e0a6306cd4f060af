import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CloudEngineError } from '../errors.js';
import { isPlugin, type Plugin } from './define-plugin.js';
import type { PluginFolder } from './host-packages.hook.js';

/**
 * Loads the plugins a module specifier exports: its default export, a
 * `plugin` export or a `plugins` array. Paths (a file, or a folder with a
 * package.json) are relative to `cwd`, and what they import of cloud-engine
 * and the packages it shares resolves to the host's copies; bare specifiers
 * resolve from `cwd`'s node_modules, as a user would expect.
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
  if (specifier.startsWith('file:') || specifier.startsWith('.') || isAbsolute(specifier)) {
    const path = specifier.startsWith('file:') ? fileURLToPath(specifier) : resolve(cwd, specifier);
    const entry = existsSync(path) && statSync(path).isDirectory() ? folderEntry(path) : path;
    shareHostPackages(entry);
    return pathToFileURL(entry).href;
  }
  try {
    return pathToFileURL(createRequire(join(cwd, 'package.json')).resolve(specifier)).href;
  } catch {
    // ESM-only packages without a "require" condition: let import() resolve it.
    return specifier;
  }
}

interface Manifest {
  readonly name?: string;
  readonly main?: string;
  readonly exports?: unknown;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

function readManifest(dir: string): Manifest | undefined {
  const file = join(dir, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Manifest) : undefined;
}

/** A folder's entry point, as its package.json names it ("exports" ".", else "main"), else index.js. */
function folderEntry(dir: string): string {
  const manifest = readManifest(dir);
  const target = exportsEntry(manifest?.exports) ?? manifest?.main;
  const candidates = target === undefined ? ['index.js', 'index.mjs'] : [target, `${target}.js`, join(target, 'index.js')];
  for (const candidate of candidates) {
    const file = resolve(dir, candidate);
    if (existsSync(file) && statSync(file).isFile()) return file;
  }
  throw new Error(
    `${dir} is a folder without an entry point (${target === undefined ? 'no package.json "exports" or "main", and no index.js' : `its package.json names ${JSON.stringify(target)}, which does not exist`}); name the plugin's file, or fix its package.json`,
  );
}

/** The "." entry of a package.json "exports", under the conditions an ES module import meets (node, import, default). */
function exportsEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (Array.isArray(exports)) return exports.map(exportsEntry).find((entry) => entry !== undefined);
  if (exports === null || typeof exports !== 'object') return undefined;
  const map = exports as Record<string, unknown>;
  if (Object.keys(map).some((key) => key.startsWith('.'))) return exportsEntry(map['.']);
  for (const [condition, target] of Object.entries(map)) {
    if (condition !== 'node' && condition !== 'import' && condition !== 'default') continue;
    const entry = exportsEntry(target);
    if (entry !== undefined) return entry;
  }
  return undefined;
}

const HOOK = new URL('./host-packages.hook.js', import.meta.url);
const shared = new Set<string>();

/**
 * Makes the plugin at `entry` import cloud-engine and the packages the host
 * depends on (plus the plugin's peerDependencies) from the host: from a
 * clone, the plugin's folder has no node_modules of its own. The folder is
 * the plugin's package (nearest package.json), else the entry's directory.
 */
function shareHostPackages(entry: string): void {
  // From TypeScript sources (tests) the hook is not compiled, and the test runner resolves imports itself.
  if (!existsSync(fileURLToPath(HOOK))) return;
  const host = hostPackage();
  if (host === undefined) return;
  const folder = packageDir(dirname(entry));
  const root = folder === undefined || folder === host.dir ? dirname(entry) : folder;
  if (shared.has(root)) return;
  shared.add(root);
  const data: PluginFolder = {
    root: pathToFileURL(join(root, '/')).href,
    host: pathToFileURL(join(host.dir, 'package.json')).href,
    shared: [
      'cloud-engine',
      ...Object.keys(host.manifest.dependencies ?? {}),
      ...Object.keys((root === folder ? readManifest(root)?.peerDependencies : undefined) ?? {}),
    ],
  };
  register(HOOK, { data });
}

/** This package (cloud-engine): its folder and package.json. */
function hostPackage(): { dir: string; manifest: Manifest } | undefined {
  for (let dir = packageDir(dirname(fileURLToPath(import.meta.url))); dir !== undefined; dir = packageDir(dirname(dir))) {
    const manifest = readManifest(dir)!;
    if (manifest.name === 'cloud-engine') return { dir, manifest };
    if (dirname(dir) === dir) break;
  }
  return undefined;
}

/** The nearest folder at or above `dir` with a package.json. */
function packageDir(dir: string): string | undefined {
  for (let current = dir; ; current = dirname(current)) {
    if (existsSync(join(current, 'package.json'))) return current;
    if (dirname(current) === current) return undefined;
  }
}
