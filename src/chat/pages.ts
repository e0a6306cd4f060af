import type { SessionView } from '../kernel/sessions/session-view.js';
import { message, type ChatReply } from './chat-message.js';

/** Lines per page of a list reply. */
export const PAGE_SIZE = 10;

/** One page of `lines` (the last one when `pageNumber` is past the end), with the page count when there are several. */
export function paginate(lines: readonly string[], title: string, pageNumber = 1): ChatReply {
  const count = Math.max(1, Math.ceil(lines.length / PAGE_SIZE));
  const index = Math.min(Math.max(1, pageNumber), count);
  return message(lines.slice((index - 1) * PAGE_SIZE, index * PAGE_SIZE), { title, page: count > 1 ? { index, count } : undefined });
}

/** Sessions one per line: id, project, state, resources, owner, plan. */
export function sessionList(sessions: readonly SessionView[], title: string, pageNumber?: number): ChatReply {
  const lines = sessions.map(
    (session) =>
      `${session.id} · ${session.projectId} · ${session.state} · ${session.resources.length} resource${session.resources.length === 1 ? '' : 's'} · ${session.userId}` +
      (session.plan ? ` · ${session.plan.summary}` : ''),
  );
  return paginate(lines.length ? lines : ['No deployments.'], title, pageNumber);
}
