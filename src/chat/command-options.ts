import { parseWholeNumber } from '../kernel/arguments.js';
import { CloudEngineError } from '../kernel/errors.js';
import type { ChatApi } from '../kernel/plugin/chat-adapter.js';
import { DeploymentState } from '../kernel/sessions/deployment-state.js';
import type { CommandArgs, CommandOption } from './chat-command.js';

/** The `page` option of the list commands. */
export const PAGE_OPTION: CommandOption = { name: 'page', description: 'Page of the list', type: 'integer', required: false, min: 1, max: 1000 };

export const ACCESS_CHOICES: readonly { readonly name: string; readonly value: string }[] = ['read', 'deploy', 'admin'].map((level) => ({ name: level, value: level }));

export const STATE_CHOICES: readonly { readonly name: string; readonly value: string }[] = Object.values(DeploymentState).map((state) => ({ name: state, value: state }));

/** The loaded providers as choices. */
export function providerChoices(api: ChatApi): { name: string; value: string }[] {
  return api.providers().map((provider) => ({ name: provider.displayName, value: provider.id }));
}

/** A required option's text; missing (or empty) is INVALID_INPUT naming it. */
export function requiredText(args: CommandArgs, name: string): string {
  const value = args[name];
  if (value === undefined || value === '') throw new CloudEngineError('INVALID_INPUT', `Missing ${name}: this option is required.`, { field: name });
  return String(value);
}

/** An optional option's text; empty counts as not given. */
export function optionalText(args: CommandArgs, name: string): string | undefined {
  const value = args[name];
  return value === undefined || value === '' ? undefined : String(value);
}

/** An optional whole-number option (read as the CLI reads its numbers). */
export function optionalWholeNumber(args: CommandArgs, name: string): number | undefined {
  return args[name] === undefined ? undefined : parseWholeNumber(args[name], name);
}
