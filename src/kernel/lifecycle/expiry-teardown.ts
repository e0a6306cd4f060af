import { DeploymentStatus } from '../deployments/deployment-status.js';
import type { DeploymentStore } from '../deployments/deployment-store.js';
import { CloudEngineError } from '../errors.js';
import type { Orchestrator } from '../sessions/orchestrator.js';
import { SYSTEM_ACTOR, asSystem } from './system-actor.js';

/** States of the system's own earlier teardown that may be withdrawn before trying again. */
const WITHDRAWABLE: readonly string[] = ['DRAFT', 'PLAN_READY', 'PLAN_FAILED'];

/**
 * Tears an expired deployment down as the system actor: `destroyDeployment`,
 * then approving and applying that very plan, under the same policies as any
 * change (a policy may refuse it). Four-eyes and approver rules do not apply
 * to it (approval.ts exempts only this). Throws when it did not happen.
 */
export class ExpiryTeardown {
  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly deployments: DeploymentStore,
  ) {}

  /** The teardown's session, or null when nothing was deployed to tear down. */
  run(deploymentId: string): Promise<{ sessionId: string | null }> {
    return asSystem('ttl', async () => {
      const deployment = await this.deployments.load(deploymentId);
      if (deployment.state === DeploymentStatus.DESTROYED) return { sessionId: null };
      if (deployment.openSessionId) {
        const open = await this.orchestrator.getSession(deployment.openSessionId);
        // Our own teardown that a policy or terraform refused last time: withdraw it and plan afresh.
        if (open.userId === SYSTEM_ACTOR && WITHDRAWABLE.includes(open.state)) await this.orchestrator.cancelSession(open.id, SYSTEM_ACTOR);
        else {
          throw new CloudEngineError(
            'LOCKED',
            `Deployment ${deployment.name} has a change open at its expiry: session ${open.id} by ${open.userId}, ${open.state}. It is torn down once that change ends (or is cancelled).`,
            { details: { deploymentId: deployment.id, openSessionId: open.id, owner: open.userId, state: open.state } },
          );
        }
      }
      if (deployment.state === DeploymentStatus.NEW && deployment.resources.length === 0) return { sessionId: null };
      const plan = await this.orchestrator.destroyDeployment(deployment.id, SYSTEM_ACTOR);
      const sessionId = (await this.deployments.load(deployment.id)).openSessionId;
      if (!sessionId) throw new Error(`the teardown of deployment ${deployment.name} was planned but left no open change`);
      const applied = await this.orchestrator.approveAndApply(sessionId, SYSTEM_ACTOR, { planId: plan.id });
      if (applied.state !== 'APPLIED') throw new Error(`the teardown (session ${sessionId}) ended ${applied.state}${applied.error ? `: ${applied.error}` : ''}`);
      return { sessionId };
    });
  }
}
