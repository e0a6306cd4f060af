import type { Action } from '../../kernel/access/authorizer.js';
import { requiredOption, resultOf, type Precondition } from './precondition.js';

/** The actions a project-wide level is asked for (session actions need the session: see `sessionAccess`). */
export type ProjectAction = Extract<Action, 'project.view' | 'project.admin' | 'session.start' | 'session.list'>;

/**
 * The person holds the level `action` needs on the project named by `option`
 * (read to view, admin to administer, …: the authorizer's ACTION_LEVELS).
 * Asked of the kernel's authorizer, so the refusal is worded and audited as
 * the kernel's own: "Viewing this project needs read access to project web; …".
 */
export function projectAccess(action: ProjectAction, option = 'project'): Precondition {
  return {
    name: 'projectAccess',
    async run({ api, userId, args }) {
      const project = requiredOption(args, option);
      if ('refusal' in project) return project.refusal;
      return resultOf(() => api.authorizer.authorize({ userId, action, projectId: project.value }));
    },
  };
}
