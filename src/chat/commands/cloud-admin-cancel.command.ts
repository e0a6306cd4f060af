import { defineChatCommand } from '../chat-command.js';
import { requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-admin-cancel session_id:<id>`: cancels anyone's deployment (project admins). */
export const cloudAdminCancelCommand = defineChatCommand({
  name: 'cloud-admin-cancel',
  description: "Cancel anyone's deployment (project admins)",
  admin: true,
  options: [{ name: 'session_id', description: 'Session to cancel', type: 'string', required: true, suggestions: 'any-sessions' }],
  // Cancelling someone else's session takes admin on its project: the kernel checks it with the session in hand.
  preconditions: [signedIn],
  run: async ({ actions, userId, args }) => ({ kind: 'lobby', lobby: await actions.cancel(requiredText(args, 'session_id'), userId) }),
});
