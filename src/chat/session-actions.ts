import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import type { ResourceType } from '../kernel/plugin/resource-type.js';
import { CloudEngineError, isCloudEngineError } from '../kernel/errors.js';
import type { SessionResource, SessionView } from '../kernel/sessions/session-view.js';
import { buildLobby, type LobbyModel } from './lobby.js';
import { editedConfig } from './resource-form.js';
import { expiryText } from './expiry.js';

/** A change made from the lobby: the lobby right after it, and the lobby once the plan that follows by itself has finished. */
export interface ChangeResult {
  readonly lobby: LobbyModel;
  readonly planned: Promise<LobbyModel>;
}

/**
 * The lobby's buttons as operations every adapter shares: open or change a
 * deployment, add, edit and remove resources (each plans by itself),
 * approve, cancel, and plan a deployment's teardown.
 */
export class SessionActions {
  constructor(private readonly api: ChatApi) {}

  /**
   * Starts a session (`/cloud-deploy`) and returns its lobby: a change of the
   * deployment `deployment` names (id or name; it starts with its current
   * resources), a new deployment of that name, or a new one with a generated
   * name. LOCKED, worded by the kernel, while another change of it is open.
   */
  async open(userId: string, projectId: string, provider?: string, deployment?: string, ttl?: string): Promise<LobbyModel> {
    const session = await this.api.orchestrator.startSession(userId, projectId, provider, {
      ...(deployment === undefined ? {} : { deployment }),
      // A TTL the kernel refuses (ttl:0, past the maximum) is its INVALID_INPUT, naming the field and the limit.
      ...(ttl === undefined ? {} : { ttl }),
    });
    return buildLobby(this.api, session);
  }

  /** Change: a new change of the session's deployment, starting from its current resources. */
  async change(sessionId: string, userId: string): Promise<LobbyModel> {
    const session = await this.api.orchestrator.getSession(sessionId, userId);
    return this.open(userId, session.projectId, undefined, session.deploymentId);
  }

  async lobby(sessionId: string, viewerId: string): Promise<LobbyModel> {
    return buildLobby(this.api, await this.api.orchestrator.getSession(sessionId, viewerId));
  }

  /**
   * Adds a resource; planning then starts by itself. Returns the lobby right
   * after the change and a promise of the lobby once the plan has finished
   * (a failed plan is shown in the lobby, not thrown).
   */
  async addResource(
    sessionId: string,
    userId: string,
    resource: { type: string; name: string; config: Record<string, unknown> },
    onOutput?: (line: string) => void,
  ): Promise<ChangeResult> {
    const session = await this.api.orchestrator.addResource(sessionId, userId, resource);
    return { lobby: await buildLobby(this.api, session), planned: this.plan(sessionId, userId, onOutput) };
  }

  /** One resource of the session to edit: what the form is built from (its shown config: secret fields read "(secret)"). */
  async resourceToEdit(sessionId: string, userId: string, name: string): Promise<{ session: SessionView; resource: SessionResource; type: ResourceType }> {
    const session = await this.api.orchestrator.getSession(sessionId, userId);
    const resource = session.resources.find((candidate) => candidate.name === name);
    if (!resource) {
      const names = session.resources.map((candidate) => candidate.name);
      throw new CloudEngineError('NOT_FOUND', `Session ${sessionId} has no resource named ${JSON.stringify(name)}; its resources are ${names.join(', ') || '(none)'}.`, {
        field: 'name',
        value: name,
      });
    }
    const type = this.api.resourceType(resource.type);
    if (!type) throw new CloudEngineError('INVALID_STATE', `Resource ${name} is a ${resource.type}, a type no loaded plugin provides; it cannot be edited here.`, { field: 'type', value: resource.type });
    return { session, resource, type };
  }

  /**
   * Edit Resource: `typed` (form inputs or key=value words) over the
   * resource's current config — an emptied field is unset, fields not typed
   * are kept — then planning starts by itself. The kernel keeps the type and
   * checks the config and references as for an addition.
   */
  async editResource(sessionId: string, userId: string, name: string, typed: Readonly<Record<string, string>>, onOutput?: (line: string) => void): Promise<ChangeResult> {
    const { resource, type } = await this.resourceToEdit(sessionId, userId, name);
    const config = editedConfig(type, resource.config, typed);
    const session = await this.api.orchestrator.updateResource(sessionId, userId, { name, config });
    return { lobby: await buildLobby(this.api, session), planned: this.plan(sessionId, userId, onOutput) };
  }

  /** Remove Resource; refused with the kernel's message (naming them) while other resources refer to it. Planning follows by itself. */
  async removeResource(sessionId: string, userId: string, name: string, onOutput?: (line: string) => void): Promise<ChangeResult> {
    const session = await this.api.orchestrator.removeResource(sessionId, userId, name);
    return { lobby: await buildLobby(this.api, session), planned: this.plan(sessionId, userId, onOutput) };
  }

  /** Plans the session; user errors (policy, quota, terraform) end up in the lobby, not thrown. */
  async plan(sessionId: string, userId: string, onOutput?: (line: string) => void): Promise<LobbyModel> {
    try {
      await this.api.orchestrator.runPlan(sessionId, userId, { onOutput });
    } catch (error) {
      if (!isCloudEngineError(error)) throw error;
      // LOCKED: a plan is already running and will update the lobby itself.
      if (error.code === 'PERMISSION_DENIED') throw error;
    }
    return this.lobby(sessionId, userId);
  }

  /**
   * Destroy: plans the teardown of the session's deployment as a change of
   * its own (every resource removed) and returns that change's lobby, to be
   * approved like any plan. A plan refused on the way (a policy, terraform)
   * leaves the change open with the reason, and its lobby shows it; a
   * refusal to start it (permission, LOCKED by an open change) is thrown.
   */
  async destroy(sessionId: string, userId: string, onOutput?: (line: string) => void): Promise<LobbyModel> {
    const session = await this.api.orchestrator.getSession(sessionId, userId);
    return this.destroyDeployment(session.deploymentId, userId, onOutput);
  }

  /** Destroy now (an expiry reminder's button): `destroy` by the deployment's id or name. */
  async destroyDeployment(deployment: string, userId: string, onOutput?: (line: string) => void): Promise<LobbyModel> {
    const before = await this.api.deployments.get(deployment, userId);
    try {
      await this.api.orchestrator.destroyDeployment(before.id, userId, { onOutput });
    } catch (error) {
      if (!isCloudEngineError(error) || error.code === 'INTERNAL') throw error;
      const after = await this.api.deployments.get(before.id, userId);
      // Only a change this call opened is its answer; someone else's open change is the LOCKED refusal.
      if (!after.openSessionId || after.openSessionId === before.openSessionId) throw error;
      // Refused on the way (a policy, terraform): the change stays open, and its lobby says why.
      return this.lobby(after.openSessionId, userId);
    }
    const after = await this.api.deployments.get(before.id, userId);
    if (!after.openSessionId) throw new Error(`deployment ${before.id} has no open change after its teardown was planned`);
    return this.lobby(after.openSessionId, userId);
  }

  /**
   * Approve & Deploy: applies the shown plan, streaming every line; returns
   * the final lobby. `planId` is the plan the approver was shown: when the
   * session has been re-planned since, the kernel refuses with PLAN_STALE.
   */
  async approve(sessionId: string, userId: string, onOutput?: (line: string) => void, planId?: string): Promise<LobbyModel> {
    const session = await this.api.orchestrator.approveAndApply(sessionId, userId, { onOutput, planId });
    return buildLobby(this.api, session);
  }

  /**
   * Extend (an expiry reminder's button, console /extend): moves the
   * deployment's expiry later by `by`, the project's default TTL without it;
   * refused by the kernel past the maximum (naming it) or without deploy access.
   * Returns the new expiry as a line to show.
   */
  async extend(deployment: string, userId: string, by?: string): Promise<{ deploymentId: string; name: string; expiresAt: Date | null; line: string }> {
    const found = await this.api.deployments.get(deployment, userId);
    const ttl = await this.api.orchestrator.extendTtl(found.id, userId, by);
    const text = expiryText(ttl.expiresAt, this.api.lifecycle.now());
    return {
      deploymentId: found.id,
      name: found.name,
      expiresAt: ttl.expiresAt,
      line: `Deployment ${found.name} extended by ${userId}: ${text ?? 'it does not expire'}${ttl.expiresAt ? ` (at ${ttl.expiresAt.toISOString()})` : ''}.`,
    };
  }

  /** Withdraw my approval: the clicker's own approval of the plan that waits for more; refused (NOT_FOUND) when they gave none. */
  async withdraw(sessionId: string, userId: string): Promise<LobbyModel> {
    return buildLobby(this.api, await this.api.orchestrator.revokeApproval(sessionId, userId));
  }

  async cancel(sessionId: string, userId: string): Promise<LobbyModel> {
    return buildLobby(this.api, await this.api.orchestrator.cancelSession(sessionId, userId));
  }
}
