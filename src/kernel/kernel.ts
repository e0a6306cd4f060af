import { totalmem } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import { Container } from 'inversify';
import { Authorizer } from './access/authorizer.js';
import { AccessService, AccessServiceToken } from './access/access-service.js';
import { GrantAuthorizer } from './access/grant-authorizer.js';
import { QuotaService, QuotaServiceToken } from './quotas/quota-service.js';
import { AuditLog, AuditLogToken } from './audit/audit-log.js';
import { EngineConfig, loadConfig, type KernelConfigOptions } from './config/engine-config.js';
import { KernelEvents, KernelEventsToken } from './events/kernel-events.js';
import { Logger, createLogger } from './logger.js';
import { PluginStateStore, type PluginState } from './plugin/plugin-state.js';
import { SealedBox, SealedBoxToken } from './secrets/sealed-box.js';
import { Redactor, RedactorToken } from './secrets/redactor.js';
import { DatabaseToken, openDatabase, type Database } from './persistence/database.js';
import { chatApiOf, type ChatAdapter } from './plugin/chat-adapter.js';
import type { Plugin } from './plugin/define-plugin.js';
import { registerPlugins } from './plugin/register-plugins.js';
import {
  CostEstimatorRegistry,
  PolicyValidatorRegistry,
  ProviderRegistry,
  ResourceTypeRegistry,
  type KernelRegistries,
} from './plugin/registries.js';
import { ProjectService, ProjectServiceToken } from './projects/project-service.js';
import { DeploymentService, DeploymentServiceToken } from './deployments/deployment-service.js';
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
import { ClockToken, systemClock, type Clock } from './lifecycle/clock.js';
import { LifecycleService, LifecycleServiceToken } from './lifecycle/lifecycle-service.js';
import { lifecycleInterval } from './lifecycle/lifecycle-interval.js';
import { SignInStore } from './sign-ins/sign-in-store.js';
import { JobDispatchToken, type JobDispatch } from './jobs/job-dispatch.js';
import { openJobs, sharedStateDefaults } from './jobs/job-queue-setup.js';
import { JobWorker } from './jobs/job-worker.js';
import { PgBossJobs } from './jobs/pg-boss-jobs.js';
import { WorkerLiveness } from './jobs/worker-liveness.js';
import { EventRelay } from './jobs/event-relay.js';
import { Leadership } from './jobs/leadership.js';

export type { KernelRegistries } from './plugin/registries.js';

/** A running Cloud Engine: the programmatic API that chat adapters use too. */
export interface Kernel {
  readonly config: EngineConfig;
  readonly logger: Logger;
  readonly projects: ProjectService;
  readonly orchestrator: Orchestrator;
  /** The long-lived deployments sessions change: list and get. */
  readonly deployments: DeploymentService;
  readonly audit: AuditLog;
  /** Just-in-time grants: read < deploy < admin per project. */
  readonly access: AccessService;
  /** Per-project limits by quota key, and usage. */
  readonly quotas: QuotaService;
  readonly events: KernelEvents;
  /** Deployments that expire: `runDue()` performs the reminders and teardowns due at the clock's now. */
  readonly lifecycle: LifecycleService;
  /** The kernel's clock (`createKernel({ clock })`, else the system's): what "now" is for expiries and what adapters show. */
  readonly clock: Clock;
  readonly authorizer: Authorizer;
  /** Hides secrets in what is shown to people (chat, lists, lobbies): patterns, credential values, secret key names. */
  readonly redactor: Redactor;
  /** Sign-in from chat to the dashboard: single-use links and the browser sessions they open. */
  readonly signIns: SignInStore;
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

/**
 * Builds the container, registers `plugins` (in order), opens and migrates
 * the database. The kernel loads no plugin by itself: the engine
 * (`src/engine.ts`) passes the built-ins and whatever the user named.
 */
export async function createKernel(options: KernelConfigOptions = {}, plugins: readonly Plugin[] = []): Promise<Kernel> {
  const config = loadConfig(options);
  const env = options.env ?? process.env;
  const interval = lifecycleInterval(options.lifecycleInterval, env);
  const redactor = Redactor.forEnvironment(config.secretPatterns, env, config.redactKeys);
  const logger = createLogger(config.logLevel, (text) => redactor.redact(text), options.logDestination);
  const { registries, loaded } = await registerPlugins(plugins, { config, logger, env, pluginConfig: options.pluginConfig });

  const databaseOptions = options.database ?? databaseFromEnv(env);
  const queue = { queue: options.queue ?? env.CLOUD_ENGINE_QUEUE === 'on', runner: options.runner };
  const database = await openDatabase(config.dataDir, databaseOptions);
  const events = new KernelEvents((event, error) => logger.error({ err: error, event }, 'event listener failed'));
  const jobs = await openJobs(queue, database, databaseOptions, config, logger, events).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  const container = new Container();
  container.bind(EngineConfig).toConstantValue(config);
  container.bind(Logger).toConstantValue(logger);
  container.bind(RedactorToken).toConstantValue(redactor);
  container.bind(SealedBoxToken).toConstantValue(await SealedBox.open(config.dataDir, config.secretKey));
  container.bind(DatabaseToken).toConstantValue(database);
  container.bind(JobDispatchToken).toConstantValue(jobs);
  container.bind(ClockToken).toConstantValue(options.clock ?? systemClock);
  container.bind(KernelEventsToken).toConstantValue(events);
  container.bind(ProviderRegistry).toConstantValue(registries.providers);
  container.bind(ResourceTypeRegistry).toConstantValue(registries.resourceTypes);
  container.bind(PolicyValidatorRegistry).toConstantValue(registries.policyValidators);
  container.bind(CostEstimatorRegistry).toConstantValue(registries.costEstimators);
  container.bind(AccessServiceToken).to(AccessService).inSingletonScope();
  container.bind(Authorizer).to(GrantAuthorizer).inSingletonScope();
  container.bind(QuotaServiceToken).to(QuotaService).inSingletonScope();
  container.bind(AuditLogToken).to(AuditLog).inSingletonScope();
  container.bind(ProjectServiceToken).to(ProjectService).inSingletonScope();
  container.bind(SessionLocksToken).toConstantValue(new SessionLocks());
  container.bind(StackSynthesizerToken).toConstantValue(new StackSynthesizer(registries.providers, registries.resourceTypes, jobs.queued ? sharedStateDefaults(databaseOptions) : {}));
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
  container.bind(DeploymentServiceToken).to(DeploymentService).inSingletonScope();
  container.bind(LifecycleServiceToken).to(LifecycleService).inSingletonScope();

  const orchestrator = container.get<Orchestrator>(OrchestratorToken);
  const worker = jobs instanceof PgBossJobs && queue.runner !== false ? new JobWorker(jobs.boss, orchestrator.local, logger, config.maxTerraform) : undefined;
  const liveness =
    jobs instanceof PgBossJobs ? new WorkerLiveness(database, orchestrator.ownerId, worker ? 'runner' : 'front', jobs, (lost) => orchestrator.recoverLost(lost), logger) : undefined;
  const relay = jobs instanceof PgBossJobs ? await EventRelay.start(String(databaseOptions?.url), events, orchestrator.ownerId, logger) : undefined;
  const leadership = jobs instanceof PgBossJobs ? new Leadership(String(databaseOptions?.url), logger) : undefined;
  const kernel = new RunningKernel(container, config, logger, database, registries, loaded, jobs, worker, liveness, relay, leadership);
  const recovered = await kernel.orchestrator.recoverInterrupted();
  if (recovered.length) logger.warn({ sessions: recovered }, 'resolved sessions interrupted by a stopped process');
  await liveness?.start();
  await worker?.start();
  kernel.lifecycle.start(interval);
  return kernel;
}

class RunningKernel implements Kernel {
  readonly projects: ProjectService;
  readonly orchestrator: Orchestrator;
  readonly deployments: DeploymentService;
  readonly audit: AuditLog;
  readonly access: AccessService;
  readonly quotas: QuotaService;
  readonly events: KernelEvents;
  readonly lifecycle: LifecycleService;
  readonly clock: Clock;
  readonly authorizer: Authorizer;
  readonly redactor: Redactor;
  readonly signIns: SignInStore;
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
    private readonly jobs: JobDispatch,
    private readonly worker: JobWorker | undefined,
    private readonly liveness: WorkerLiveness | undefined,
    private readonly relay: EventRelay | undefined,
    private readonly leadership: Leadership | undefined,
  ) {
    this.projects = container.get(ProjectServiceToken);
    this.orchestrator = container.get(OrchestratorToken);
    this.deployments = container.get(DeploymentServiceToken);
    this.audit = container.get(AuditLogToken);
    this.access = container.get(AccessServiceToken);
    this.quotas = container.get(QuotaServiceToken);
    this.events = container.get(KernelEventsToken);
    this.lifecycle = container.get(LifecycleServiceToken);
    this.clock = container.get(ClockToken);
    this.authorizer = container.get(Authorizer);
    this.redactor = container.get(RedactorToken);
    this.runner = container.get(TerraformRunnerToken);
    this.state = new PluginStateStore(database);
    this.signIns = new SignInStore(database, this.clock);
  }

  pluginState(pluginId: string): PluginState {
    return this.state.for(pluginId);
  }

  async startChatAdapters(): Promise<string[]> {
    for (const adapter of this.registries.chatAdapters.list()) {
      if (adapter.enabled && !adapter.enabled()) continue;
      if (adapter.singleton && this.leadership) {
        // One gateway connection among the fronts: this one starts it when it leads (now, or when the leader dies).
        this.leadership.campaign(`chat:${adapter.id}`, async () => {
          if (this.closed) return;
          await adapter.start(chatApiOf(this));
          this.started.push(adapter);
          this.logger.info({ adapter: adapter.id }, 'chat adapter started: this process leads it');
        });
        continue;
      }
      // Adapters get the chat API, not the kernel: no registries, no close().
      await adapter.start(chatApiOf(this));
      this.started.push(adapter);
    }
    return this.started.map((adapter) => adapter.id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // No standby takes a lead from here on; one held is given up once its adapter has stopped.
    const leadership = this.leadership;
    for (const adapter of this.started.reverse()) {
      await adapter.stop().catch((error: unknown) => this.logger.error({ err: error, adapter: adapter.id }, 'chat adapter failed to stop'));
    }
    await leadership?.close();
    await this.lifecycle.stop();
    // Takes no more jobs; the queue's stop below waits for those running here.
    await this.worker?.stop();
    await this.orchestrator.shutdown();
    await this.jobs.close();
    await this.liveness?.stop();
    await this.relay?.close();
    await this.runner.close();
    await this.database.close();
    this.events.removeAll();
    this.logger.flush();
  }
}

/** CLOUD_ENGINE_DATABASE_URL=postgres://… : the kernel's database for every command; undefined (SQLite in the data dir) without it. */
function databaseFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> | undefined {
  const url = env.CLOUD_ENGINE_DATABASE_URL;
  return url ? { type: 'postgres', url } : undefined;
}
