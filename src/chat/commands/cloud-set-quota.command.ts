import { parseWholeNumber } from '../../kernel/arguments.js';
import { renderQuotaBar } from '../../kernel/quotas/quota-bar.js';
import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-set-quota project resource_type limit`: how many resources of a kind a project may hold (project admins). */
export const cloudSetQuotaCommand = defineChatCommand({
  name: 'cloud-set-quota',
  description: 'Set how many resources of a kind a project may hold',
  admin: true,
  options: [
    { name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'administered-projects' },
    { name: 'resource_type', description: 'Quota key, e.g. compute_vm, storage_bucket', type: 'string', required: true, suggestions: 'quota-keys' },
    { name: 'limit', description: 'Maximum number', type: 'integer', required: true, min: 0, max: 1_000_000 },
  ],
  // Setting checks the range, the project and admin on it (a refusal audited as quota.set).
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => {
    const projectId = requiredText(args, 'project');
    const quotaKey = requiredText(args, 'resource_type');
    await api.quotas.set({ projectId, quotaKey, limit: parseWholeNumber(args.limit, 'limit'), setBy: userId });
    const row = (await api.quotas.usage(projectId)).find((item) => item.quotaKey === quotaKey);
    return message(`${quotaKey} on ${projectId}: ${row && row.limit !== null ? renderQuotaBar(row.used + row.reserved, row.limit) : 'no limit'}`, {
      title: 'Quota set',
      tone: 'success',
      ephemeral: false,
    });
  },
});
