import { inject, injectable } from 'inversify';
import { AuditLogToken, type AuditLog } from '../audit/audit-log.js';
import { EngineConfig } from '../config/engine-config.js';
import { CloudEngineError, describeValue, invalidInput, invalidValue, projectNotFound } from '../errors.js';
import { DatabaseToken, type Database } from '../persistence/database.js';
import { AccessGrantEntity } from '../persistence/entities/access-grant.entity.js';
import { ProjectEntity } from '../persistence/entities/project.entity.js';
import { token } from '../plugin/token.js';
import { PROJECT_ID, USER_ID, requirePattern } from '../validation.js';
import { ACCESS_LEVELS, levelAtLeast, type AccessLevel } from './authorizer.js';
import { ClockToken, systemClock, type Clock } from '../lifecycle/clock.js';
import { KernelEvents, KernelEventsToken } from '../events/kernel-events.js';
import { AccessRequests, type AccessDecision, type AccessDueReport, type AccessRequestInput, type AccessRequestView, type HeldLevel } from './access-requests.js';
import type { AccessRequestState } from '../persistence/entities/access-request.entity.js';
import { RoleLevels } from './role-levels.js';

/** A grant as listed; `expired` grants are kept for the record but count for nothing. */
export interface AccessGrant {
  readonly projectId: string;
  readonly userId: string;
  readonly level: AccessLevel;
  readonly grantedBy: string;
  readonly grantedAt: Date;
  readonly expiresAt: Date | null;
  readonly expired: boolean;
}

export interface GrantInput {
  projectId: string;
  userId: string;
  level: AccessLevel;
  grantedBy: string;
  /** When the grant ends; omit for a standing grant. */
  expiresAt?: Date;
}

/**
 * Just-in-time project access. Every check reads the grant at the moment of
 * use, so an expired or revoked grant stops working at once, also for
 * sessions already open.
 */
@injectable()
export class AccessService {
  private readonly admins: ReadonlySet<string>;
  private readonly roles: RoleLevels;
  private readonly requestsOf: AccessRequests;

  constructor(
    @inject(DatabaseToken) private readonly db: Database,
    @inject(EngineConfig) config: EngineConfig,
    @inject(AuditLogToken) private readonly audit: AuditLog,
    @inject(ClockToken) private readonly clock: Clock = systemClock,
    @inject(KernelEventsToken) events: KernelEvents = new KernelEvents(),
  ) {
    this.admins = new Set(config.admins);
    this.roles = new RoleLevels(db);
    this.requestsOf = new AccessRequests(db, clock, audit, events, (userId, projectId, now) => this.held(userId, projectId, now));
  }

  /** Global admins (CLOUD_ENGINE_ADMINS) hold every level on every project. */
  isGlobalAdmin(userId: string): boolean {
    return this.admins.has(userId);
  }

  /** The level a user holds on a project now, or null: the higher of their grant and a chat role mapped by the project (`access.roles`). */
  async levelOf(userId: string, projectId: string, now = this.clock.now()): Promise<AccessLevel | null> {
    return (await this.held(userId, projectId, now)).level;
  }

  /** The level a user holds now and where it comes from (global admin, grant, or chat role), for audits and messages. */
  async held(userId: string, projectId: string, now = this.clock.now()): Promise<HeldLevel> {
    if (this.isGlobalAdmin(userId)) return { level: 'admin', source: 'global' };
    const row = await this.db.manager.findOneBy(AccessGrantEntity, { projectId, userId });
    const grant = row && !isExpired(row, now) ? row : null;
    const role = await this.roles.of(userId, projectId);
    if (role && !levelAtLeast(grant?.level, role.level)) return { level: role.level, source: 'role', roleId: role.roleId };
    return grant ? { level: grant.level, source: 'grant', expiresAt: grant.expiresAt } : { level: null, source: null };
  }

  /** Asks for `level` on a project for `duration`, saying why; project admins decide (`decide`). A pending request lapses after a day. */
  request(input: AccessRequestInput): Promise<AccessRequestView> {
    return this.requestsOf.request(input);
  }

  /** Approves (grants the level for the duration, capped by `access.maxGrant`) or denies a pending request; project admins, never their own approval. */
  decide(requestId: string, deciderId: string, decision: AccessDecision): Promise<AccessRequestView> {
    return this.requestsOf.decide(requestId, deciderId, decision);
  }

  /** A project's access requests, newest first: admins see all, others their own. */
  requests(projectId: string, viewerId: string, filter: { states?: readonly AccessRequestState[] } = {}): Promise<AccessRequestView[]> {
    return this.requestsOf.list(projectId, viewerId, filter);
  }

  /** One access request, for its requester or the project's admins. */
  requestById(requestId: string, viewerId: string): Promise<AccessRequestView> {
    return this.requestsOf.get(requestId, viewerId);
  }

  /** Lapses unanswered requests and announces grants ending soon (once each, across kernels); the lifecycle calls it on every run. */
  runDue(now: Date = this.clock.now()): Promise<AccessDueReport> {
    return this.requestsOf.runDue(now);
  }

  async check(userId: string, projectId: string, level: AccessLevel): Promise<boolean> {
    return levelAtLeast(await this.levelOf(userId, projectId), level);
  }

  /** Grants (or replaces) a user's level; only project admins and global admins may, never above their own level. */
  async grant(input: GrantInput): Promise<AccessGrant> {
    const projectId = requirePattern(input?.projectId, PROJECT_ID, 'projectId', 'a project id');
    const userId = requirePattern(input.userId, USER_ID, 'userId', 'a user id of 1-64 letters, digits and ._@:-');
    const grantedBy = requirePattern(input.grantedBy, USER_ID, 'grantedBy', 'a user id of 1-64 letters, digits and ._@:-');
    if (!ACCESS_LEVELS.includes(input.level)) {
      throw invalidValue('level', 'read, deploy or admin', input.level);
    }
    const now = this.clock.now();
    if (input.expiresAt !== undefined && (!(input.expiresAt instanceof Date) || Number.isNaN(input.expiresAt.getTime()) || input.expiresAt <= now)) {
      throw invalidInput('expiresAt', `a grant must end in the future; received ${describeValue(input.expiresAt)}`, { value: input.expiresAt });
    }
    await this.requireProject(projectId);
    const own = await this.levelOf(grantedBy, projectId, now);
    if (!levelAtLeast(own, 'admin')) {
      throw await this.refused(grantedBy, 'access.grant', projectId, new CloudEngineError(
        'PERMISSION_DENIED',
        `Granting access to project ${projectId} needs admin on it; ${grantedBy} has ${own ?? 'no access'}. Ask a project admin.`,
        { details: { needed: 'admin', held: own } },
      ));
    }
    if (!levelAtLeast(own, input.level)) {
      throw await this.refused(grantedBy, 'access.grant', projectId, new CloudEngineError('PERMISSION_DENIED', `${grantedBy} cannot grant ${input.level}, above their own level (${own}).`, { details: { needed: input.level, held: own } }));
    }
    const entity = Object.assign(new AccessGrantEntity(), {
      projectId,
      userId,
      level: input.level,
      grantedBy,
      grantedAt: now,
      expiresAt: input.expiresAt ?? null,
    } satisfies AccessGrantEntity);
    await this.db.transaction(async (manager) => {
      await manager.delete(AccessGrantEntity, { projectId, userId });
      await manager.insert(AccessGrantEntity, entity);
      await this.audit.record(
        { actor: grantedBy, action: 'access.granted', projectId, details: { userId, level: input.level, expiresAt: entity.expiresAt?.toISOString() ?? null } },
        manager,
      );
    });
    return toGrant(entity, now);
  }

  /** Removes a user's grant; takes effect at the user's next action. */
  async revoke(input: { projectId: string; userId: string; revokedBy: string }): Promise<void> {
    const projectId = requirePattern(input?.projectId, PROJECT_ID, 'projectId', 'a project id');
    const userId = requirePattern(input.userId, USER_ID, 'userId', 'a user id');
    const revokedBy = requirePattern(input.revokedBy, USER_ID, 'revokedBy', 'a user id');
    await this.requireProject(projectId);
    const own = await this.levelOf(revokedBy, projectId);
    if (!levelAtLeast(own, 'admin')) {
      throw await this.refused(revokedBy, 'access.revoke', projectId, new CloudEngineError('PERMISSION_DENIED', `Revoking access to project ${projectId} needs admin on it; ${revokedBy} has ${own ?? 'no access'}.`, {
        details: { needed: 'admin', held: own },
      }));
    }
    await this.db.transaction(async (manager) => {
      const result = await manager.delete(AccessGrantEntity, { projectId, userId });
      if (result.affected !== 1) {
        throw new CloudEngineError('NOT_FOUND', `${userId} has no grant on project ${projectId}; nothing to revoke.`, { field: 'userId', value: userId });
      }
      await this.audit.record({ actor: revokedBy, action: 'access.revoked', projectId, details: { userId } }, manager);
    });
  }

  /** Every grant on a project, with its expiry; expired grants are marked, not hidden. */
  async list(projectId: string): Promise<AccessGrant[]> {
    const now = this.clock.now();
    const rows = await this.db.manager.find(AccessGrantEntity, { where: { projectId }, order: { userId: 'ASC' } });
    return rows.map((row) => toGrant(row, now));
  }

  /** Projects where the user holds at least `level` now, by grant or by a mapped chat role (global admins: all). */
  async projectsFor(userId: string, level: AccessLevel): Promise<string[]> {
    if (this.isGlobalAdmin(userId)) return (await this.db.manager.find(ProjectEntity, { select: { id: true }, order: { id: 'ASC' } })).map((row) => row.id);
    const now = this.clock.now();
    const rows = await this.db.manager.find(AccessGrantEntity, { where: { userId }, order: { projectId: 'ASC' } });
    const granted = rows.filter((row) => !isExpired(row, now) && levelAtLeast(row.level, level)).map((row) => row.projectId);
    // Inside a chat interaction, projects whose access.roles map a role the member holds count too.
    const mapped = await this.roles.projectsFor(userId, level);
    return [...new Set([...granted, ...mapped])].sort();
  }

  /** Audits a refusal and returns it to throw. */
  private async refused(actor: string, action: string, projectId: string, error: CloudEngineError): Promise<CloudEngineError> {
    await this.audit.refused({ actor, action, projectId, error });
    return error;
  }

  private async requireProject(projectId: string): Promise<void> {
    if (!(await this.db.manager.existsBy(ProjectEntity, { id: projectId }))) {
      throw projectNotFound(projectId);
    }
  }
}
export const AccessServiceToken = token<AccessService>('kernel.access');

function isExpired(grant: AccessGrantEntity, now: Date): boolean {
  return grant.expiresAt !== null && grant.expiresAt <= now;
}

function toGrant(entity: AccessGrantEntity, now: Date): AccessGrant {
  return {
    projectId: entity.projectId,
    userId: entity.userId,
    level: entity.level,
    grantedBy: entity.grantedBy,
    grantedAt: entity.grantedAt,
    expiresAt: entity.expiresAt,
    expired: isExpired(entity, now),
  };
}
