import { parseStates } from '../../kernel/arguments.js';
import { defineChatCommand } from '../chat-command.js';
import { PAGE_OPTION, STATE_CHOICES, optionalText, optionalWholeNumber } from '../command-options.js';
import { sessionList } from '../pages.js';
import { byOption, globalAdmin, projectAccess, signedIn } from '../preconditions/index.js';

/** `/cloud-admin-list [project] [state] [page]`: every deployment of a project (its admins), or of all projects (global admins). */
export const cloudAdminListCommand = defineChatCommand({
  name: 'cloud-admin-list',
  description: 'List every deployment (of a project, or everywhere for global admins)',
  admin: true,
  options: [
    { name: 'project', description: 'Only this project', type: 'string', required: false, suggestions: 'administered-projects' },
    { name: 'state', description: 'Only this state', type: 'string', required: false, choices: STATE_CHOICES },
    PAGE_OPTION,
  ],
  preconditions: [
    signedIn,
    byOption('project', projectAccess('project.admin'), globalAdmin(() => 'Listing deployments of every project is for global admins; name a project you administer.')),
  ],
  run: async ({ api, userId, args }) => {
    const projectId = optionalText(args, 'project');
    const state = optionalText(args, 'state');
    const states = state === undefined ? undefined : parseStates([state], 'state');
    const sessions = await api.orchestrator.listSessions({ projectId, states }, userId);
    return sessionList(sessions, projectId ? `Deployments of ${projectId}` : 'All deployments', optionalWholeNumber(args, 'page'));
  },
});
