import { z } from 'zod';
import { definePlugin } from '../../kernel/plugin/define-plugin.js';
import type { ChatAdapter, ChatApi } from '../../kernel/plugin/chat-adapter.js';
import { ConsoleChat } from './console-chat.js';
import { consoleUserId } from './console-user.js';

/**
 * The console plugin's configuration: `mode` (CLOUD_ENGINE_CONSOLE: on, off,
 * or auto = on unless a Discord bot token is set), `user` (CLOUD_ENGINE_USER)
 * and `discordToken` (DISCORD_TOKEN, read only to decide auto).
 */
export const consoleSettingsSchema = z.object({
  mode: z.string().optional(),
  user: z.string().optional(),
  discordToken: z.string().optional(),
});
export type ConsoleSettings = z.output<typeof consoleSettingsSchema>;

/**
 * The console chat: on when CLOUD_ENGINE_CONSOLE is "on", or by default when
 * no Discord bot is configured; reads stdin, writes stdout.
 */
export function createConsoleAdapter(settings: ConsoleSettings = {}): ChatAdapter & { closed: Promise<void> } {
  let finish: () => void = () => {};
  const closed = new Promise<void>((resolve) => (finish = resolve));
  let stopped = false;
  return {
    id: 'console',
    closed,
    enabled() {
      const mode = (settings.mode ?? 'auto').toLowerCase();
      if (mode === 'on' || mode === 'true' || mode === '1') return true;
      if (mode === 'off' || mode === 'false' || mode === '0') return false;
      return !settings.discordToken;
    },
    async start(api: ChatApi) {
      const chat = new ConsoleChat(api, { input: process.stdin, output: process.stdout, userId: consoleUserId(settings.user), interactive: Boolean(process.stdin.isTTY) });
      // The console runs alongside other adapters; start() returns once it is listening.
      void chat
        .run()
        .catch((error: unknown) => api.logger.error({ err: error }, 'console chat stopped'))
        .finally(() => finish());
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.stdin.pause();
      finish();
    },
  };
}

export const consolePlugin = definePlugin({
  id: 'console',
  config: {
    schema: consoleSettingsSchema,
    env: { mode: 'CLOUD_ENGINE_CONSOLE', user: 'CLOUD_ENGINE_USER', discordToken: 'DISCORD_TOKEN' },
    secret: ['discordToken'],
  },
  register(ctx) {
    ctx.addChatAdapter(createConsoleAdapter(ctx.config));
  },
});
