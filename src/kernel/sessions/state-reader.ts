import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { Project } from '../projects/project-service.js';
import type { SynthesisResult } from '../synth/stack-synthesizer.js';
import type { SessionView } from './session-view.js';
import { synthesizeView, type SessionServices } from './session-services.js';

/**
 * Which of a session's resources terraform's state holds, after an apply or
 * teardown that did not finish: they exist, so they keep counting against
 * quotas until torn down.
 */
export class StateReader {
  constructor(private readonly services: SessionServices) {}

  /**
   * The names of the resources whose addresses (as synthesized) `terraform
   * state list` shows; null when the state cannot be read, so every
   * resource keeps counting.
   */
  async resourcesInState(session: CloudSessionEntity, synthesis: SynthesisResult): Promise<string[] | null> {
    const { runner, store, logger } = this.services;
    const sessionId = session.id;
    try {
      const held = new Set(await runner.stateList({ cwd: store.workingDir(session), env: synthesis.environment }));
      return Object.entries(synthesis.addresses)
        .filter(([, addresses]) => addresses.some((address) => held.has(address)))
        .map(([name]) => name);
    } catch (error) {
      logger.warn({ err: error, sessionId }, 'could not read terraform state after a failed apply; every resource keeps counting');
      return null;
    }
  }

  /**
   * The same after a change of a deployment: the session's resources and
   * those of the deployment it removes are both looked for in the state (a
   * failed removal leaves the resource there).
   */
  async afterChange(session: CloudSessionEntity, project: Project, view: SessionView, synthesis: SynthesisResult): Promise<string[] | null> {
    const { deployments } = this.services;
    const current = await deployments.load(session.deploymentId).catch(() => null);
    const removed = (current?.resources ?? []).filter((resource) => !view.resources.some((kept) => kept.name === resource.name));
    if (removed.length === 0) return this.resourcesInState(session, synthesis);
    const union = { ...view, resources: [...view.resources, ...removed.map((resource) => ({ ...resource, quotaKey: '', createdBy: resource.createdBy }))] };
    return this.resourcesInState(session, synthesizeView(this.services, project, union, session.stateKey));
  }

  /** The same for a session read from the database: synthesized again for its addresses. */
  async ofSession(session: CloudSessionEntity, project: Project): Promise<string[] | null> {
    const { store, logger } = this.services;
    try {
      const synthesis = synthesizeView(this.services, project, store.viewOf(session, await store.resources(session.id), null), session.stateKey);
      return await this.resourcesInState(session, synthesis);
    } catch (error) {
      logger.warn({ err: error, sessionId: session.id }, 'could not synthesize an interrupted session to read its state; every resource keeps counting');
      return null;
    }
  }
}
