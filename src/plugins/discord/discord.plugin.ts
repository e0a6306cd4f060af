import { definePlugin } from '../../kernel/plugin/define-plugin.js';
import type { ChatAdapter } from '../../kernel/plugin/chat-adapter.js';
import type { DiscordBot } from './discord-bot.js';
import { DISCORD_ENV, discordConfigOf, discordSettingsSchema, type DiscordConfig } from './discord-config.js';

/** The Discord bot, on when it has a configuration (DISCORD_TOKEN and DISCORD_APPLICATION_ID are set). */
export function createDiscordAdapter(config: DiscordConfig | undefined): ChatAdapter {
  let bot: DiscordBot | undefined;
  return {
    id: 'discord',
    enabled: () => config !== undefined,
    // A bot holds one gateway connection: of several fronts on the job queue, the leader runs it.
    singleton: true,
    async start(api) {
      if (!config) throw new Error('Discord is not configured: set DISCORD_TOKEN and DISCORD_APPLICATION_ID.');
      // discord.js is loaded only when the bot runs, so other kernels start faster.
      const { DiscordBot } = await import('./discord-bot.js');
      bot = new DiscordBot(api, config);
      await bot.start();
    },
    async stop() {
      await bot?.stop();
      bot = undefined;
    },
  };
}

export const discordPlugin = definePlugin({
  id: 'discord',
  config: { schema: discordSettingsSchema, env: DISCORD_ENV, secret: ['token'] },
  register(ctx) {
    ctx.addChatAdapter(createDiscordAdapter(discordConfigOf(ctx.config)));
  },
});
