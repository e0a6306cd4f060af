import { token } from '../plugin/token.js';

/** Project access levels, ordered: read < deploy < admin. */
export const AccessLevel = { READ: 'read', DEPLOY: 'deploy', ADMIN: 'admin' } as const;
export type AccessLevel = (typeof AccessLevel)[keyof typeof AccessLevel];
export const ACCESS_LEVELS: readonly AccessLevel[] = ['read', 'deploy', 'admin'];

/** Whether `held` is at least `needed`. */
export function levelAtLeast(held: AccessLevel | null | undefined, needed: AccessLevel): boolean {
  return held != null && ACCESS_LEVELS.indexOf(held) >= ACCESS_LEVELS.indexOf(needed);
}

/** The level each action needs on its project; changing, planning or cancelling someone else's session needs admin. */
export const ACTION_LEVELS: Readonly<Record<Exclude<Action, 'project.create'>, AccessLevel>> = {
  'project.view': 'read',
  'project.admin': 'admin',
  'session.view': 'read',
  'session.list': 'read',
  'session.start': 'deploy',
  'session.change': 'deploy',
  'session.plan': 'deploy',
  'session.approve': 'deploy',
  'session.cancel': 'deploy',
};

/** Everything the kernel asks permission for. */
export type Action =
  | 'project.create'
  | 'project.view'
  | 'project.admin'
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
