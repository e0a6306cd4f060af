import { defineChatCommand } from '../chat-command.js';
import { PAGE_OPTION, optionalWholeNumber } from '../command-options.js';
import { paginate } from '../pages.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-projects [page:<n>]`: the projects the asker can read, with their level on each. */
export const cloudProjectsCommand = defineChatCommand({
  name: 'cloud-projects',
  description: 'List the projects you can use',
  admin: false,
  options: [PAGE_OPTION],
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => {
    const ids = await api.access.projectsFor(userId, 'read');
    const rows = await Promise.all(ids.map(async (id) => ({ project: await api.projects.get(id), level: await api.access.levelOf(userId, id) })));
    const lines = rows.map(({ project, level }) => `${project.id} — ${project.provider} — your access: ${level}`);
    return paginate(lines.length ? lines : ['You have no projects yet. Ask a project admin for access (/cloud-grant).'], 'Projects', optionalWholeNumber(args, 'page'));
  },
});
