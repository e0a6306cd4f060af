import { inject, injectable } from 'inversify';
import { EngineConfig } from '../config/engine-config.js';
import { CloudEngineError } from '../errors.js';
import type { AccessRequest, Authorizer } from './authorizer.js';

/**
 * The authorizer before per-project grants exist: global admins may do
 * anything, anyone may start and view sessions, and only a session's owner
 * may change, plan, approve or cancel it. Only global admins create projects.
 */
@injectable()
export class OwnerAuthorizer implements Authorizer {
  private readonly admins: ReadonlySet<string>;

  constructor(@inject(EngineConfig) config: EngineConfig) {
    this.admins = new Set(config.admins);
  }

  isGlobalAdmin(userId: string): boolean {
    return this.admins.has(userId);
  }

  async authorize(request: AccessRequest): Promise<void> {
    if (this.isGlobalAdmin(request.userId)) return;
    switch (request.action) {
      case 'project.view':
      case 'session.view':
      case 'session.list':
      case 'session.start':
        return;
      case 'project.create':
        throw new CloudEngineError(
          'PERMISSION_DENIED',
          `Only global admins can create projects; ${request.userId} is not one. Ask an admin listed in CLOUD_ENGINE_ADMINS.`,
          { details: { action: request.action, needed: 'global admin' } },
        );
      default:
        if (request.session && request.session.userId === request.userId) return;
        throw new CloudEngineError(
          'PERMISSION_DENIED',
          `Only the owner of session ${request.session?.id ?? '?'} (${request.session?.userId ?? '?'}) or a global admin can do ${request.action}; ${request.userId} is neither.`,
          { details: { action: request.action, needed: 'owner or global admin' } },
        );
    }
  }
}
