import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-revoke user project`: removes a grant; it takes effect at the user's next action. */
export const cloudRevokeCommand = defineChatCommand({
  name: 'cloud-revoke',
  description: "Revoke a user's access to a project",
  admin: true,
  options: [
    { name: 'user', description: 'Whose access', type: 'user', required: true },
    { name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'administered-projects' },
  ],
  // The revocation itself checks admin on the project (audited as access.revoke).
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => {
    await api.access.revoke({ projectId: requiredText(args, 'project'), userId: requiredText(args, 'user'), revokedBy: userId });
    return message(`Revoked ${requiredText(args, 'user')}'s access to ${requiredText(args, 'project')}. It takes effect at their next action.`, {
      title: 'Access revoked',
      tone: 'success',
      ephemeral: false,
    });
  },
});
