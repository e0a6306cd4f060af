import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import { isCloudEngineError } from '../kernel/errors.js';
import type { CommandArgs, Suggestions } from './chat-command.js';
import { optionalText } from './command-options.js';

/**
 * Suggestions for an option, filtered by what the user typed (autocomplete);
 * at most 25, as Discord shows. `args` are the command's other options as
 * typed so far (the project whose deployments to suggest).
 */
export async function suggest(api: ChatApi, source: Suggestions, userId: string, typed: string, args: CommandArgs = {}): Promise<string[]> {
  let values: string[];
  switch (source) {
    case 'deployable-projects':
      values = await api.access.projectsFor(userId, 'deploy');
      break;
    case 'readable-projects':
      values = await api.access.projectsFor(userId, 'read');
      break;
    case 'administered-projects':
      values = await api.access.projectsFor(userId, 'admin');
      break;
    case 'own-sessions':
      values = (await api.orchestrator.listSessions({ userId, states: ['DRAFT', 'VALIDATING', 'PLANNING', 'PLAN_READY', 'PLAN_FAILED'] }, userId)).map((session) => session.id);
      break;
    case 'any-sessions':
      values = (await api.orchestrator.listSessions({ states: ['DRAFT', 'VALIDATING', 'PLANNING', 'PLAN_READY', 'PLAN_FAILED', 'APPLYING'] }, userId)).map((session) => session.id);
      break;
    case 'project-deployments':
      values = await deploymentNames(api, userId, optionalText(args, 'project'));
      break;
    case 'quota-keys':
      values = [...new Set(api.resourceTypes().map((type) => type.quotaKey))].sort();
      break;
  }
  const needle = typed.toLowerCase();
  return values.filter((value) => value.toLowerCase().includes(needle)).slice(0, 25);
}

/**
 * Names of the deployments of the project typed so far, or of every project
 * the user can deploy to, newest first; torn-down ones last. Nothing for a
 * project the user may not read (autocomplete tells no secrets).
 */
async function deploymentNames(api: ChatApi, userId: string, projectId: string | undefined): Promise<string[]> {
  try {
    if (projectId !== undefined) return ordered(await api.deployments.list({ projectId }, userId));
    const projects = new Set(await api.access.projectsFor(userId, 'deploy'));
    return [...new Set(ordered((await api.deployments.list({}, userId)).filter((deployment) => projects.has(deployment.projectId))))];
  } catch (error) {
    if (isCloudEngineError(error) && error.code !== 'INTERNAL') return [];
    throw error;
  }
}

function ordered(deployments: readonly { name: string; state: string }[]): string[] {
  return [...deployments.filter((deployment) => deployment.state !== 'DESTROYED'), ...deployments.filter((deployment) => deployment.state === 'DESTROYED')].map((deployment) => deployment.name);
}
