import { ApplicationCommandOptionType, REST, Routes, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { ChatCommand } from '../../chat/chat-command.js';

/** The slash command definitions Discord receives, from the shared command layer. */
export function slashCommandsJson(commands: readonly ChatCommand[]): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return commands.map((command) => ({
    name: command.name,
    description: command.description.slice(0, 100),
    // Visible to everyone: permissions are the kernel's, a Discord role alone grants nothing.
    dm_permission: false,
    options: command.options.map((option) => ({
      name: option.name,
      description: option.description.slice(0, 100),
      required: option.required,
      type:
        option.type === 'integer' ? ApplicationCommandOptionType.Integer : option.type === 'user' ? ApplicationCommandOptionType.User : ApplicationCommandOptionType.String,
      ...(option.choices?.length ? { choices: option.choices.slice(0, 25).map((choice) => ({ name: choice.name.slice(0, 100), value: choice.value })) } : {}),
      ...(option.suggestions && !option.choices ? { autocomplete: true } : {}),
      ...(option.type === 'integer' && option.min !== undefined ? { min_value: option.min } : {}),
      ...(option.type === 'integer' && option.max !== undefined ? { max_value: option.max } : {}),
    })),
  })) as RESTPostAPIChatInputApplicationCommandsJSONBody[];
}

/** Registers the commands (bulk overwrite): in one guild for instant updates, else globally. */
export async function registerCommands(options: {
  token: string;
  applicationId: string;
  guildId?: string;
  apiUrl?: string;
  commands: readonly ChatCommand[];
}): Promise<number> {
  // A one-shot client: without sweepers it leaves no intervals running once the commands are in.
  const rest = new REST({ ...(options.apiUrl ? { api: options.apiUrl } : {}), hashSweepInterval: 0, handlerSweepInterval: 0 }).setToken(options.token);
  const body = slashCommandsJson(options.commands);
  const route = options.guildId ? Routes.applicationGuildCommands(options.applicationId, options.guildId) : Routes.applicationCommands(options.applicationId);
  const result = (await rest.put(route, { body })) as unknown[];
  return result.length;
}
