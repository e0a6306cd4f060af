import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/server.js';
import { MessageFlags, type InteractionResponseRecord } from '../support/discord-emulator/index.js';
import { embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';

/** An interaction callback's embeds and content as plain text. */
function responseText(response: InteractionResponseRecord): string {
  const embeds = (response.data?.embeds ?? []) as { title?: string; description?: string }[];
  return [typeof response.data?.content === 'string' ? response.data.content : '', ...embeds.flatMap((embed) => [embed.title, embed.description])].filter(Boolean).join('\n');
}

describe('/cloud-dashboard in Discord (emulator)', () => {
  let w: DiscordWorld;
  let dashboard: RunningDashboard;
  beforeAll(async () => {
    w = await startDiscordWorld();
    dashboard = (await startDashboard(w.t.kernel, { port: 0 }, {}))!;
  }, 60_000);
  afterAll(async () => {
    await dashboard?.close();
    await w?.dispose();
  });

  it('answers only the asker (ephemeral) with a link that signs their Discord id in once; nothing of it reaches the channel', async () => {
    const { emulator, channel, users } = w;
    const handle = emulator.slashCommand({ user: users.alice, channel, name: 'cloud-dashboard' });
    const response = await handle.response();
    let text: string;
    if (response.type === 4) {
      expect(((response.data?.flags as number | undefined) ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
      text = responseText(response);
    } else {
      const message = await emulator.waitFor(() => {
        const current = handle.originalMessage();
        return current && !current.loading ? current : undefined;
      }, 5000, 'the deferred reply is filled in');
      expect(message.ephemeral).toBe(true);
      text = embedText(message);
    }
    const url = new RegExp(`${dashboard.url}/sign-in/[A-Za-z0-9_-]{43}`).exec(text)?.[0];
    expect(url, text).toBeDefined();
    await w.bot.idle();
    expect(emulator.messages(channel).filter((message) => !message.ephemeral && JSON.stringify(message).includes('/sign-in/'))).toEqual([]);

    const opened = await fetch(url!, { redirect: 'manual' });
    expect(opened.status).toBe(200);
    const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
    const home = await fetch(`${dashboard.url}/`, { headers: { cookie } });
    expect(await home.text()).toContain(`<span class="who">${users.alice.id}</span>`);
    expect((await fetch(url!, { redirect: 'manual' })).status).toBe(400);
  }, 30_000);
});
