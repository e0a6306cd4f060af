import type { EngineConfig } from '../config/engine-config.js';
import { CloudEngineError } from '../errors.js';
import type { Logger } from '../logger.js';
import { unknownSecretFields } from '../secrets/secret-fields.js';
import type { ChatAdapter } from './chat-adapter.js';
import type { CloudProvider } from './cloud-provider.js';
import type { CostEstimator } from './cost-estimator.js';
import { definePlugin, type Plugin, type PluginContext } from './define-plugin.js';
import type { PolicyValidator } from './policy-validator.js';
import type { KernelRegistries } from './registries.js';
import { Registry } from './registry.js';
import type { ResourceType } from './resource-type.js';

/** What plugins registered, and their ids in load order. */
export interface RegisteredPlugins {
  readonly registries: KernelRegistries;
  readonly loaded: readonly string[];
}

/**
 * Runs every plugin's `register`, in order, into fresh registries, and checks
 * what they registered; any mistake throws PLUGIN_FAILED naming the plugin.
 */
export async function registerPlugins(plugins: readonly Plugin[], config: EngineConfig, logger: Logger): Promise<RegisteredPlugins> {
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
      throw new CloudEngineError('PLUGIN_FAILED', `${(error as Error).message} Fix the plugin's id or remove it from CLOUD_ENGINE_PLUGINS.`, {
        cause: error,
        details: { pluginId: plugin?.id },
      });
    }
    if (seen.has(plugin.id)) {
      throw new CloudEngineError('PLUGIN_FAILED', `Plugin "${plugin.id}" is loaded twice; each plugin id may appear once. Remove the duplicate from CLOUD_ENGINE_PLUGINS.`, {
        details: { pluginId: plugin.id },
      });
    }
    seen.add(plugin.id);
    const pluginId = plugin.id;
    const ctx: PluginContext = {
      pluginId,
      config: Object.freeze({ ...config }),
      logger: logger.child({ plugin: pluginId }),
      addProvider: (item) => registries.providers.add({ pluginId, item: requireShape(pluginId, 'provider', item, ['id', 'configure', 'settingsSchema']) }),
      addResourceType: (item) => registries.resourceTypes.add({ pluginId, item: requireShape(pluginId, 'resource type', item, ['type', 'provider', 'quotaKey', 'schema', 'synthesize']) }),
      addPolicyValidator: (item) => registries.policyValidators.add({ pluginId, item: requireShape(pluginId, 'policy validator', item, ['id']) }),
      addCostEstimator: (item) => registries.costEstimators.add({ pluginId, item: requireShape(pluginId, 'cost estimator', item, ['id', 'estimate']) }),
      addChatAdapter: (item) => registries.chatAdapters.add({ pluginId, item: requireShape(pluginId, 'chat adapter', item, ['id', 'start', 'stop']) }),
    };
    try {
      await plugin.register(ctx);
    } catch (error) {
      if (error instanceof CloudEngineError) throw error;
      throw new CloudEngineError('PLUGIN_FAILED', `Plugin "${pluginId}" failed while registering: ${(error as Error)?.message ?? String(error)}. Fix the plugin or remove it from CLOUD_ENGINE_PLUGINS.`, {
        cause: error,
        details: { pluginId },
      });
    }
  }
  for (const { pluginId, item } of registries.resourceTypes.entries()) {
    if (!registries.providers.has(item.provider)) {
      throw new CloudEngineError(
        'PLUGIN_FAILED',
        `Plugin "${pluginId}" registers resource type "${item.type}" for provider "${item.provider}", which no loaded plugin provides. Load the provider's plugin first, or fix the type's provider.`,
        { details: { pluginId, type: item.type, provider: item.provider } },
      );
    }
    const unknownSecrets = unknownSecretFields(item);
    if (unknownSecrets.length > 0) {
      throw new CloudEngineError(
        'PLUGIN_FAILED',
        `Plugin "${pluginId}" registers resource type "${item.type}" with secretFields ${unknownSecrets.map((field) => JSON.stringify(field)).join(', ')}, which its schema does not have; name fields of its schema (${Object.keys(item.schema.shape).join(', ') || 'none'}).`,
        { details: { pluginId, type: item.type, secretFields: unknownSecrets } },
      );
    }
    if (!item.type.startsWith(`${item.provider}.`)) {
      throw new CloudEngineError('PLUGIN_FAILED', `Plugin "${pluginId}" registers resource type "${item.type}"; its name must start with its provider, "${item.provider}.".`, {
        details: { pluginId, type: item.type },
      });
    }
  }
  return { registries, loaded: [...seen] };
}

function requireShape<T>(pluginId: string, kind: string, item: T, keys: string[]): T {
  const missing = keys.filter((key) => (item as Record<string, unknown> | null)?.[key] === undefined);
  if (missing.length > 0) {
    throw new CloudEngineError('PLUGIN_FAILED', `Plugin "${pluginId}" registers a ${kind} without ${missing.join(', ')}. See docs/plugins.md for the ${kind} contract.`, {
      details: { pluginId, kind, missing },
    });
  }
  return item;
}
