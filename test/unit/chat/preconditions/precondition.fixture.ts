import { CloudEngineError } from '../../../../src/kernel/errors.js';
import type { AccessRequest } from '../../../../src/kernel/access/authorizer.js';
import type { ChatApi } from '../../../../src/kernel/plugin/chat-adapter.js';
import type { CommandArgs } from '../../../../src/chat/chat-command.js';
import type { PreconditionContext } from '../../../../src/chat/preconditions/index.js';

/** Who holds what: `admin` is a global admin; dave administers web, alice deploys there, rita reads it. */
const LEVELS: Record<string, 'read' | 'deploy' | 'admin'> = { 'dave:web': 'admin', 'alice:web': 'deploy', 'rita:web': 'read' };
const NEEDED: Record<string, 'read' | 'deploy' | 'admin'> = { 'project.view': 'read', 'project.admin': 'admin', 'session.start': 'deploy', 'session.view': 'read', 'session.change': 'deploy', 'session.cancel': 'deploy' };
const ORDER = ['read', 'deploy', 'admin'];
/** Sessions: s1 of alice on web. */
const SESSIONS: Record<string, { id: string; projectId: string; userId: string }> = { s1: { id: 's1', projectId: 'web', userId: 'alice' } };

/** A chat API with just what preconditions ask, answering as the kernel would; `asked` records every authorization. */
export function fakeApi(overrides: { authorize?: (request: AccessRequest) => Promise<void> } = {}): { api: ChatApi; asked: AccessRequest[] } {
  const asked: AccessRequest[] = [];
  const authorizer = {
    isGlobalAdmin: (userId: string) => userId === 'admin',
    authorize:
      overrides.authorize ??
      (async (request: AccessRequest) => {
        asked.push(request);
        if (request.userId === 'admin') return;
        let needed = NEEDED[request.action]!;
        if (request.session && request.session.userId !== request.userId && request.action !== 'session.view') needed = 'admin';
        const held = LEVELS[`${request.userId}:${request.projectId}`];
        if (held && ORDER.indexOf(held) >= ORDER.indexOf(needed)) return;
        throw new CloudEngineError('PERMISSION_DENIED', `${request.action} needs ${needed} access to project ${request.projectId}; ${request.userId} has ${held ?? 'none'}.`, {
          details: { action: request.action, needed, held: held ?? null },
        });
      }),
  };
  const api = {
    authorizer,
    projects: {
      get: async (id: string) => {
        if (id !== 'web') throw new CloudEngineError('NOT_FOUND', `Project ${JSON.stringify(id)} does not exist.`, { field: 'projectId', value: id });
        return { id, provider: 'sandbox' };
      },
    },
    orchestrator: {
      getSession: async (id: string, viewerId: string) => {
        const session = SESSIONS[id];
        if (!session) throw new CloudEngineError('NOT_FOUND', `Session ${id} does not exist.`, { field: 'sessionId', value: id });
        await authorizer.authorize({ userId: viewerId, action: 'session.view', projectId: session.projectId, session });
        return session;
      },
    },
  } as unknown as ChatApi;
  return { api, asked };
}

export function context(api: ChatApi, userId: string, args: CommandArgs = {}): PreconditionContext {
  return { api, userId, args };
}
