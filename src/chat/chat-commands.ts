import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import type { ChatCommand } from './chat-command.js';
import { redactError, redactReply } from './chat-message.js';
import { CHAT_COMMANDS } from './commands/index.js';
import { requirePreconditions } from './preconditions/index.js';
import { SessionActions } from './session-actions.js';

/**
 * The seed's twelve commands bound to a chat API: each checks the
 * preconditions it declares (the first refusal is thrown as the error users
 * see), then runs; what it replies or throws passes the kernel's redactor.
 */
export function chatCommands(api: ChatApi, actions = new SessionActions(api)): ChatCommand[] {
  const { redactor } = api;
  return CHAT_COMMANDS.map((definition) => ({
    name: definition.name,
    description: definition.description,
    admin: definition.admin,
    options: typeof definition.options === 'function' ? definition.options(api) : definition.options,
    run: async (userId, args) => {
      try {
        await requirePreconditions(definition.preconditions, { api, userId, args });
        return redactReply(await definition.run({ api, actions, userId, args }), (text) => redactor.redact(text));
      } catch (error) {
        // An error may quote what was typed (a bad JSON value, say) back to the channel.
        throw redactError(error, redactor);
      }
    },
  }));
}
