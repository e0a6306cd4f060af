import type { Command } from 'commander';
import { CloudEngineError } from '../kernel/errors.js';
import { chatCommands } from '../chat/chat-commands.js';
import { chatApiOf } from '../kernel/plugin/chat-adapter.js';
import { discordConfigFromEnv } from '../plugins/discord/discord-config.js';
import { runCommand, withJsonOption, type CliRuntime, type OutputOptions } from './cli-context.js';

/** `cloud-engine register-commands`: registers the slash commands with Discord (in DISCORD_GUILD_ID when set). */
export function registerRegisterCommandsCommand(program: Command, runtime: CliRuntime): void {
  withJsonOption(program.command('register-commands').description('Register the slash commands with Discord (DISCORD_TOKEN, DISCORD_APPLICATION_ID, DISCORD_GUILD_ID).')).action(
    async (options: OutputOptions) => {
      runtime.exitCode = await runCommand(runtime.io, options, async (ctx) => {
        const config = discordConfigFromEnv(ctx.io.env);
        if (!config) {
          throw new CloudEngineError('CONFIG_INVALID', 'Discord is not configured: set DISCORD_TOKEN and DISCORD_APPLICATION_ID (and DISCORD_GUILD_ID for one guild).', {
            field: 'DISCORD_TOKEN',
          });
        }
        // discord.js loads only for this subcommand.
        const { registerCommands } = await import('../plugins/discord/command-registration.js');
        const count = await registerCommands({ ...config, commands: chatCommands(chatApiOf(ctx.kernel)) });
        if (ctx.json) ctx.result({ registered: count, guildId: config.guildId ?? null });
        ctx.say(`Registered ${count} commands ${config.guildId ? `in guild ${config.guildId}` : 'globally (may take up to an hour to appear)'}.`);
      });
    },
  );
}
