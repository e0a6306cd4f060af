import { defineChatCommand } from '../chat-command.js';
import { optionalText, providerChoices, requiredText } from '../command-options.js';
import { signedIn } from '../preconditions/index.js';

/**
 * `/cloud-deploy project:<id> [provider:<id>] [deployment:<name>] [ttl:<duration>]`: opens a
 * change of a deployment and shows its lobby — of the one named (starting
 * from its current resources), a new one of that name, or a new one with a
 * generated name. LOCKED, naming the open change, who holds it and since
 * when, while another change of it is open. `ttl` makes a new deployment
 * expire (the kernel refuses a bad one, or one for an existing deployment).
 */
export const cloudDeployCommand = defineChatCommand({
  name: 'cloud-deploy',
  description: 'Start or change a deployment: a lobby to add, edit and remove resources, plan, approve and apply',
  admin: false,
  options: (api) => [
    { name: 'project', description: 'Project to deploy to', type: 'string', required: true, suggestions: 'deployable-projects' },
    { name: 'provider', description: "Cloud provider (defaults to the project's)", type: 'string', required: false, choices: providerChoices(api) },
    { name: 'deployment', description: 'Deployment to change, or a name for a new one (default: a new one)', type: 'string', required: false, suggestions: 'project-deployments' },
    { name: 'ttl', description: 'A new deployment expires after this (30m, 2h, 7d) and is torn down', type: 'string', required: false },
  ],
  // Starting the session checks the project, its provider and the deploy level, in that order, then the deployment's lock.
  preconditions: [signedIn],
  run: async ({ actions, userId, args }) => ({
    kind: 'lobby',
    lobby: await actions.open(userId, requiredText(args, 'project'), optionalText(args, 'provider'), optionalText(args, 'deployment'), optionalText(args, 'ttl')),
  }),
});
