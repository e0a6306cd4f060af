import type { Action } from '../../kernel/access/authorizer.js';
import { requiredOption, resultOf, type Precondition } from './precondition.js';

/** The actions on one session (deploy on one's own, admin on someone else's for change, plan and cancel). */
export type SessionAction = Extract<Action, 'session.view' | 'session.change' | 'session.plan' | 'session.approve' | 'session.cancel'>;

/**
 * The session named by `option` exists, the person may see it, and may do
 * `action` to it; refusals are the kernel's (NOT_FOUND, PERMISSION_DENIED
 * naming whose session it is and the level needed).
 */
export function sessionAccess(action: SessionAction, option = 'session_id'): Precondition {
  return {
    name: 'sessionAccess',
    async run({ api, userId, args }) {
      const sessionId = requiredOption(args, option);
      if ('refusal' in sessionId) return sessionId.refusal;
      return resultOf(async () => {
        const session = await api.orchestrator.getSession(sessionId.value, userId);
        await api.authorizer.authorize({ userId, action, projectId: session.projectId, session: { id: session.id, userId: session.userId } });
      });
    },
  };
}
