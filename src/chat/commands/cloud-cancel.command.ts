import { defineChatCommand } from '../chat-command.js';
import { requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-cancel session_id:<id>`: cancels one of the asker's deployments and shows its lobby. */
export const cloudCancelCommand = defineChatCommand({
  name: 'cloud-cancel',
  description: 'Cancel one of your deployments',
  admin: false,
  options: [{ name: 'session_id', description: 'Session to cancel', type: 'string', required: true, suggestions: 'own-sessions' }],
  // Cancelling checks the session's state and who may cancel it (someone else's takes admin).
  preconditions: [signedIn],
  run: async ({ actions, userId, args }) => ({ kind: 'lobby', lobby: await actions.cancel(requiredText(args, 'session_id'), userId) }),
});
