import { afterAll, describe, expect, it } from 'vitest';
import { DiscordBot } from '../../src/plugins/discord/discord-bot.js';
import { embedText } from '../support/discord-harness.js';
import { DiscordEmulator } from '../support/discord-emulator/index.js';
import { startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';

// The bot keeps where it posted each lobby in the kernel's database, so a restarted bot (new
// process, new kernel on the same data dir) keeps editing the lobbies an earlier run posted.
describe('Discord lobbies across a restart of the bot and the kernel', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch((error: unknown) => console.warn('cleanup failed', error));
  });

  it('a lobby posted before the restart is edited by the new bot when its session changes, and forgotten once final', async () => {
    const emulator = await DiscordEmulator.start();
    cleanup.push(() => emulator.close());
    const guild = emulator.addGuild({ name: 'Platform' });
    const channel = emulator.addChannel({ guild, name: 'deploys' });
    const admin = emulator.addUser({ username: 'admin', guild });
    const alice = emulator.addUser({ username: 'alice', guild });
    const config = { token: emulator.token, applicationId: emulator.applicationId, guildId: guild.id, apiUrl: emulator.apiUrl, registerOnStart: true };
    const lobby = () => emulator.messages(channel).find((message) => !message.ephemeral && String(message.embeds[0]?.title ?? '').startsWith('Deployment '));

    // First run: post a lobby and add a resource.
    const first: TestKernel = await startTestKernel({ admins: [admin.id] });
    const dataDir = first.dataDir;
    await first.kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: admin.id });
    await first.kernel.access.grant({ userId: alice.id, projectId: 'web', level: 'deploy', grantedBy: admin.id });
    const firstBot = new DiscordBot(chatApiOf(first.kernel), config);
    await firstBot.start();
    await emulator.slashCommand({ user: alice, channel, name: 'cloud-deploy', options: { project: 'web', provider: 'sandbox' } }).response();
    await firstBot.idle();
    const posted = lobby()!;
    const sessionId = String(posted.embeds[0]?.title).replace('Deployment ', '');
    expect(await first.kernel.pluginState('discord').get(`lobby:${sessionId}`)).toEqual({ channelId: channel.id, messageId: posted.id });
    await firstBot.stop();
    await first.kernel.close();

    // Second run on the same data dir: nothing in memory, only what the database holds.
    const second = await startTestKernel({ admins: [admin.id], dataDir });
    cleanup.push(() => second.dispose());
    const secondBot = new DiscordBot(chatApiOf(second.kernel), config);
    cleanup.push(() => secondBot.stop());
    await secondBot.start();
    await second.kernel.orchestrator.addResource(sessionId, alice.id, { type: 'sandbox.vm', name: 'web', config: { size: 'small', image: 'debian-12', tags: { team: 'web' } } });
    await second.kernel.orchestrator.runPlan(sessionId, alice.id);
    await emulator.waitFor(() => embedText(lobby()).includes('Plan: 1 to add'), 15_000, 'the old lobby shows the new plan');
    expect(lobby()!.id).toBe(posted.id);
    expect(emulator.messages(channel).filter((message) => !message.ephemeral && String(message.embeds[0]?.title ?? '').startsWith('Deployment '))).toHaveLength(1);

    // Cancelled is final: the lobby says so, and its location is dropped.
    await second.kernel.orchestrator.cancelSession(sessionId, alice.id);
    await emulator.waitFor(() => embedText(lobby()).includes('Cancelled'), 15_000, 'the old lobby shows the cancellation');
    await secondBot.idle();
    expect(await second.kernel.pluginState('discord').get(`lobby:${sessionId}`)).toBeUndefined();
  }, 60_000);
});
