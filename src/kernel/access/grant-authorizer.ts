import { inject, injectable } from 'inversify';
import { AuditLogToken, type AuditLog } from '../audit/audit-log.js';
import { CloudEngineError } from '../errors.js';
import { AccessServiceToken, type AccessService } from './access-service.js';
import { ACTION_LEVELS, levelAtLeast, type AccessLevel, type AccessRequest, type Authorizer } from './authorizer.js';

/**
 * Decides by per-project grants, read at the moment of use: read to see,
 * deploy to start a session, to change, plan, tear down and cancel one's own,
 * and to approve anyone's (four-eyes rules apply on top); admin to change,
 * plan, tear down or cancel other people's sessions and to administer the
 * project. Only global admins create projects.
 */
@injectable()
export class GrantAuthorizer implements Authorizer {
  constructor(
    @inject(AccessServiceToken) private readonly access: AccessService,
    @inject(AuditLogToken) private readonly audit: AuditLog,
  ) {}

  isGlobalAdmin(userId: string): boolean {
    return this.access.isGlobalAdmin(userId);
  }

  /** Refusals are audited with the actor and the reason. */
  async authorize(request: AccessRequest): Promise<void> {
    try {
      await this.decide(request);
    } catch (error) {
      const refusal = error as CloudEngineError;
      await this.audit.refused({ actor: request.userId, action: request.action, projectId: request.projectId, sessionId: request.session?.id, error: refusal });
      throw error;
    }
  }

  private async decide(request: AccessRequest): Promise<void> {
    if (this.isGlobalAdmin(request.userId)) return;
    if (request.action === 'project.create') {
      throw new CloudEngineError(
        'PERMISSION_DENIED',
        `Only global admins can create projects; ${request.userId} is not one. Ask an admin listed in CLOUD_ENGINE_ADMINS.`,
        { details: { action: request.action, needed: 'global admin' } },
      );
    }
    let needed: AccessLevel = ACTION_LEVELS[request.action];
    if (OWNER_ACTIONS.has(request.action) && request.session && request.session.userId !== request.userId) needed = 'admin';
    const source = request.projectId ? await this.access.held(request.userId, request.projectId) : null;
    const held = source?.level ?? null;
    if (levelAtLeast(held, needed)) {
      // A level that comes from a chat role (access.roles) is audited as such at each use.
      if (source?.source === 'role') {
        await this.audit.record({ actor: request.userId, action: 'access.viaRole', projectId: request.projectId, sessionId: request.session?.id, details: { action: request.action, roleId: source.roleId, level: held } });
      }
      return;
    }
    throw new CloudEngineError(
      'PERMISSION_DENIED',
      `${describe(request)} needs ${needed} access to project ${request.projectId}; ${request.userId} has ${held ?? 'none'}. Ask a project admin for a grant (chat: /cloud-grant; command line: cloud-engine grant).`,
      { details: { action: request.action, needed, held, projectId: request.projectId } },
    );
  }
}

/** What deploy access allows on one's own sessions only; on someone else's it takes admin. */
const OWNER_ACTIONS: ReadonlySet<string> = new Set(['session.change', 'session.plan', 'session.cancel']);

function describe(request: AccessRequest): string {
  const what: Record<string, string> = {
    'project.view': 'Viewing this project',
    'project.admin': 'Administering this project',
    'session.view': 'Viewing this session',
    'session.list': "Listing this project's sessions",
    'session.start': 'Starting a session',
    'session.change': request.session ? `Changing session ${request.session.id} of ${request.session.userId}` : 'Changing this session',
    'session.plan': request.session ? `Planning (or tearing down) session ${request.session.id} of ${request.session.userId}` : 'Planning this session',
    'session.approve': 'Approving this session',
    'session.cancel': request.session ? `Cancelling session ${request.session.id} of ${request.session.userId}` : 'Cancelling a session',
  };
  return what[request.action] ?? request.action;
}
