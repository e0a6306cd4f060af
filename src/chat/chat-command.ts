import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import type { ChatReply } from './chat-message.js';
import type { Precondition } from './preconditions/precondition.js';
import type { SessionActions } from './session-actions.js';

/** Where an option's suggestions come from, for adapters that autocomplete. */
export type Suggestions = 'deployable-projects' | 'readable-projects' | 'administered-projects' | 'own-sessions' | 'any-sessions' | 'quota-keys' | 'project-deployments';

export interface CommandOption {
  readonly name: string;
  readonly description: string;
  readonly type: 'string' | 'integer' | 'user';
  readonly required: boolean;
  readonly choices?: readonly { readonly name: string; readonly value: string }[];
  readonly suggestions?: Suggestions;
  readonly min?: number;
  readonly max?: number;
}

export type CommandArgs = Readonly<Record<string, string | number | undefined>>;

/** A chat command as every adapter offers it; the kernel decides who may do what. */
export interface ChatCommand {
  readonly name: string;
  readonly description: string;
  /** Listed among the admin commands; the kernel still checks every call. */
  readonly admin: boolean;
  readonly options: readonly CommandOption[];
  run(userId: string, args: CommandArgs): Promise<ChatReply>;
}

/** What a command's `run` gets: the chat API, the lobby operations, who asked, and what they typed. */
export interface CommandContext {
  readonly api: ChatApi;
  readonly actions: SessionActions;
  readonly userId: string;
  readonly args: CommandArgs;
}

/** A command as defined in `commands/<name>.command.ts`; `chatCommands` binds it to an API. */
export interface ChatCommandDefinition {
  readonly name: string;
  readonly description: string;
  readonly admin: boolean;
  /** Its options; a function of the API when they list what is loaded (providers). */
  readonly options: readonly CommandOption[] | ((api: ChatApi) => readonly CommandOption[]);
  /** Checked in order before `run`; the first refusal is the answer and `run` is not called. */
  readonly preconditions: readonly Precondition[];
  run(context: CommandContext): Promise<ChatReply>;
}

/** Declares a chat command (typed; nothing is registered until it is listed in `commands/index.ts`). */
export function defineChatCommand(definition: ChatCommandDefinition): ChatCommandDefinition {
  return definition;
}
