import type { AccessLevel } from '../../kernel/access/authorizer.js';
import { parseDurationArgument } from '../../kernel/arguments.js';
import { formatDuration } from '../../kernel/config/duration.js';
import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { ACCESS_CHOICES, optionalText, requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-grant user project permission [duration]`: just-in-time access, until revoked or for a time. */
export const cloudGrantCommand = defineChatCommand({
  name: 'cloud-grant',
  description: 'Grant a user access to a project (read, deploy or admin), optionally for a time',
  admin: true,
  options: [
    { name: 'user', description: 'Who gets access', type: 'user', required: true },
    { name: 'project', description: 'Project', type: 'string', required: true, suggestions: 'administered-projects' },
    { name: 'permission', description: 'Access level', type: 'string', required: true, choices: ACCESS_CHOICES },
    { name: 'duration', description: 'How long, e.g. 30m, 2h, 7d (default: until revoked)', type: 'string', required: false },
  ],
  // The grant itself checks admin on the project and never above the granter's own level (audited as access.grant).
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => {
    const duration = optionalText(args, 'duration');
    const ms = duration === undefined ? undefined : parseDurationArgument(duration, 'duration');
    const grant = await api.access.grant({
      projectId: requiredText(args, 'project'),
      userId: requiredText(args, 'user'),
      level: requiredText(args, 'permission') as AccessLevel,
      grantedBy: userId,
      expiresAt: ms === undefined ? undefined : new Date(Date.now() + ms),
    });
    // The duration asked for: expiresAt - grantedAt can fall a millisecond short of it ("7200s" instead of "2h").
    const until = grant.expiresAt
      ? ` for ${formatDuration(ms ?? grant.expiresAt.getTime() - grant.grantedAt.getTime())}, until ${grant.expiresAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`
      : ' until revoked';
    return message(`Granted ${grant.level} on ${grant.projectId} to ${grant.userId}${until}.`, { title: 'Access granted', tone: 'success', ephemeral: false });
  },
});
