import type { Logger } from '../logger.js';
import type { ChatAdapter } from './chat-adapter.js';
import type { CloudProvider } from './cloud-provider.js';
import type { CostEstimator } from './cost-estimator.js';
import type { PolicyValidator } from './policy-validator.js';
import type { ResourceType } from './resource-type.js';

/** What a plugin may do while registering; it never touches the DI container. */
export interface PluginContext {
  readonly pluginId: string;
  /** The validated engine configuration, read-only. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  addProvider(provider: CloudProvider): void;
  addResourceType(type: ResourceType): void;
  addPolicyValidator(validator: PolicyValidator): void;
  addCostEstimator(estimator: CostEstimator): void;
  addChatAdapter(adapter: ChatAdapter): void;
}

/** A unit of extension: built-in and external plugins are loaded the same way. */
export interface Plugin {
  /** Unique id, lowercase letters, digits, dots and dashes (`aws`, `acme.sqs`). */
  readonly id: string;
  /** Declares contributions; must not start work (the kernel starts adapters later). */
  register(ctx: PluginContext): void | Promise<void>;
}

const PLUGIN_ID = /^[a-z0-9][a-z0-9.-]{0,63}$/;

/** Declares a plugin; the one way to extend the kernel. */
export function definePlugin(plugin: Plugin): Plugin {
  if (typeof plugin?.id !== 'string' || !PLUGIN_ID.test(plugin.id)) {
    throw new TypeError(
      `definePlugin: invalid plugin id ${JSON.stringify(plugin?.id)}; use 1-64 lowercase letters, digits, dots and dashes, starting with a letter or digit (e.g. "acme.sqs").`,
    );
  }
  if (typeof plugin.register !== 'function') {
    throw new TypeError(`definePlugin: plugin "${plugin.id}" has no register(ctx) function.`);
  }
  return plugin;
}

/** Whether a module export looks like a plugin (used when loading by specifier). */
export function isPlugin(value: unknown): value is Plugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Plugin).id === 'string' &&
    typeof (value as Plugin).register === 'function'
  );
}
