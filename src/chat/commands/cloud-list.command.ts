import { defineChatCommand } from '../chat-command.js';
import { PAGE_OPTION, optionalWholeNumber } from '../command-options.js';
import { sessionList } from '../pages.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-list [page:<n>]`: the asker's own deployments, newest first. */
export const cloudListCommand = defineChatCommand({
  name: 'cloud-list',
  description: 'List your deployments',
  admin: false,
  options: [PAGE_OPTION],
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => sessionList(await api.orchestrator.listSessions({ userId }, userId), 'Your deployments', optionalWholeNumber(args, 'page')),
});
