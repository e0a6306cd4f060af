import { definePlugin } from '../../kernel/plugin/define-plugin.js';
import type { ChatAdapter } from '../../kernel/plugin/chat-adapter.js';
import type { Kernel } from '../../kernel/kernel.js';
import { ConsoleChat } from './console-chat.js';
import { consoleUserId } from './console-user.js';

/**
 * The console chat: on when CLOUD_ENGINE_CONSOLE is "on", or by default when
 * no Discord bot is configured; reads stdin, writes stdout.
 */
export function createConsoleAdapter(env: Record<string, string | undefined> = process.env): ChatAdapter & { closed: Promise<void> } {
  let finish: () => void = () => {};
  const closed = new Promise<void>((resolve) => (finish = resolve));
  let stopped = false;
  return {
    id: 'console',
    closed,
    enabled() {
      const mode = (env.CLOUD_ENGINE_CONSOLE ?? 'auto').toLowerCase();
      if (mode === 'on' || mode === 'true' || mode === '1') return true;
      if (mode === 'off' || mode === 'false' || mode === '0') return false;
      return !env.DISCORD_TOKEN;
    },
    async start(kernel: Kernel) {
      const chat = new ConsoleChat(kernel, { input: process.stdin, output: process.stdout, userId: consoleUserId(env), interactive: Boolean(process.stdin.isTTY) });
      // The console runs alongside other adapters; start() returns once it is listening.
      void chat
        .run()
        .catch((error: unknown) => kernel.logger.error({ err: error }, 'console chat stopped'))
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
  register(ctx) {
    ctx.addChatAdapter(createConsoleAdapter());
  },
});
