import { renderQuotaBar } from '../../kernel/quotas/quota-bar.js';
import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { requiredText } from '../command-options.js';
import { projectAccess, projectExists, signedIn } from '../preconditions/index.js';

/** `/cloud-quota project:<id>`: a bar per quota key of the project (read access). */
export const cloudQuotaCommand = defineChatCommand({
  name: 'cloud-quota',
  description: "Show a project's quota usage",
  admin: false,
  options: [{ name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'readable-projects' }],
  // Access first: whether a project exists is not told to someone who may not read it.
  preconditions: [signedIn, projectAccess('project.view'), projectExists()],
  run: async ({ api, args }) => {
    const projectId = requiredText(args, 'project');
    const usage = await api.quotas.usage(projectId);
    const lines = usage.length
      ? usage.map((row) =>
          row.limit === null
            ? `${row.quotaKey}: ${row.used} used${row.reserved ? ` + ${row.reserved} reserved` : ''} (no limit)`
            : `${row.quotaKey}: ${renderQuotaBar(row.used + row.reserved, row.limit)}${row.reserved ? ` (${row.reserved} reserved)` : ''}`,
        )
      : ['No quotas set and nothing deployed yet.'];
    return message(lines, { title: `Quotas of ${projectId}` });
  },
});
