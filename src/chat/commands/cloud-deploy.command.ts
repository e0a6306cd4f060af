import { defineChatCommand } from '../chat-command.js';
import { optionalText, providerChoices, requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/** `/cloud-deploy project:<id> [provider:<id>]`: starts a session and shows its lobby. */
export const cloudDeployCommand = defineChatCommand({
  name: 'cloud-deploy',
  description: 'Start a deployment: opens a lobby to add resources, plan, approve and apply',
  admin: false,
  options: (api) => [
    { name: 'project', description: 'Project to deploy to', type: 'string', required: true, suggestions: 'deployable-projects' },
    { name: 'provider', description: "Cloud provider (defaults to the project's)", type: 'string', required: false, choices: providerChoices(api) },
  ],
  // Starting the session checks the project, its provider and the deploy level, in that order.
  preconditions: [signedIn],
  run: async ({ actions, userId, args }) => ({ kind: 'lobby', lobby: await actions.open(userId, requiredText(args, 'project'), optionalText(args, 'provider')) }),
});
