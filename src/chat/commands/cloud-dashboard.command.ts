import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-dashboard`: a private, single-use link (5 minutes) that signs the asker in to the web dashboard. */
export const cloudDashboardCommand = defineChatCommand({
  name: 'cloud-dashboard',
  description: 'Get a private sign-in link to the web dashboard (works once, for 5 minutes)',
  admin: false,
  options: [],
  preconditions: [signedIn],
  run: async ({ api, userId }) => {
    const link = await api.signIns.issueLink(userId);
    return message([`Open this link within 5 minutes to sign in to the dashboard as ${userId} (it works once; keep it to yourself):`, link.url], {
      title: 'Dashboard sign-in',
      ephemeral: true,
    });
  },
});
