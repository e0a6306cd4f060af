import { In } from 'typeorm';
import { CloudEngineError } from '../errors.js';
import { CloudResourceEntity } from '../persistence/entities/cloud-resource.entity.js';
import { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import { PlanRecordEntity } from '../persistence/entities/plan-record.entity.js';
import type { PlanJson } from '../terraform/plan-json.js';
import { DeploymentState } from './deployment-state.js';
import { readOutput, type OutputLine } from './output-recorder.js';
import type { EngineStats, SessionFilter } from './session-inputs.js';
import { authorize, requireUser, synthesizeView, type SessionServices } from './session-services.js';
import type { PlanResult, SessionView } from './session-view.js';

/** Reading sessions, their plans, output and Terraform, and statistics: nothing here changes anything. */
export class Queries {
  constructor(private readonly services: SessionServices) {}

  /**
   * A session: its resources and its current plan's summary (`plan`, without
   * the plan JSON: see `getPlanJson`). With `viewerId`, only if that user may
   * read its project.
   */
  async getSession(sessionId: string, viewerId?: string): Promise<SessionView> {
    return this.services.store.toView(await this.readable(sessionId, viewerId));
  }

  /**
   * The plan JSON (`terraform show -json`, sensitive values and secrets
   * redacted, as stored) of a session's current plan, or null when it has
   * none. With `viewerId`, the same access check as `getSession`.
   */
  /** The session's current plan as `runPlan` returns it (after a plan a worker made). */
  async currentPlan(sessionId: string): Promise<PlanResult> {
    const { store, db } = this.services;
    const session = await store.load(sessionId);
    const plan = session.currentPlanId ? await db.manager.findOneBy(PlanRecordEntity, { id: session.currentPlanId }) : null;
    if (!plan) throw new CloudEngineError('INTERNAL', `Session ${sessionId} has no plan after its plan job ended (${session.state}${session.error ? `: ${session.error}` : ''}).`, { details: { sessionId, state: session.state } });
    return store.toPlanResult(plan, store.workingDir(session));
  }

  async getPlanJson(sessionId: string, viewerId?: string): Promise<PlanJson | null> {
    return this.services.store.planJson(await this.readable(sessionId, viewerId));
  }

  /**
   * Everything terraform printed for a session, redacted, as persisted while
   * it streamed (also after a crash). With `viewerId`, read access is checked.
   */
  async getOutput(sessionId: string, options: { viewerId?: string; afterSeq?: number } = {}): Promise<OutputLine[]> {
    await this.readable(sessionId, options.viewerId);
    return readOutput(this.services.db, sessionId, options.afterSeq);
  }

  /** The Terraform JSON the session's resources synthesize to, without running terraform. */
  async synthesize(sessionId: string, userId: string): Promise<{ config: Record<string, unknown>; hash: string }> {
    requireUser(userId);
    const { store, projects } = this.services;
    const session = await store.load(sessionId);
    await authorize(this.services, userId, 'session.view', session.projectId, session);
    const synthesis = synthesizeView(this.services, await projects.get(session.projectId), store.viewOf(session, await store.resources(sessionId), null), session.stateKey);
    return { config: synthesis.config, hash: synthesis.hash };
  }

  /**
   * Sessions matching the filter, newest first. With `viewerId`, listing a
   * project needs read on it, and without a project only projects the viewer
   * can read are searched.
   */
  async listSessions(filter: SessionFilter = {}, viewerId?: string): Promise<SessionView[]> {
    const { authorizer, access, store } = this.services;
    let projectIds: string[] | undefined;
    if (viewerId !== undefined) {
      requireUser(viewerId);
      if (filter.projectId) await authorize(this.services, viewerId, 'session.list', filter.projectId);
      else if (!authorizer.isGlobalAdmin(viewerId)) projectIds = await access.projectsFor(viewerId, 'read');
    }
    if (projectIds?.length === 0) return [];
    const rows = await store.list({ ...filter, projectIds });
    // Two queries for all of them (resources, plan summaries); never the plan JSON.
    return store.toViews(rows);
  }

  /** Counts across every project; with `viewerId`, only for global admins. */
  async stats(viewerId?: string): Promise<EngineStats> {
    const { authorizer, db, runner } = this.services;
    if (viewerId !== undefined && !authorizer.isGlobalAdmin(viewerId)) {
      throw new CloudEngineError('PERMISSION_DENIED', `Statistics across all projects are for global admins; ${viewerId} is not one.`, {
        details: { needed: 'global admin' },
      });
    }
    const sessions = await db.manager.find(CloudSessionEntity, { select: { id: true, state: true, projectId: true } });
    // Null-prototype maps: a project may be called "constructor".
    const byState: Record<string, number> = Object.create(null) as Record<string, number>;
    const byProject: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const session of sessions) {
      byState[session.state] = (byState[session.state] ?? 0) + 1;
      byProject[session.projectId] = (byProject[session.projectId] ?? 0) + 1;
    }
    const applied = sessions.filter((session) => session.state === DeploymentState.APPLIED).map((session) => session.id);
    const resourcesApplied = applied.length ? await db.manager.countBy(CloudResourceEntity, { sessionId: In(applied) }) : 0;
    const plans = await db.manager.count(PlanRecordEntity);
    const pool = runner.providerPool;
    const processes = pool?.list() ?? [];
    const terraform = {
      running: runner.running,
      queued: runner.queued,
      cap: runner.maxConcurrent,
      pool: pool ? { ...pool.metrics, processes: processes.length, idle: processes.filter((proc) => proc.state === 'idle').length } : null,
    };
    return { sessions: sessions.length, byState, byProject, resourcesApplied, plans, terraform };
  }

  /** The session, after checking that `viewerId` (when given) may read it. */
  private async readable(sessionId: string, viewerId: string | undefined): Promise<CloudSessionEntity> {
    if (viewerId !== undefined) requireUser(viewerId);
    const session = await this.services.store.load(sessionId);
    if (viewerId !== undefined) await authorize(this.services, viewerId, 'session.view', session.projectId, session);
    return session;
  }
}
