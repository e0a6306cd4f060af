import { createHook } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordEmulator, type ChannelInfo, type GuildInfo, type UserInfo } from '../support/discord-emulator/index.js';
import { startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { CHAT_COMMANDS } from '../../src/chat/commands/index.js';

const ENV_KEYS = ['DISCORD_TOKEN', 'DISCORD_APPLICATION_ID', 'DISCORD_GUILD_ID', 'DISCORD_API_URL', 'DISCORD_REGISTER_COMMANDS', 'CLOUD_ENGINE_CONSOLE'] as const;

/** Handles of this process by kind (TCPWRAP, Timeout, …), without the ones vitest itself holds. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Timers created by this project's code (directly or through a library it called) that have not fired or been cleared. */
function watchTimers(): { pending(): string[]; stop(): void } {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      if (type !== 'Timeout') return;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      const stack = new Error().stack ?? '';
      Error.stackTraceLimit = limit;
      if (stack.includes(SRC)) live.set(id, stack.split('\n').filter((line) => line.includes(SRC) || line.includes('node_modules')).slice(0, 6).join('\n'));
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return { pending: () => [...live.values()], stop: () => hook.disable() };
}

async function settle(ms = 300): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  // Out of the timer's callback, so that timer no longer counts as active.
  await new Promise((resolve) => setImmediate(resolve));
}

describe('starting the Discord bot through the plugin path, as `npm start` does', () => {
  const saved: Partial<Record<(typeof ENV_KEYS)[number], string>> = {};
  let emulator: DiscordEmulator;
  let guild: GuildInfo;
  let channel: ChannelInfo;
  let admin: UserInfo;
  let t: TestKernel;
  let baseline: Record<string, number>;
  let timers: ReturnType<typeof watchTimers>;
  beforeAll(async () => {
    for (const key of ENV_KEYS) saved[key] = process.env[key];
    await settle();
    baseline = handles();
    emulator = await DiscordEmulator.start();
    guild = emulator.addGuild({ name: 'Platform' });
    channel = emulator.addChannel({ guild, name: 'deploys' });
    admin = emulator.addUser({ username: 'admin', guild });
    process.env.DISCORD_TOKEN = emulator.token;
    process.env.DISCORD_APPLICATION_ID = emulator.applicationId;
    process.env.DISCORD_GUILD_ID = guild.id;
    process.env.DISCORD_API_URL = emulator.apiUrl;
    process.env.DISCORD_REGISTER_COMMANDS = 'true';
    delete process.env.CLOUD_ENGINE_CONSOLE; // auto: off because DISCORD_TOKEN is set
    timers = watchTimers();
    // The plugins read the kernel's env, as `npm start` gives them process.env.
    t = await startTestKernel({ admins: [admin.id], env: Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]])) });
  });
  afterAll(async () => {
    timers?.stop();
    await t?.dispose();
    await emulator?.close();
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('startChatAdapters() starts only the Discord bot (the console stays off because DISCORD_TOKEN is set)', async () => {
    expect(t.kernel.registries.chatAdapters.list().map((adapter) => adapter.id).sort()).toEqual(['console', 'discord']);
    expect(await t.kernel.startChatAdapters()).toEqual(['discord']);
    expect(emulator.connectedSessions).toBe(1);
    expect(emulator.identifies.map((identify) => identify.intents)).toEqual([1]);
  });

  it('registers every chat command in the guild (DISCORD_REGISTER_COMMANDS=true)', () => {
    expect(emulator.commands(guild)).toHaveLength(CHAT_COMMANDS.length);
    expect(emulator.commands(guild).map((command) => command.name)).toEqual(expect.arrayContaining(['cloud-request-access', 'cloud-access']));
    expect(emulator.commands()).toHaveLength(0);
  });

  it('answers /cloud-projects', async () => {
    await t.kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: admin.id });
    const response = await emulator.slashCommand({ user: admin, channel, name: 'cloud-projects' }).response();
    expect(response.type).toBe(4);
    expect(JSON.stringify(response.data)).toContain('web — sandbox — your access: admin');
  });

  it('kernel.close() stops the bot: the gateway is closed by the client and nothing of the bot is left running', async () => {
    await t.kernel.close();
    await emulator.waitFor((e) => e.connectedSessions === 0, 5000, 'the gateway connection closes');
    expect(emulator.gatewayCloses.filter((close) => close.by === 'client')).toHaveLength(1);
    expect(emulator.gatewayCloses.filter((close) => close.by === 'server')).toHaveLength(0);
    expect(emulator.errors).toEqual([]);
    // The emulator lives in this process too: once it is gone (with the idle keep-alive
    // connections it serves), nothing may remain that was not there before either started.
    await emulator.close();
    await settle();
    const extra = Object.entries(handles()).filter(([kind, count]) => count > (baseline[kind] ?? 0));
    expect(extra).toEqual([]);
    // Also the unref'd ones, which do not hold the process but are still running work.
    expect(timers.pending()).toEqual([]);
  });
});
