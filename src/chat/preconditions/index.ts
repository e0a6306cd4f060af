/** The preconditions chat commands (and adapters' buttons) declare, listed explicitly. */
export { byOption, checkPreconditions, error, ok, refusalError, requirePreconditions, resultOf } from './precondition.js';
export type { Precondition, PreconditionContext, PreconditionError, PreconditionRefusal, PreconditionResult } from './precondition.js';
export { globalAdmin } from './global-admin.precondition.js';
export { projectAccess, type ProjectAction } from './project-access.precondition.js';
export { projectExists } from './project-exists.precondition.js';
export { sessionAccess, type SessionAction } from './session-access.precondition.js';
export { signedIn } from './signed-in.precondition.js';
