import { totalmem } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { Container } from 'inversify';
import { Authorizer } from './access/authorizer.js';
import { AccessService, AccessServiceToken } from './access/access-service.js';
import { GrantAuthorizer } from './access/grant-authorizer.js';
import { QuotaService, QuotaServiceToken } from './quotas/quota-service.js';
import { AuditLog, AuditLogToken } from './audit/audit-log.js';
import { EngineConfig, loadConfig, type KernelOptions } from './config/engine-config.js';
import { CloudEngineError } from './errors.js';
import { KernelEvents, KernelEventsToken } from './events/kernel-events.js';
import { Logger, createLogger } from './logger.js';
import { PluginStateStore, type PluginState } from './plugin/plugin-state.js';
import { SealedBox, SealedBoxToken } from './secrets/sealed-box.js';
import { Redactor, RedactorToken } from './secrets/redactor.js';
import { unknownSecretFields } from './secrets/secret-fields.js';
import { DatabaseToken, openDatabase, type Database } from './persistence/database.js';
import type { ChatAdapter } from './plugin/chat-adapter.js';
import type { CloudProvider } from './plugin/cloud-provider.js';
import type { CostEstimator } from './plugin/cost-estimator.js';
import { definePlugin, type Plugin, type PluginContext } from './plugin/define-plugin.js';
import { loadPluginModule } from './plugin/plugin-loader.js';
import type { PolicyValidator } from './plugin/policy-validator.js';
import {
  ChatAdapterRegistry,
  CostEstimatorRegistry,
  PolicyValidatorRegistry,
  ProviderRegistry,
  ResourceTypeRegistry,
} from './plugin/registries.js';
import { Registry } from './plugin/registry.js';
import type { ResourceType } from './plugin/resource-type.js';
import { ProjectService, ProjectServiceToken } from './projects/project-service.js';
import {
  Orchestrator,
  OrchestratorToken,
  SessionLocksToken,
  StackSynthesizerToken,
  TerraformRunnerToken,
} from './sessions/orchestrator.js';
import { SessionLocks } from './sessions/session-lock.js';
import { StackSynthesizer } from './synth/stack-synthesizer.js';
import { TerraformRunner } from './terraform/terraform-runner.js';
import { ProviderPool } from './terraform/provider-pool.js';
import { builtinPlugins } from '../plugins/builtin-plugins.js';

/** The registries of everything plugins contributed. */
export interface KernelRegistries {
  readonly providers: Registry<CloudProvider>;
  readonly resourceTypes: Registry<ResourceType>;
  readonly policyValidators: Registry<PolicyValidator>;
  readonly costEstimators: Registry<CostEstimator>;
  readonly chatAdapters: Registry<ChatAdapter>;
}

/** A running Cloud Engine: the programmatic API that chat adapters use too. */
export interface Kernel {
  readonly config: EngineConfig;
  readonly logger: Logger;
  readonly projects: ProjectService;
  readonly orchestrator: Orchestrator;
  readonly audit: AuditLog;
  /** Just-in-time grants: read < deploy < admin per project. */
  readonly access: AccessService;
  /** Per-project limits by quota key, and usage. */
  readonly quotas: QuotaService;
  readonly events: KernelEvents;
  readonly authorizer: Authorizer;
  /** Hides secrets in what is shown to people (chat, lists, lobbies): patterns, credential values, secret key names. */
  readonly redactor: Redactor;
  readonly registries: KernelRegistries;
  /** Small JSON values a plugin keeps across restarts (chat adapters: where they posted what). */
  pluginState(pluginId: string): PluginState;
  /** Ids of the loaded plugins, in load order. */
  readonly plugins: readonly string[];
  /** Starts every enabled chat adapter. */
  startChatAdapters(): Promise<string[]>;
  /** Stops adapters and running terraform work, closes the database. */
  close(): Promise<void>;
}

/** Builds the container, loads plugins, opens and migrates the database. */
export async function createKernel(options: KernelOptions = {}): Promise<Kernel> {
  const config = loadConfig(options);
  const redactor = Redactor.forEnvironment(config.secretPatterns, options.env ?? process.env, config.redactKeys);
  const logger = createLogger(config.logLevel, (text) => redactor.redact(text), options.logDestination);
  const registries: KernelRegistries = {
    providers: new Registry<CloudProvider>('provider', (provider) => provider.id),
    resourceTypes: new Registry<ResourceType>('resource type', (type) => type.type),
    policyValidators: new Registry<PolicyValidator>('policy validator', (validator) => validator.id),
    costEstimators: new Registry<CostEstimator>('cost estimator', (estimator) => estimator.id),
    chatAdapters: new Registry<ChatAdapter>('chat adapter', (adapter) => adapter.id),
  };

  const plugins: Plugin[] = [...(options.builtinPlugins === false ? [] : builtinPlugins), ...(options.extraPlugins ?? [])];
  for (const specifier of config.plugins) plugins.push(...(await loadPluginModule(specifier)));
  const loaded = await registerPlugins(plugins, registries, config, logger);

  const database = await openDatabase(config.dataDir, options.database);
  const container = new Container();
  container.bind(EngineConfig).toConstantValue(config);
  container.bind(Logger).toConstantValue(logger);
  container.bind(RedactorToken).toConstantValue(redactor);
  container.bind(SealedBoxToken).toConstantValue(await SealedBox.open(config.dataDir, config.secretKey));
  container.bind(DatabaseToken).toConstantValue(database);
  container.bind(KernelEventsToken).toConstantValue(
    new KernelEvents((event, error) => logger.error({ err: error, event }, 'event listener failed')),
  );
  container.bind(ProviderRegistry).toConstantValue(registries.providers);
  container.bind(ResourceTypeRegistry).toConstantValue(registries.resourceTypes);
  container.bind(PolicyValidatorRegistry).toConstantValue(registries.policyValidators);
  container.bind(CostEstimatorRegistry).toConstantValue(registries.costEstimators);
  container.bind(ChatAdapterRegistry).toConstantValue(registries.chatAdapters);
  container.bind(AccessServiceToken).to(AccessService).inSingletonScope();
  container.bind(Authorizer).to(GrantAuthorizer).inSingletonScope();
  container.bind(QuotaServiceToken).to(QuotaService).inSingletonScope();
  container.bind(AuditLogToken).to(AuditLog).inSingletonScope();
  container.bind(ProjectServiceToken).to(ProjectService).inSingletonScope();
  container.bind(SessionLocksToken).toConstantValue(new SessionLocks());
  container.bind(StackSynthesizerToken).toConstantValue(new StackSynthesizer(registries.providers, registries.resourceTypes));
  container.bind(TerraformRunnerToken).toConstantValue(
    new TerraformRunner({
      binary: config.terraformBin,
      pluginDir: config.tfPluginDir,
      maxConcurrent: config.maxTerraform,
      // New sessions whose terraform block was initialized before are set up by linking, not by `terraform init`.
      initCacheDir: join(config.dataDir, 'cache', 'init'),
      // One process per terraform slot, plus room for the spare that keeps the next plan from waiting on a start.
      providerPool:
        config.providerPool === 'on'
          ? new ProviderPool({
              maxProcesses: config.providerPoolSize ?? config.maxTerraform + 1,
              memoryBudgetMiB: config.providerPoolMemory ?? Math.min(2048, Math.floor(totalmem() / 4 / 1024 / 1024)),
              logger,
            })
          : undefined,
      timeouts: { init: config.timeouts.init, plan: config.timeouts.plan, apply: config.timeouts.apply, show: config.timeouts.plan, output: config.timeouts.init, state: config.timeouts.init },
      logger,
    }),
  );
  container.bind(OrchestratorToken).to(Orchestrator).inSingletonScope();

  const kernel = new RunningKernel(container, config, logger, database, registries, loaded);
  const recovered = await kernel.orchestrator.recoverInterrupted();
  if (recovered.length) logger.warn({ sessions: recovered }, 'resolved sessions interrupted by a stopped process');
  return kernel;
}

async function registerPlugins(plugins: readonly Plugin[], registries: KernelRegistries, config: EngineConfig, logger: Logger): Promise<string[]> {
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
  return [...seen];
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

class RunningKernel implements Kernel {
  readonly projects: ProjectService;
  readonly orchestrator: Orchestrator;
  readonly audit: AuditLog;
  readonly access: AccessService;
  readonly quotas: QuotaService;
  readonly events: KernelEvents;
  readonly authorizer: Authorizer;
  readonly redactor: Redactor;
  private readonly started: ChatAdapter[] = [];
  private readonly runner: TerraformRunner;
  private readonly state: PluginStateStore;
  private closed = false;

  constructor(
    container: Container,
    readonly config: EngineConfig,
    readonly logger: Logger,
    private readonly database: Database,
    readonly registries: KernelRegistries,
    readonly plugins: readonly string[],
  ) {
    this.projects = container.get(ProjectServiceToken);
    this.orchestrator = container.get(OrchestratorToken);
    this.audit = container.get(AuditLogToken);
    this.access = container.get(AccessServiceToken);
    this.quotas = container.get(QuotaServiceToken);
    this.events = container.get(KernelEventsToken);
    this.authorizer = container.get(Authorizer);
    this.redactor = container.get(RedactorToken);
    this.runner = container.get(TerraformRunnerToken);
    this.state = new PluginStateStore(database);
  }

  pluginState(pluginId: string): PluginState {
    return this.state.for(pluginId);
  }

  async startChatAdapters(): Promise<string[]> {
    for (const adapter of this.registries.chatAdapters.list()) {
      if (adapter.enabled && !adapter.enabled()) continue;
      await adapter.start(this);
      this.started.push(adapter);
    }
    return this.started.map((adapter) => adapter.id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const adapter of this.started.reverse()) {
      await adapter.stop().catch((error: unknown) => this.logger.error({ err: error, adapter: adapter.id }, 'chat adapter failed to stop'));
    }
    await this.orchestrator.shutdown();
    await this.runner.close();
    await this.database.close();
    this.events.removeAll();
    this.logger.flush();
  }
}
