import { defineChatCommand } from '../chat-command.js';
import { AccessActions } from '../access-actions.js';
import { requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-access project`: grants with their expiry and pending requests; Approve and Deny for the project's admins. */
export const cloudAccessCommand = defineChatCommand({
  name: 'cloud-access',
  description: "Show a project's grants with their expiry and the pending access requests",
  admin: false,
  options: [{ name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'readable-projects' }],
  // Everyone sees their own request and grant; readers see all grants; admins all requests, with the buttons.
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => ({ kind: 'message', message: await new AccessActions(api).overview(requiredText(args, 'project'), userId) }),
});
