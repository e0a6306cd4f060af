import { defineChatCommand } from '../chat-command.js';
import { optionalText, requiredText } from '../command-options.js';
import { DriftActions } from '../drift-actions.js';
import { signedIn } from '../preconditions/index.js';

/**
 * `/cloud-drift deployment:<name or id> [project:<id>]`: compares a
 * deployment with the cloud now (a refresh-only plan) and answers in the
 * channel with each drifted resource and what differs, with Reconcile and
 * Dismiss. The kernel checks deploy access and that no change is open.
 */
export const cloudDriftCommand = defineChatCommand({
  name: 'cloud-drift',
  description: 'Check a deployment for drift: what changed in the cloud outside Terraform',
  admin: false,
  options: [
    { name: 'deployment', description: 'Deployment name (with project) or id', type: 'string', required: true, suggestions: 'project-deployments' },
    { name: 'project', description: 'Project of the deployment (needed for a name)', type: 'string', required: false, suggestions: 'deployable-projects' },
  ],
  preconditions: [signedIn],
  run: ({ api, userId, args }) => new DriftActions(api).check(requiredText(args, 'deployment'), userId, optionalText(args, 'project')),
});
