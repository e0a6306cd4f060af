import { configInvalid, describeValue } from '../errors.js';
import type { Plugin } from './define-plugin.js';

/** Where plugin configuration comes from: `createKernel`'s `pluginConfig` and `env`. */
export interface PluginConfigSources {
  /** `pluginConfig[<plugin id>]`: values that win over the environment. */
  readonly given?: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * Parses a plugin's configuration with its schema: the environment variables
 * it maps, then `pluginConfig[<id>]` over them, key by key. A bad value fails
 * with CONFIG_INVALID naming the plugin, the key and where the value came from.
 * Returns undefined for a plugin that declares no configuration.
 */
export function parsePluginConfig(plugin: Plugin, { given, env }: PluginConfigSources): Readonly<Record<string, unknown>> | undefined {
  const declaration = plugin.config;
  if (declaration === undefined) {
    if (given === undefined) return undefined;
    throw configInvalid(`pluginConfig["${plugin.id}"]`, `plugin "${plugin.id}" declares no configuration; remove pluginConfig["${plugin.id}"]`, {
      field: `pluginConfig.${plugin.id}`,
      details: { pluginId: plugin.id },
    });
  }
  if (given !== undefined && (given === null || typeof given !== 'object' || Array.isArray(given))) {
    throw configInvalid(
      `pluginConfig["${plugin.id}"]`,
      `expected an object of plugin "${plugin.id}"'s settings, e.g. { ${Object.keys(declaration.schema.shape)[0] ?? 'key'}: … }; received ${describeValue(given)}`,
      { field: `pluginConfig.${plugin.id}`, details: { pluginId: plugin.id } },
    );
  }
  const envNames: Readonly<Record<string, string | undefined>> = declaration.env ?? {};
  const raw: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const value = name === undefined ? undefined : env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const [key, value] of Object.entries(given ?? {})) if (value !== undefined) raw[key] = value;

  const parsed = declaration.schema.safeParse(raw);
  if (parsed.success) return Object.freeze(parsed.data as Record<string, unknown>);
  const issue: { readonly path: readonly PropertyKey[]; readonly message: string } = parsed.error.issues[0]!;
  const top = String(issue.path[0] ?? '');
  const key = issue.path.map(String).join('.');
  const envName = envNames[top];
  const fromOptions = given !== undefined && given[top] !== undefined;
  const secret = (declaration.secret as readonly string[] | undefined)?.includes(top) === true;
  const value = issue.path.reduce<unknown>((item, part) => (item as Record<PropertyKey, unknown> | undefined)?.[part], raw);
  const option = `pluginConfig["${plugin.id}"]${top ? `.${top}` : ''}`;
  const where = fromOptions ? option : envName ? `${envName} (or ${option})` : option;
  throw configInvalid(`${key ? `"${key}" ` : ''}of plugin "${plugin.id}"`, `${issue.message}; received ${secret ? '(hidden)' : describeValue(value)}. Fix ${where}`, {
    env: envName,
    field: `pluginConfig.${plugin.id}${key ? `.${key}` : ''}`,
    ...(secret ? {} : { value }),
    details: { pluginId: plugin.id, key, ...(envName ? { env: envName } : {}) },
  });
}

/** Refuses `pluginConfig` entries for plugins that are not loaded: a typo must not pass for "configured". */
export function checkPluginConfigIds(pluginConfig: Readonly<Record<string, unknown>>, loaded: readonly string[]): void {
  const unknown = Object.keys(pluginConfig).filter((id) => !loaded.includes(id));
  if (unknown.length === 0) return;
  throw configInvalid(`pluginConfig["${unknown[0]}"]`, `no loaded plugin has the id "${unknown[0]}"; configure one of ${loaded.join(', ') || '(none loaded)'}, or load the plugin`, {
    field: `pluginConfig.${unknown[0]}`,
    details: { pluginIds: unknown },
  });
}
