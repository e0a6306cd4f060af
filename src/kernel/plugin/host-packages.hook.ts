// A module resolve hook (module.register), run on Node's hooks thread. A plugin
// loaded from a folder or file has no node_modules of its own, or a different
// one: its imports of packages the host shares (cloud-engine, zod, cdktf, …)
// are resolved from the host package instead, so plugin and kernel use one
// copy of each (zod's classes, CloudEngineError, cdktf's constructs).
import type { InitializeHook, ResolveHook } from 'node:module';

/** One plugin folder: file URLs of its root (ending in `/`) and of the host's package.json, and the packages to share. */
export interface PluginFolder {
  readonly root: string;
  readonly host: string;
  readonly shared: readonly string[];
}

const folders: PluginFolder[] = [];

export const initialize: InitializeHook<PluginFolder> = (folder) => {
  folders.push(folder);
};

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const parent = context.parentURL;
  const folder = parent === undefined || !isBare(specifier) ? undefined : folders.find((item) => within(parent, item.root));
  if (folder && folder.shared.includes(packageName(specifier))) {
    try {
      return await nextResolve(specifier, { ...context, parentURL: folder.host });
    } catch {
      // Not in the host either: let the plugin's own node_modules (if any) answer, with its own error.
    }
  }
  return nextResolve(specifier, context);
};

function isBare(specifier: string): boolean {
  return !/^[./#]/.test(specifier) && !/^[a-z][a-z0-9+.-]*:/i.test(specifier);
}

/** Inside the plugin's folder, but not in a node_modules below it (its dependencies keep their own resolution). */
function within(url: string, root: string): boolean {
  return url.startsWith(root) && !url.slice(root.length).split('/').includes('node_modules');
}

/** `@scope/name/deep/path.js` → `@scope/name`; `name/deep` → `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
