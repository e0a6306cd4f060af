import { DiscordBot } from '../../src/plugins/discord/discord-bot.js';
import { DiscordEmulator, type ChannelInfo, type EmulatedMessage, type GuildInfo, type UserInfo } from './discord-emulator/index.js';
import { startTestKernel, type TestKernel } from './test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';
import type { KernelOptions } from '../../src/kernel/config/engine-config.js';

export interface DiscordWorld {
  emulator: DiscordEmulator;
  bot: DiscordBot;
  t: TestKernel;
  guild: GuildInfo;
  channel: ChannelInfo;
  users: Record<'admin' | 'alice' | 'bob' | 'carol' | 'mallory', UserInfo>;
  /** The newest non-ephemeral message in the channel whose embed title starts with `Deployment`. */
  lobby(sessionId?: string): EmulatedMessage | undefined;
  dispose(): Promise<void>;
}

/** A real kernel and the real discord.js bot, talking to the local Discord emulator. */
export async function startDiscordWorld(options: { streamIntervalMs?: number; deferAfterMs?: number; kernel?: KernelOptions } = {}): Promise<DiscordWorld> {
  // Strict: no rate-limit headers, so the bot must keep under 5 writes per 5 s per channel by
  // itself (several processes sharing one bucket cannot trust them either). Interaction-token
  // replies are their own bucket in Discord, so they do not count against the channel's.
  const emulator = await DiscordEmulator.start({ rateLimit: { headers: false, includeWebhookMessages: false } });
  const guild = emulator.addGuild({ name: 'Platform' });
  const channel = emulator.addChannel({ guild, name: 'deploys' });
  const users = {
    admin: emulator.addUser({ username: 'admin', guild }),
    alice: emulator.addUser({ username: 'alice', guild }),
    bob: emulator.addUser({ username: 'bob', guild }),
    carol: emulator.addUser({ username: 'carol', guild }),
    mallory: emulator.addUser({ username: 'mallory', guild }),
  };
  const t = await startTestKernel({ ...options.kernel, admins: [users.admin.id] });
  const bot = new DiscordBot(
    chatApiOf(t.kernel),
    { token: emulator.token, applicationId: emulator.applicationId, guildId: guild.id, apiUrl: emulator.apiUrl, registerOnStart: true },
    { streamIntervalMs: options.streamIntervalMs ?? 1100, deferAfterMs: options.deferAfterMs },
  );
  await bot.start();
  return {
    emulator,
    bot,
    t,
    guild,
    channel,
    users,
    lobby(sessionId) {
      return emulator
        .messages(channel)
        .filter((message) => !message.ephemeral && String(message.embeds[0]?.title ?? '').startsWith(`Deployment ${sessionId ?? ''}`))
        .at(-1);
    },
    async dispose() {
      await bot.stop();
      await emulator.close();
      await t.dispose();
    },
  };
}

/** The embed of a message (or of a rendered body) as plain text (title, description, fields), for assertions. */
export function embedText(message: { readonly embeds: readonly object[] } | undefined): string {
  const embed = message?.embeds[0] as { title?: string; description?: string; fields?: { name: string; value: string }[] } | undefined;
  if (!embed) return '';
  return [embed.title, embed.description, ...(embed.fields ?? []).map((field) => `${field.name}: ${field.value}`)].filter(Boolean).join('\n');
}

/** A button of a message by label. */
export function button(message: EmulatedMessage | undefined, label: string): { custom_id: string; disabled?: boolean } {
  const rows = (message?.components ?? []) as { components: { label?: string; custom_id: string; disabled?: boolean }[] }[];
  const found = rows.flatMap((row) => row.components).find((component) => component.label === label);
  if (!found) throw new Error(`no button "${label}" on message ${message?.id}`);
  return found;
}
