import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import type { Suggestions } from './chat-command.js';

/** Suggestions for an option, filtered by what the user typed (autocomplete); at most 25, as Discord shows. */
export async function suggest(api: ChatApi, source: Suggestions, userId: string, typed: string): Promise<string[]> {
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
    case 'quota-keys':
      values = [...new Set(api.resourceTypes().map((type) => type.quotaKey))].sort();
      break;
  }
  const needle = typed.toLowerCase();
  return values.filter((value) => value.toLowerCase().includes(needle)).slice(0, 25);
}
