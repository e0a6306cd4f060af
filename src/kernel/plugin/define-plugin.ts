import type { z } from 'zod';
import type { Logger } from '../logger.js';
import type { ChatAdapter } from './chat-adapter.js';
import type { CloudProvider } from './cloud-provider.js';
import type { CostEstimator } from './cost-estimator.js';
import type { PolicyValidator } from './policy-validator.js';
import type { ResourceType } from './resource-type.js';

/** A registry as plugins see it: read-only, and complete only once every plugin has registered. */
export interface ReadonlyRegistry<T> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  list(): T[];
  keys(): string[];
  /** The id of the plugin that contributed `key`. */
  pluginOf(key: string): string | undefined;
}

/** What a plugin may do while registering; it never touches the DI container. */
export interface PluginContext<C = Readonly<Record<string, unknown>>> {
  readonly pluginId: string;
  /**
   * This plugin's configuration, parsed by its `config.schema` at start-up
   * (`pluginConfig[<id>]` over the environment variables it maps), frozen.
   * A plugin that declares no `config` gets the engine's configuration,
   * read-only, as plugins always have.
   */
  readonly config: C;
  readonly logger: Logger;
  /**
   * Every registered resource type, from all plugins. Read it from your
   * contributions (a policy's `validateSession`, an estimator's `estimate`),
   * never in `register`: until every plugin has registered it is incomplete,
   * and reading it throws.
   */
  readonly resourceTypes: ReadonlyRegistry<ResourceType>;
  addProvider(provider: CloudProvider): void;
  addResourceType(type: ResourceType): void;
  addPolicyValidator(validator: PolicyValidator): void;
  addCostEstimator(estimator: CostEstimator): void;
  addChatAdapter(adapter: ChatAdapter): void;
}

/** Environment variable names by configuration key; only keys of the schema. */
export type PluginEnv<S extends z.ZodObject> = { readonly [K in keyof S['shape']]?: string };

/** A plugin's own configuration: a zod object schema, and which environment variable feeds which key. */
export interface PluginConfig<S extends z.ZodObject = z.ZodObject> {
  /** Validated at start-up; a bad value stops the kernel with CONFIG_INVALID naming the plugin, the key and its variable. */
  readonly schema: S;
  /** `{ key: 'ENV_VAR' }`: read from the kernel's `env` (default process.env); an empty variable counts as unset; `pluginConfig` wins. */
  readonly env?: NoInfer<PluginEnv<S>>;
  /** Keys whose values are never repeated in errors (tokens, passwords). */
  readonly secret?: readonly NoInfer<keyof S['shape'] & string>[];
}

/** A unit of extension: built-in and external plugins are loaded the same way. */
export interface Plugin {
  /** Unique id, lowercase letters, digits, dots and dashes (`aws`, `acme.sqs`). */
  readonly id: string;
  /** The plugin's own configuration, if it has any; parsed into `ctx.config`. */
  readonly config?: PluginConfig<any>;
  /** Declares contributions; must not start work (the kernel starts adapters later). */
  register(ctx: PluginContext<any>): void | Promise<void>;
}

/** The type of `ctx.config`: the parsed schema of a plugin's `config`, else the engine configuration. */
export type PluginConfigOf<S extends z.ZodObject> = [S] extends [never] ? Readonly<Record<string, unknown>> : Readonly<z.output<S>>;

/** What `definePlugin` takes; a `config` schema types `ctx.config`. */
export interface PluginDefinition<S extends z.ZodObject = never> {
  readonly id: string;
  readonly config?: PluginConfig<S>;
  register(ctx: PluginContext<PluginConfigOf<S>>): void | Promise<void>;
}

const PLUGIN_ID = /^[a-z0-9][a-z0-9.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Declares a plugin; the one way to extend the kernel. `register` only
 * declares contributions; with a `config` declaration, `ctx.config` is the
 * parsed, typed value of its schema.
 */
export function definePlugin<S extends z.ZodObject = never>(plugin: PluginDefinition<S>): Plugin {
  if (typeof plugin?.id !== 'string' || !PLUGIN_ID.test(plugin.id)) {
    throw new TypeError(
      `definePlugin: invalid plugin id ${JSON.stringify(plugin?.id)}; use 1-64 lowercase letters, digits, dots and dashes, starting with a letter or digit (e.g. "acme.sqs").`,
    );
  }
  if (typeof plugin.register !== 'function') {
    throw new TypeError(`definePlugin: plugin "${plugin.id}" has no register(ctx) function.`);
  }
  if (plugin.config !== undefined) checkConfigDeclaration(plugin.id, plugin.config as PluginConfig<any>);
  return plugin as Plugin;
}

function checkConfigDeclaration(id: string, config: PluginConfig): void {
  const shape = (config?.schema as { shape?: unknown } | undefined)?.shape;
  if (typeof config?.schema?.safeParse !== 'function' || shape === null || typeof shape !== 'object') {
    throw new TypeError(`definePlugin: plugin "${id}" declares config without a zod object schema; use config: { schema: z.object({ … }) }.`);
  }
  const keys = Object.keys(shape);
  for (const [key, name] of Object.entries(config.env ?? {})) {
    if (!keys.includes(key)) {
      throw new TypeError(`definePlugin: plugin "${id}" maps the environment variable ${JSON.stringify(name)} to "${key}", which its config schema does not have; use one of ${keys.join(', ') || '(none)'}.`);
    }
    if (typeof name !== 'string' || !ENV_NAME.test(name)) {
      throw new TypeError(`definePlugin: plugin "${id}" maps "${key}" to ${JSON.stringify(name)}, which is not an environment variable name (letters, digits and _, e.g. "ACME_REGION").`);
    }
  }
  for (const key of config.secret ?? []) {
    if (!keys.includes(key)) throw new TypeError(`definePlugin: plugin "${id}" names "${key}" secret, which its config schema does not have; use one of ${keys.join(', ') || '(none)'}.`);
  }
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
