import type { EngineConfig } from '../config/engine-config.js';
import { CloudEngineError, pluginFailed } from '../errors.js';
import type { Logger } from '../logger.js';
import { unknownSecretFields } from '../secrets/secret-fields.js';
import type { ChatAdapter } from './chat-adapter.js';
import type { CloudProvider } from './cloud-provider.js';
import type { CostEstimator } from './cost-estimator.js';
import { definePlugin, type Plugin, type PluginContext, type ReadonlyRegistry } from './define-plugin.js';
import { checkPluginConfigIds, parsePluginConfig } from './plugin-config.js';
import type { PolicyValidator } from './policy-validator.js';
import type { KernelRegistries } from './registries.js';
import { Registry } from './registry.js';
import type { ResourceType } from './resource-type.js';

/** What plugins registered, and their ids in load order. */
export interface RegisteredPlugins {
  readonly registries: KernelRegistries;
  readonly loaded: readonly string[];
}

/** What registration reads besides the plugins themselves. */
export interface RegistrationOptions {
  readonly config: EngineConfig;
  readonly logger: Logger;
  /** The environment plugin configuration is read from (the kernel's `env`, default process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `createKernel`'s `pluginConfig`: settings by plugin id, over the environment. */
  readonly pluginConfig?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/**
 * Checks every plugin and parses its configuration, then runs each
 * `register`, in order, into fresh registries, and checks what they
 * registered. A bad value fails with CONFIG_INVALID, any other mistake with
 * PLUGIN_FAILED; both name the plugin.
 */
export async function registerPlugins(plugins: readonly Plugin[], options: RegistrationOptions): Promise<RegisteredPlugins> {
  const registries: KernelRegistries = {
    providers: new Registry<CloudProvider>('provider', (provider) => provider.id),
    resourceTypes: new Registry<ResourceType>('resource type', (type) => type.type),
    policyValidators: new Registry<PolicyValidator>('policy validator', (validator) => validator.id),
    costEstimators: new Registry<CostEstimator>('cost estimator', (estimator) => estimator.id),
    chatAdapters: new Registry<ChatAdapter>('chat adapter', (adapter) => adapter.id),
  };
  const seen = new Set<string>();
  for (const plugin of plugins) {
    try {
      definePlugin(plugin);
    } catch (error) {
      throw new CloudEngineError('PLUGIN_FAILED', `${(error as Error).message} Fix the plugin's definition or remove it from CLOUD_ENGINE_PLUGINS.`, {
        cause: error,
        details: { pluginId: plugin?.id },
      });
    }
    if (seen.has(plugin.id)) {
      throw pluginFailed(plugin.id, 'is loaded twice; each plugin id may appear once. Remove the duplicate from CLOUD_ENGINE_PLUGINS');
    }
    seen.add(plugin.id);
  }
  // Every plugin's configuration is checked before any plugin registers, so a bad value stops the kernel before work starts.
  const given = options.pluginConfig ?? {};
  const configs = plugins.map((plugin) => parsePluginConfig(plugin, { given: given[plugin.id], env: options.env }));
  checkPluginConfigIds(given, [...seen]);

  const engineConfig = Object.freeze({ ...options.config });
  let registering = true;
  for (const [index, plugin] of plugins.entries()) {
    const pluginId = plugin.id;
    const add =
      <T>(kind: string, registry: Registry<T>, keys: string[]) =>
      (item: T) => {
        if (!registering) {
          throw pluginFailed(pluginId, `adds a ${kind} after start-up; register(ctx) only declares, so add every contribution while it runs`, { details: { kind } });
        }
        registry.add({ pluginId, item: requireShape(pluginId, kind, item, keys) });
      };
    const ctx: PluginContext<unknown> = {
      pluginId,
      config: configs[index] ?? engineConfig,
      logger: options.logger.child({ plugin: pluginId }),
      resourceTypes: completeOnly(registries.resourceTypes, 'resourceTypes', pluginId, () => registering),
      addProvider: add('provider', registries.providers, ['id', 'configure', 'settingsSchema']),
      addResourceType: add('resource type', registries.resourceTypes, ['type', 'provider', 'quotaKey', 'schema', 'synthesize']),
      addPolicyValidator: add('policy validator', registries.policyValidators, ['id']),
      addCostEstimator: add('cost estimator', registries.costEstimators, ['id', 'estimate']),
      addChatAdapter: add('chat adapter', registries.chatAdapters, ['id', 'start', 'stop']),
    };
    try {
      await plugin.register(ctx);
    } catch (error) {
      if (error instanceof CloudEngineError) throw error;
      throw pluginFailed(pluginId, `failed while registering: ${(error as Error)?.message ?? String(error)}. Fix the plugin or remove it from CLOUD_ENGINE_PLUGINS`, { cause: error });
    }
  }
  registering = false;
  for (const { pluginId, item } of registries.resourceTypes.entries()) {
    if (!registries.providers.has(item.provider)) {
      throw pluginFailed(
        pluginId,
        `registers resource type "${item.type}" for provider "${item.provider}", which no loaded plugin provides. Load the provider's plugin first, or fix the type's provider`,
        { details: { type: item.type, provider: item.provider } },
      );
    }
    const unknownSecrets = unknownSecretFields(item);
    if (unknownSecrets.length > 0) {
      throw pluginFailed(
        pluginId,
        `registers resource type "${item.type}" with secretFields ${unknownSecrets.map((field) => JSON.stringify(field)).join(', ')}, which its schema does not have; name fields of its schema (${Object.keys(item.schema.shape).join(', ') || 'none'})`,
        { details: { type: item.type, secretFields: unknownSecrets } },
      );
    }
    if (!item.type.startsWith(`${item.provider}.`)) {
      throw pluginFailed(pluginId, `registers resource type "${item.type}"; its name must start with its provider, "${item.provider}."`, { details: { type: item.type } });
    }
  }
  return { registries, loaded: [...seen] };
}

/** A read-only view of `registry` that refuses to be read while plugins are still registering: it would be incomplete. */
function completeOnly<T>(registry: Registry<T>, name: string, pluginId: string, registering: () => boolean): ReadonlyRegistry<T> {
  const ready = () => {
    if (!registering()) return registry;
    throw pluginFailed(
      pluginId,
      `reads ctx.${name} while plugins are still registering, when it holds only what registered so far. Read it from a contribution (validateSession, estimate, …), which runs once every plugin has registered`,
      { details: { kind: registry.kind } },
    );
  };
  return {
    get: (key) => ready().get(key),
    has: (key) => ready().has(key),
    list: () => ready().list(),
    keys: () => ready().keys(),
    pluginOf: (key) => ready().pluginOf(key),
  };
}

function requireShape<T>(pluginId: string, kind: string, item: T, keys: string[]): T {
  const missing = keys.filter((key) => (item as Record<string, unknown> | null)?.[key] === undefined);
  if (missing.length > 0) {
    throw pluginFailed(pluginId, `registers a ${kind} without ${missing.join(', ')}. See docs/plugins.md for the ${kind} contract`, { details: { kind, missing } });
  }
  return item;
}
