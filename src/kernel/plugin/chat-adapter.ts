import type { AccessService } from '../access/access-service.js';
import type { DeploymentService } from '../deployments/deployment-service.js';
import type { Authorizer } from '../access/authorizer.js';
import type { KernelEvents } from '../events/kernel-events.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { Clock } from '../lifecycle/clock.js';
import type { Kernel } from '../kernel.js';
import type { Logger } from '../logger.js';
import type { ProjectService } from '../projects/project-service.js';
import type { QuotaService } from '../quotas/quota-service.js';
import type { Redactor } from '../secrets/redactor.js';
import type { Orchestrator } from '../sessions/orchestrator.js';
import type { SignInStore } from '../sign-ins/sign-in-store.js';
import type { PluginState } from './plugin-state.js';
import type { ResourceType } from './resource-type.js';

/**
 * What a chat adapter (and the chat library under it, `src/chat`) may use of
 * a running kernel: the calls chat makes and nothing else — no registries, no
 * close(). Every rule stays in the services behind it.
 */
export interface ChatApi {
  readonly logger: Logger;
  readonly orchestrator: Pick<
    Orchestrator,
    | 'startSession'
    | 'getSession'
    | 'addResource'
    | 'updateResource'
    | 'removeResource'
    | 'runPlan'
    | 'destroyDeployment'
    | 'checkApproval'
    | 'approveAndApply'
    | 'cancelSession'
    | 'listSessions'
    | 'stats'
    | 'setTtl'
    | 'extendTtl'
    | 'checkDrift'
    | 'reconcileDrift'
    | 'dismissDrift'
    | 'getOutput'
    | 'revokeApproval'
  >;
  /** Deployments' due reminders and expiries (`/cloud-stats`), and the kernel's clock, so "expires in" is counted from the kernel's now. */
  readonly lifecycle: Pick<LifecycleService, 'pending'> & Clock;
  /** The deployments sessions change: `/cloud-list`, autocomplete, Change and Destroy. */
  readonly deployments: Pick<DeploymentService, 'list' | 'get'>;
  readonly projects: Pick<ProjectService, 'get' | 'create' | 'bootstrap'>;
  /** Grants, and access requests: asked for, decided (by a button), listed. */
  readonly access: Pick<AccessService, 'projectsFor' | 'levelOf' | 'grant' | 'revoke' | 'list' | 'held' | 'request' | 'decide' | 'requests'>;
  readonly quotas: Pick<QuotaService, 'usage' | 'set'>;
  readonly authorizer: Pick<Authorizer, 'authorize' | 'isGlobalAdmin'>;
  /** Lobbies follow sessions through these events. */
  readonly events: Pick<KernelEvents, 'on'>;
  /** Says how long after the user's action the adapter answered an interaction first (`chat.acknowledged`, for operators' metrics). */
  acknowledged(adapter: string, ms: number): void;
  /** Everything shown in a channel passes it. */
  readonly redactor: Redactor;
  /** Single-use dashboard sign-in links (`/cloud-dashboard`). */
  readonly signIns: Pick<SignInStore, 'issueLink'>;
  /** Small JSON values the adapter keeps across restarts (where it posted what). */
  pluginState(pluginId: string): PluginState;
  /** The loaded cloud providers, for choices. */
  providers(): readonly ChatProvider[];
  /** The loaded resource types, all of them or those of one provider. */
  resourceTypes(provider?: string): readonly ResourceType[];
  /** One resource type by name (`sandbox.vm`), if loaded. */
  resourceType(type: string): ResourceType | undefined;
}

/** A cloud provider as chat names it. */
export interface ChatProvider {
  readonly id: string;
  readonly displayName: string;
}

/** A chat front end (Discord, console, …); every rule lives in the kernel, adapters render and ask. */
export interface ChatAdapter {
  readonly id: string;
  /** Whether this adapter is configured to run (e.g. a bot token is present). */
  enabled?(): boolean;
  start(api: ChatApi): Promise<void>;
  stop(): Promise<void>;
  /**
   * For adapters that can finish by themselves (the console when its input
   * ends): resolves then. Adapters without it run until the process stops.
   */
  readonly closed?: Promise<void>;
  /**
   * One process of several on the job queue runs it (a chat gateway
   * connection, of which a bot may hold one): the others stand by and take
   * over when the leader dies.
   */
  readonly singleton?: boolean;
}

/**
 * The chat API over a kernel: its services themselves (not copies), so what
 * the kernel's services do is what chat sees; registries are read when asked.
 */
export function chatApiOf(kernel: Kernel): ChatApi {
  const { logger, orchestrator, deployments, projects, access, quotas, authorizer, events, redactor, registries } = kernel;
  return {
    logger,
    orchestrator,
    deployments,
    projects,
    access,
    quotas,
    authorizer,
    events,
    acknowledged: (adapter, ms) => events.emit('chat.acknowledged', { adapter, ms }),
    redactor,
    signIns: kernel.signIns,
    lifecycle: { pending: (deploymentId) => kernel.lifecycle.pending(deploymentId), now: () => kernel.clock.now() },
    pluginState: (pluginId) => kernel.pluginState(pluginId),
    providers: () => registries.providers.list().map((provider) => ({ id: provider.id, displayName: provider.displayName })),
    resourceTypes: (provider) => registries.resourceTypes.list().filter((type) => provider === undefined || type.provider === provider),
    resourceType: (type) => registries.resourceTypes.get(type),
  };
}

