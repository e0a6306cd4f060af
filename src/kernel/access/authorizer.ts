import { token } from '../plugin/token.js';

/** Project access levels, ordered: read < deploy < admin. */
export const AccessLevel = { READ: 'read', DEPLOY: 'deploy', ADMIN: 'admin' } as const;
export type AccessLevel = (typeof AccessLevel)[keyof typeof AccessLevel];

/** Everything the kernel asks permission for. */
export type Action =
  | 'project.create'
  | 'project.view'
  | 'session.view'
  | 'session.list'
  | 'session.start'
  | 'session.change'
  | 'session.plan'
  | 'session.approve'
  | 'session.cancel';

export interface AccessRequest {
  readonly userId: string;
  readonly action: Action;
  readonly projectId?: string;
  /** The session acted on, when there is one. */
  readonly session?: { readonly id: string; readonly userId: string };
}

/**
 * Decides who may do what; the orchestrator asks before every operation.
 * Throws PERMISSION_DENIED naming what is needed.
 */
export interface Authorizer {
  authorize(request: AccessRequest): Promise<void>;
  /** Whether the user is a global admin (CLOUD_ENGINE_ADMINS). */
  isGlobalAdmin(userId: string): boolean;
}
export const Authorizer = token<Authorizer>('kernel.authorizer');
