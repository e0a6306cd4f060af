import { formatDuration } from '../config/duration.js';
import type { AuditLog } from '../audit/audit-log.js';
import { CloudEngineError, describeValue, invalidInput, notFound, projectNotFound, wrongState } from '../errors.js';
import type { KernelEvents } from '../events/kernel-events.js';
import type { Clock } from '../lifecycle/clock.js';
import { durationMs } from '../lifecycle/lifecycle-settings.js';
import { SYSTEM_ACTOR } from '../lifecycle/system-actor.js';
import type { Database } from '../persistence/database.js';
import { AccessGrantEntity } from '../persistence/entities/access-grant.entity.js';
import type { AccessRequestEntity, AccessRequestState } from '../persistence/entities/access-request.entity.js';
import { ProjectEntity } from '../persistence/entities/project.entity.js';
import { PROJECT_ID, USER_ID, requirePattern } from '../validation.js';
import { AccessRequestStore } from './access-request-store.js';
import { ACCESS_REQUEST_LIMITS, accessRules, type AccessRules } from './access-settings.js';
import { ACCESS_LEVELS, levelAtLeast, type AccessLevel } from './authorizer.js';
import { currentMember } from './member-roles.js';

/** Where a user's level on a project comes from now: a global admin, their grant, or a chat role mapped to a level. */
export interface HeldLevel {
  readonly level: AccessLevel | null;
  readonly source: 'global' | 'grant' | 'role' | null;
  /** The role that gives it, when `source` is `role`. */
  readonly roleId?: string;
  /** When the grant that gives it ends (a timed grant). */
  readonly expiresAt?: Date | null;
}

/** What `kernel.access.request` takes. */
export interface AccessRequestInput {
  projectId: string;
  userId: string;
  level: AccessLevel;
  /** How long the grant should last: "2h", "7d", or milliseconds. */
  duration: string | number;
  /** Why (shown to the admins who decide; at most 500 characters). */
  reason: string;
}

/** A request as `kernel.access` returns it. */
export interface AccessRequestView {
  readonly id: string;
  /** A pending request past its day reads EXPIRED even before a lifecycle run marks it. */
  readonly state: AccessRequestState;
  readonly projectId: string;
  readonly userId: string;
  readonly level: AccessLevel;
  /** The duration asked for ("2h"). */
  readonly duration: string;
  readonly durationMs: number;
  /** What an approval grants: the duration asked for, or the project's cap when that is shorter. */
  readonly grantDuration: string;
  /** The project's `access.maxGrant` when it shortens this request; null otherwise. */
  readonly cappedTo: string | null;
  readonly reason: string;
  readonly createdAt: Date;
  /** When it lapses unanswered. */
  readonly expiresAt: Date;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  /** An approved request's grant: when it ends. */
  readonly grantExpiresAt: Date | null;
}

/** The decisions an admin can make on a request. */
export type AccessDecision = 'approve' | 'deny';
export const ACCESS_DECISIONS: readonly AccessDecision[] = ['approve', 'deny'];

/** What one `runDue` of access did. */
export interface AccessDueReport {
  /** Requests that lapsed unanswered. */
  readonly expiredRequests: number;
  /** Holders told their grant ends soon. */
  readonly grantNotices: number;
}

/** How long before a grant's end its holder is told: an hour, or a tenth of a shorter grant. */
export const GRANT_NOTICE_MS = 3_600_000;
export function grantNoticeWindow(grantMs: number): number {
  return Math.min(GRANT_NOTICE_MS, Math.max(60_000, Math.floor(grantMs / 10)));
}

const REQUEST_ID = /^[0-9a-f]{16}$/;

/**
 * Access asked for and given: a request records who wants which level on
 * which project, for how long and why; a project admin approves (the grant
 * is written in the same transaction as the decision) or denies it; a day
 * unanswered, it lapses. Deciding is a conditional update, so of several
 * admins clicking at once exactly one decides.
 */
export class AccessRequests {
  private readonly store: AccessRequestStore;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly events: KernelEvents,
    private readonly held: (userId: string, projectId: string, now: Date) => Promise<HeldLevel>,
  ) {
    this.store = new AccessRequestStore(db);
  }

  async request(input: AccessRequestInput): Promise<AccessRequestView> {
    const projectId = requirePattern(input?.projectId, PROJECT_ID, 'projectId', 'a project id');
    const userId = requirePattern(input.userId, USER_ID, 'userId', 'a user id of 1-64 letters, digits and ._@:-');
    const level = requireLevel(input.level);
    const ms = requireDuration(input.duration);
    const reason = requireReason(input.reason);
    const rules = await this.rules(projectId);
    const now = this.clock.now();
    const held = await this.held(userId, projectId, now);
    // A timed grant may be asked to go on (Request extension); a standing level at least as high needs nothing.
    if (levelAtLeast(held.level, level) && !(held.source === 'grant' && held.expiresAt)) {
      throw wrongState(
        `${userId} already holds ${held.level} on project ${projectId}${held.source === 'role' ? ` through chat role ${held.roleId}` : held.source === 'global' ? ' as a global admin' : ''}, which includes ${level}; there is nothing to ask for.`,
        'HELD',
        { held: held.level, source: held.source },
      );
    }
    const open = await this.store.pendingOf(projectId, userId, level);
    if (open && open.expiresAt > now) {
      throw wrongState(`${userId} already asked for ${level} on project ${projectId} (request ${open.id}, pending until ${open.expiresAt.toISOString()}); wait for an admin's answer.`, 'PENDING', {
        requestId: open.id,
      });
    }
    const row = await this.store.insert({
      projectId,
      userId,
      level,
      durationMs: ms,
      reason,
      state: 'PENDING',
      createdAt: now,
      expiresAt: new Date(now.getTime() + ACCESS_REQUEST_LIMITS.pendingFor),
      decidedBy: null,
      decidedAt: null,
      grantedMs: null,
      grantExpiresAt: null,
    });
    const view = toView(row, rules, now);
    await this.audit.record({
      actor: userId,
      action: 'access.requested',
      projectId,
      details: { requestId: row.id, level, duration: view.duration, ...(view.cappedTo ? { cappedTo: view.cappedTo } : {}), reason },
    });
    this.events.emit('access.requested', { request: view, requestsChannel: rules.requestsChannel, askedIn: currentMember()?.channelId ?? null });
    return view;
  }

  async decide(requestId: string, deciderId: string, decision: AccessDecision): Promise<AccessRequestView> {
    if (!ACCESS_DECISIONS.includes(decision)) {
      throw invalidInput('decision', `expected approve or deny; received ${describeValue(decision)}`, { value: decision });
    }
    const decider = requirePattern(deciderId, USER_ID, 'deciderId', 'a user id of 1-64 letters, digits and ._@:-');
    const row = await this.find(requestId);
    const rules = await this.rules(row.projectId);
    const now = this.clock.now();
    if (row.state !== 'PENDING') throw this.alreadyDecided(row);
    if (row.expiresAt <= now) {
      await this.lapse(row, now);
      throw wrongState(`Request ${row.id} lapsed unanswered at ${row.expiresAt.toISOString()}; ${row.userId} can ask again.`, 'EXPIRED', { requestId: row.id });
    }
    const held = await this.held(decider, row.projectId, now);
    const withdrawing = decision === 'deny' && decider === row.userId;
    if (decision === 'approve' && decider === row.userId) {
      const above = !levelAtLeast(held.level, row.level) ? ` (and ${row.level} is above your own level, ${held.level ?? 'none'})` : '';
      throw await this.refused(decider, row.projectId, `Nobody approves their own access request${above}; another admin of project ${row.projectId} must decide request ${row.id}.`, {
        needed: 'another admin',
        held: held.level,
      });
    }
    if (!withdrawing && !levelAtLeast(held.level, 'admin')) {
      throw await this.refused(decider, row.projectId, `Deciding access requests on project ${row.projectId} needs admin on it; ${decider} has ${held.level ?? 'no access'}. A project admin must decide request ${row.id}.`, {
        needed: 'admin',
        held: held.level,
      });
    }
    if (decision === 'approve' && !levelAtLeast(held.level, row.level)) {
      throw await this.refused(decider, row.projectId, `${decider} cannot grant ${row.level}, above their own level (${held.level}).`, { needed: row.level, held: held.level });
    }
    const grantMs = Math.min(row.durationMs, rules.maxGrant);
    const grantExpiresAt = new Date(now.getTime() + grantMs);
    const state: AccessRequestState = decision === 'approve' ? 'APPROVED' : 'DENIED';
    const via = held.source === 'role' ? { deciderVia: 'role', deciderRole: held.roleId } : { deciderVia: held.source };
    await this.db.transaction(async (manager) => {
      const won = await this.store.decide(manager, row.id, { state, decidedBy: decider, decidedAt: now, ...(decision === 'approve' ? { grantedMs: grantMs, grantExpiresAt } : {}) });
      if (!won) throw this.alreadyDecided((await this.store.get(row.id, manager)) ?? row);
      const details = { requestId: row.id, userId: row.userId, level: row.level, duration: formatDuration(row.durationMs), ...via };
      if (decision === 'approve') {
        const before = await manager.findOneBy(AccessGrantEntity, { projectId: row.projectId, userId: row.userId });
        await manager.delete(AccessGrantEntity, { projectId: row.projectId, userId: row.userId });
        await manager.insert(AccessGrantEntity, Object.assign(new AccessGrantEntity(), {
          projectId: row.projectId,
          userId: row.userId,
          level: row.level,
          grantedBy: decider,
          grantedAt: now,
          expiresAt: grantExpiresAt,
          expiryNoticeAt: null,
        }));
        const capped = grantMs < row.durationMs ? { cappedTo: formatDuration(grantMs) } : {};
        await this.audit.record({ actor: decider, action: 'access.approved', projectId: row.projectId, details: { ...details, grantedFor: formatDuration(grantMs), expiresAt: grantExpiresAt.toISOString(), ...capped } }, manager);
        await this.audit.record(
          {
            actor: decider,
            action: 'access.granted',
            projectId: row.projectId,
            details: { userId: row.userId, level: row.level, expiresAt: grantExpiresAt.toISOString(), requestId: row.id, ...(before ? { replaced: { level: before.level, expiresAt: before.expiresAt?.toISOString() ?? null } } : {}) },
          },
          manager,
        );
      } else {
        await this.audit.record({ actor: decider, action: withdrawing ? 'access.withdrawn' : 'access.denied', projectId: row.projectId, details }, manager);
      }
    });
    const decided = toView((await this.store.get(row.id))!, rules, now);
    this.events.emit('access.decided', { request: decided, decision, deciderId: decider });
    return decided;
  }

  /** A project's requests, newest first: all of them for its admins, one's own for everyone else. */
  async list(projectId: string, viewerId: string, filter: { states?: readonly AccessRequestState[] } = {}): Promise<AccessRequestView[]> {
    const project = requirePattern(projectId, PROJECT_ID, 'projectId', 'a project id');
    const viewer = requirePattern(viewerId, USER_ID, 'viewerId', 'a user id');
    const rules = await this.rules(project);
    const now = this.clock.now();
    const admin = levelAtLeast((await this.held(viewer, project, now)).level, 'admin');
    const rows = await this.store.list(project, { ...(admin ? {} : { userId: viewer }) });
    const views = rows.map((row) => toView(row, rules, now));
    return filter.states ? views.filter((view) => filter.states!.includes(view.state)) : views;
  }

  /** One request, for its requester or the project's admins. */
  async get(requestId: string, viewerId: string): Promise<AccessRequestView> {
    const row = await this.find(requestId);
    const now = this.clock.now();
    if (row.userId !== viewerId && !levelAtLeast((await this.held(viewerId, row.projectId, now)).level, 'admin')) throw this.unknown(requestId);
    return toView(row, await this.rules(row.projectId), now);
  }

  /**
   * Marks requests past their day EXPIRED and tells holders of timed grants
   * that end soon (once per grant). Each is claimed by a conditional update,
   * so of several kernels on one database one acts.
   */
  async runDue(now: Date): Promise<AccessDueReport> {
    let expiredRequests = 0;
    for (const row of await this.store.lapsed(now)) {
      if (await this.lapse(row, now)) expiredRequests += 1;
    }
    let grantNotices = 0;
    for (const grant of await this.store.grantsEndingBetween(now, new Date(now.getTime() + GRANT_NOTICE_MS))) {
      const end = grant.expiresAt!;
      const length = end.getTime() - grant.grantedAt.getTime();
      const remaining = end.getTime() - now.getTime();
      if (remaining > grantNoticeWindow(length)) continue;
      if (!(await this.store.claimNotice(grant, now))) continue;
      await this.audit.record({
        actor: SYSTEM_ACTOR,
        action: 'access.grantExpiring',
        projectId: grant.projectId,
        details: { userId: grant.userId, level: grant.level, expiresAt: end.toISOString(), remaining: formatDuration(Math.max(1000, Math.round(remaining / 1000) * 1000)) },
      });
      this.events.emit('access.grantExpiring', { projectId: grant.projectId, userId: grant.userId, level: grant.level, expiresAt: end, remaining, durationMs: length });
      grantNotices += 1;
    }
    return { expiredRequests, grantNotices };
  }

  /** Marks a lapsed request EXPIRED (once); true when this call did. */
  private async lapse(row: AccessRequestEntity, now: Date): Promise<boolean> {
    const done = await this.db.transaction(async (manager) => {
      if (!(await this.store.decide(manager, row.id, { state: 'EXPIRED', decidedBy: null, decidedAt: now }))) return false;
      await this.audit.record({ actor: SYSTEM_ACTOR, action: 'access.requestExpired', projectId: row.projectId, details: { requestId: row.id, userId: row.userId, level: row.level } }, manager);
      return true;
    });
    if (done) {
      const rules = await this.rules(row.projectId).catch(() => accessRules(undefined));
      this.events.emit('access.requestExpired', { request: toView((await this.store.get(row.id))!, rules, now) });
    }
    return done;
  }

  private alreadyDecided(row: AccessRequestEntity): CloudEngineError {
    const when = row.decidedAt ? ` at ${row.decidedAt.toISOString()}` : '';
    const what =
      row.state === 'EXPIRED'
        ? `lapsed unanswered${when}; ${row.userId} can ask again`
        : `was already ${row.state === 'APPROVED' ? 'approved' : 'denied'} by ${row.decidedBy}${when}`;
    return wrongState(`Request ${row.id} ${what}.`, row.state, { requestId: row.id, decidedBy: row.decidedBy });
  }

  private async find(requestId: string): Promise<AccessRequestEntity> {
    if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) {
      throw invalidInput('requestId', `expected a request id of 16 hex digits (see /cloud-access or cloud-engine access requests); received ${describeValue(requestId)}`, { value: requestId });
    }
    const row = await this.store.get(requestId);
    if (!row) throw this.unknown(requestId);
    return row;
  }

  private unknown(requestId: string): CloudEngineError {
    return notFound(`Access request ${JSON.stringify(requestId)}`, 'List the project\'s requests (/cloud-access, cloud-engine access requests) to find its id.', { field: 'requestId', value: requestId });
  }

  private async rules(projectId: string): Promise<AccessRules> {
    const project = await this.db.manager.findOne(ProjectEntity, { where: { id: projectId }, select: { id: true, settings: true } });
    if (!project) throw projectNotFound(projectId);
    return accessRules(project.settings?.access);
  }

  private async refused(actor: string, projectId: string, message: string, details: Record<string, unknown>): Promise<CloudEngineError> {
    const error = new CloudEngineError('PERMISSION_DENIED', message, { details });
    await this.audit.refused({ actor, action: 'access.decide', projectId, error });
    return error;
  }
}

function requireLevel(level: unknown): AccessLevel {
  if (typeof level !== 'string' || !ACCESS_LEVELS.includes(level as AccessLevel)) {
    throw invalidInput('level', `expected read, deploy or admin; received ${describeValue(level)}`, { value: level });
  }
  return level as AccessLevel;
}

function requireDuration(duration: unknown): number {
  const { minDuration, maxDuration } = ACCESS_REQUEST_LIMITS;
  const ms = durationMs(duration);
  const range = `from ${formatDuration(minDuration)} to ${formatDuration(maxDuration)}`;
  if (ms === undefined) {
    throw invalidInput('duration', `expected a duration ${range} such as 30m, 2h or 7d; received ${describeValue(duration)}`, { value: duration, details: { min: formatDuration(minDuration), limit: formatDuration(maxDuration) } });
  }
  if (ms < minDuration || ms > maxDuration) {
    throw invalidInput('duration', `${describeValue(duration)} is ${ms < minDuration ? 'shorter than the minimum' : 'longer than the maximum'} of access requests; ask for a duration ${range}`, {
      value: duration,
      details: { min: formatDuration(minDuration), limit: formatDuration(maxDuration) },
    });
  }
  return ms;
}

function requireReason(reason: unknown): string {
  const text = typeof reason === 'string' ? reason.trim() : '';
  if (!text) throw invalidInput('reason', `say why you need access (1-${ACCESS_REQUEST_LIMITS.reasonMax} characters); received ${describeValue(reason)}`, { value: reason, details: { limit: ACCESS_REQUEST_LIMITS.reasonMax } });
  if (text.length > ACCESS_REQUEST_LIMITS.reasonMax) {
    throw invalidInput('reason', `it is ${text.length} characters, more than the ${ACCESS_REQUEST_LIMITS.reasonMax} a reason may have; shorten it`, { value: reason, details: { limit: ACCESS_REQUEST_LIMITS.reasonMax } });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) throw invalidInput('reason', 'it holds control characters; write plain text', { value: reason });
  return text;
}

function toView(row: AccessRequestEntity, rules: AccessRules, now: Date): AccessRequestView {
  const grantMs = Math.min(row.durationMs, row.grantedMs ?? rules.maxGrant);
  return {
    id: row.id,
    state: row.state === 'PENDING' && row.expiresAt <= now ? 'EXPIRED' : row.state,
    projectId: row.projectId,
    userId: row.userId,
    level: row.level,
    duration: formatDuration(row.durationMs),
    durationMs: row.durationMs,
    grantDuration: formatDuration(grantMs),
    cappedTo: grantMs < row.durationMs ? formatDuration(grantMs) : null,
    reason: row.reason,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt,
    grantExpiresAt: row.grantExpiresAt,
  };
}
