import { DONE_STATES, DeploymentState } from '../../kernel/sessions/deployment-state.js';
import { defineChatCommand } from '../chat-command.js';
import { message } from '../chat-message.js';
import { PAGE_OPTION, optionalText, optionalWholeNumber } from '../command-options.js';
import { deploymentLine, pageOf } from '../pages.js';
import { signedIn } from '../preconditions/index.js';

/**
 * `/cloud-list [page:<n>] [project:<id>]`: the deployments of the projects
 * the asker can read (or of one), newest first — name, project, state,
 * resources, monthly cost, TTL ("expires in 3 h"), and the open change with its owner. A new
 * deployment whose only change was given up (nothing deployed, nothing
 * open) is left out.
 */
export const cloudListCommand = defineChatCommand({
  name: 'cloud-list',
  description: 'List the deployments of your projects, with their open changes',
  admin: false,
  options: [PAGE_OPTION, { name: 'project', description: 'Only this project', type: 'string', required: false, suggestions: 'readable-projects' }],
  // Listing one project needs read on it: the kernel checks and words it.
  preconditions: [signedIn],
  run: async ({ api, userId, args }) => {
    const projectId = optionalText(args, 'project');
    // One read for the deployments, one for their open changes (at most one each), whatever their number.
    const [all, open] = await Promise.all([api.deployments.list({ projectId }, userId), api.orchestrator.listSessions({ projectId, states: OPEN_STATES }, userId)]);
    const deployments = all.filter((deployment) => deployment.state !== 'NEW' || deployment.openSessionId !== null);
    const title = projectId ? `Deployments of ${projectId}` : 'Deployments';
    if (deployments.length === 0) return message('No deployments.', { title });
    const sessions = new Map(open.map((session) => [session.id, session]));
    const now = api.lifecycle.now();
    const { index, count, start, end } = pageOf(deployments.length, optionalWholeNumber(args, 'page'));
    const lines = deployments.slice(start, end).map((deployment) => deploymentLine(deployment, deployment.openSessionId ? sessions.get(deployment.openSessionId) : undefined, now));
    return message(lines, { title, page: count > 1 ? { index, count } : undefined });
  },
});

/** The states of an open change: every state but those a change ends in. */
const OPEN_STATES = Object.values(DeploymentState).filter((state) => !DONE_STATES.includes(state));
