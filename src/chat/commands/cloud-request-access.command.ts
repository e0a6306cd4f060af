import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { AccessActions } from '../access-actions.js';
import { whenText } from '../access-messages.js';
import { ACCESS_CHOICES, requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-request-access project level duration reason`: ask the project's admins; they answer with a button. */
export const cloudRequestAccessCommand = defineChatCommand({
  name: 'cloud-request-access',
  description: "Ask a project's admins for access (read, deploy or admin) for a time",
  admin: false,
  options: [
    { name: 'project', description: 'Project', type: 'string', required: true },
    { name: 'level', description: 'Access level', type: 'string', required: true, choices: ACCESS_CHOICES },
    { name: 'duration', description: 'For how long, e.g. 30m, 2h, 7d', type: 'string', required: true },
    { name: 'reason', description: 'Why (at most 500 characters)', type: 'string', required: true },
  ],
  // The kernel checks the level, the duration and the reason, naming the field and the limit.
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => {
    const request = await new AccessActions(api).request(userId, {
      projectId: requiredText(args, 'project'),
      level: requiredText(args, 'level'),
      duration: requiredText(args, 'duration'),
      reason: requiredText(args, 'reason'),
    });
    const capped = request.cappedTo ? ` An approval grants ${request.cappedTo}, the project's maximum.` : '';
    return message(
      [
        `Asked for ${request.level} on ${request.projectId} for ${request.duration} (request ${request.id}).${capped}`,
        `The project's admins decide with a button; you will be told. Unanswered, it lapses at ${whenText(request.expiresAt)}.`,
      ],
      { title: 'Access requested', tone: 'success', ephemeral: true },
    );
  },
});
