import type { AccessService } from '../access/access-service.js';
import type { Action, Authorizer } from '../access/authorizer.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { KernelEvents } from '../events/kernel-events.js';
import type { Logger } from '../logger.js';
import type { Database } from '../persistence/database.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { CostEstimator } from '../plugin/cost-estimator.js';
import type { PolicyValidator } from '../plugin/policy-validator.js';
import type { Registry } from '../plugin/registry.js';
import type { ResourceType } from '../plugin/resource-type.js';
import type { Project, ProjectService } from '../projects/project-service.js';
import type { QuotaService } from '../quotas/quota-service.js';
import type { Redactor } from '../secrets/redactor.js';
import type { SealedBox } from '../secrets/sealed-box.js';
import type { StackSynthesizer, SynthesisResult } from '../synth/stack-synthesizer.js';
import type { TerraformRunner } from '../terraform/terraform-runner.js';
import { USER_ID, requirePattern } from '../validation.js';
import type { DeploymentStore } from '../deployments/deployment-store.js';
import { systemCall } from '../lifecycle/system-actor.js';
import type { Operations } from './operations.js';
import type { SessionLocks } from './session-lock.js';
import type { SessionStore } from './session-store.js';
import type { SessionView } from './session-view.js';

/**
 * What the session flows (editing, planning, applying, cancelling,
 * recovering, querying) work with: the kernel's services, the session store
 * and this process's operations. The orchestrator builds it once; a flow
 * takes it whole, so each flow can be built alone in a test.
 */
export interface SessionServices {
  readonly db: Database;
  readonly config: EngineConfig;
  readonly logger: Logger;
  readonly projects: ProjectService;
  readonly authorizer: Authorizer;
  readonly audit: AuditLog;
  readonly events: KernelEvents;
  readonly resourceTypes: Registry<ResourceType>;
  readonly policies: Registry<PolicyValidator>;
  readonly estimators: Registry<CostEstimator>;
  readonly runner: TerraformRunner;
  readonly synthesizer: StackSynthesizer;
  readonly locks: SessionLocks;
  readonly quotas: QuotaService;
  readonly access: AccessService;
  readonly redactor: Redactor;
  readonly box: SealedBox;
  readonly store: SessionStore;
  readonly deployments: DeploymentStore;
  readonly operations: Operations;
}

/** INVALID_INPUT unless `userId` is a user id (and not one of the engine's own actor names). */
export function requireUser(userId: unknown): void {
  // The system actor only inside the lifecycle's own teardown (lifecycle/system-actor.ts), never from the API.
  if (systemCall(userId)) return;
  requirePattern(userId, USER_ID, 'userId', 'a user id of 1-64 letters, digits and ._@:-');
}

/** Asks the authorizer whether `userId` may do `action` (on `session`, when there is one). */
export async function authorize(services: SessionServices, userId: string, action: Action, projectId: string, session?: CloudSessionEntity): Promise<void> {
  if (systemCall(userId)) return;
  await services.authorizer.authorize({ userId, action, projectId, session: session ? { id: session.id, userId: session.userId } : undefined });
}

/**
 * The Terraform configuration a session view synthesizes to, for its project,
 * keyed by its deployment's state key: what a resource derives from it stays
 * the same from one change of the deployment to the next.
 */
export function synthesizeView(services: SessionServices, project: Project, view: SessionView, stateKey: string): SynthesisResult {
  return services.synthesizer.synthesize({
    sessionId: stateKey,
    project,
    resources: view.resources.map((resource) => ({ name: resource.name, type: resource.type, config: resource.config })),
  });
}
