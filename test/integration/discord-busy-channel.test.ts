import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildLobby } from '../../src/chat/lobby.js';
import { renderLobby } from '../../src/plugins/discord/discord-render.js';
import type { UserInfo } from '../support/discord-emulator/index.js';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';

describe('a busy channel: many lobbies changing at once stay under Discord’s 5 writes per 5 s', () => {
  let w: DiscordWorld;
  beforeAll(async () => {
    w = await startDiscordWorld();
    const { kernel } = w.t;
    await kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: w.users.admin.id });
    for (const user of [w.users.alice, w.users.bob]) await kernel.access.grant({ projectId: 'web', userId: user.id, level: 'deploy', grantedBy: w.users.admin.id });
  });
  afterAll(() => w?.dispose());

  async function openLobby(user: UserInfo): Promise<string> {
    await w.emulator.slashCommand({ user, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } }).response();
    return String(w.lobby()!.embeds[0]!.title).replace('Deployment ', '');
  }

  /** What the lobby of `sessionId` should say now, rendered from the kernel's current state. */
  async function expectedLobbyText(sessionId: string): Promise<string> {
    return embedText(renderLobby(await buildLobby(chatApiOf(w.t.kernel), await w.t.kernel.orchestrator.getSession(sessionId))));
  }

  function expectNeverOverTheChannelLimit(): void {
    // Every channel, lobby channel and threads alike, stayed within its bucket, with no header to go by.
    for (const [channelId, most] of w.emulator.busiestWindows(5000)) expect(most, `writes to channel ${channelId} within 5 s`).toBeLessThanOrEqual(5);
    expect(w.emulator.rateLimitHits).toBe(0);
    expect(w.emulator.errors.filter((error) => error.status === 429)).toEqual([]);
  }

  it('eight lobbies in one channel changed and planned at once: at most 5 writes per rolling 5 s, no 429, every lobby ends showing its own final state', async () => {
    const sessions: string[] = [];
    for (let index = 0; index < 8; index++) sessions.push(await openLobby(index % 2 ? w.users.bob : w.users.alice));
    const owner = (index: number) => (index % 2 ? w.users.bob : w.users.alice).id;
    const writesBefore = w.emulator.messageWrites({ channel: w.channel, via: 'bot' }).length;

    // Every lobby changes several times at once: two resources each (one edit per change), then a plan
    // (validating, planning, plan ready).
    await Promise.all(
      sessions.map(async (sessionId, index) => {
        await w.t.kernel.orchestrator.addResource(sessionId, owner(index), { type: 'sandbox.bucket', name: `assets${index}`, config: {} });
        await w.t.kernel.orchestrator.addResource(sessionId, owner(index), { type: 'sandbox.bucket', name: `logs${index}`, config: {} });
        await w.t.kernel.orchestrator.runPlan(sessionId, owner(index));
      }),
    );
    await w.emulator.waitFor(
      () => sessions.every((sessionId) => embedText(w.lobby(sessionId)).includes('Plan: 2 to add')),
      60_000,
      'every lobby shows its plan',
    );
    await w.bot.idle();

    for (const [index, sessionId] of sessions.entries()) {
      const lobby = w.lobby(sessionId)!;
      expect(embedText(lobby)).toBe(await expectedLobbyText(sessionId));
      expect(embedText(lobby)).toContain(`assets${index}`);
      expect(embedText(lobby)).toContain(`logs${index}`);
      expect(button(lobby, 'Approve & Deploy').disabled).toBeFalsy();
    }
    // The burst really was more than one window's worth: pacing, not luck, kept it under the limit.
    expect(w.emulator.messageWrites({ channel: w.channel, via: 'bot' }).length - writesBefore).toBeGreaterThan(5);
    expectNeverOverTheChannelLimit();
  });

  it('an apply streaming into its thread while the other lobbies change: the thread and the channel each stay under their own limit', async () => {
    const applying = await openLobby(w.users.alice);
    await w.t.kernel.orchestrator.addResource(applying, w.users.alice.id, { type: 'sandbox.vm', name: 'busy', config: { bootSeconds: 6 } });
    await w.t.kernel.orchestrator.runPlan(applying, w.users.alice.id);
    await w.emulator.waitFor(() => !button(w.lobby(applying), 'Approve & Deploy').disabled, 15_000, 'Approve is enabled');
    const others = [await openLobby(w.users.alice), await openLobby(w.users.bob), await openLobby(w.users.alice)];

    const lobby = w.lobby(applying)!;
    await w.emulator.clickButton({ user: w.users.bob, message: lobby, customId: button(lobby, 'Approve & Deploy').custom_id }).response();
    await Promise.all(
      others.map(async (sessionId, index) => {
        const userId = index === 1 ? w.users.bob.id : w.users.alice.id;
        for (const name of ['a', 'b', 'c']) await w.t.kernel.orchestrator.addResource(sessionId, userId, { type: 'sandbox.bucket', name: `${name}${index}`, config: {} });
        await w.t.kernel.orchestrator.runPlan(sessionId, userId);
      }),
    );
    await w.emulator.waitFor(() => embedText(w.lobby(applying)).includes('Applied'), 60_000, 'the applied lobby shows APPLIED');
    await w.emulator.waitFor(() => others.every((sessionId) => embedText(w.lobby(sessionId)).includes('Plan: 3 to add')), 60_000, 'the other lobbies show their plans');
    await w.bot.idle();

    for (const sessionId of [applying, ...others]) expect(embedText(w.lobby(sessionId))).toBe(await expectedLobbyText(sessionId));
    const thread = w.emulator.threads().find((candidate) => candidate.starterMessageId === w.lobby(applying)!.id)!;
    const posted = w.emulator.messages(thread.id).map((message) => message.content);
    expect(posted.join('\n')).toContain('booting busy: 6/6s');
    expect(posted.at(-1)).toContain('**Applied**');
    expect(w.emulator.messageWrites({ channel: thread.id, via: 'bot' }).length).toBe(posted.length);
    expectNeverOverTheChannelLimit();
  });

  it('a lobby posted after a deferral while the channel is full waits its turn, and shows a change made while it waited', async () => {
    const busy = [await openLobby(w.users.alice), await openLobby(w.users.alice), await openLobby(w.users.bob)];
    // A slow start makes the bot defer; the lobby is then posted with the bot's token, in the channel's pace.
    const startSession = w.t.kernel.orchestrator.startSession.bind(w.t.kernel.orchestrator);
    const slow = vi.spyOn(w.t.kernel.orchestrator, 'startSession').mockImplementationOnce(async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, 2300));
      return startSession(...args);
    });
    const deploy = w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } });
    // The channel fills up while the command is slow: two changes to each of the other lobbies.
    await Promise.all(
      busy.map(async (sessionId, index) => {
        const userId = index === 2 ? w.users.bob.id : w.users.alice.id;
        for (const name of ['x', 'y']) await w.t.kernel.orchestrator.addResource(sessionId, userId, { type: 'sandbox.bucket', name: `${name}${index}`, config: {} });
      }),
    );
    expect((await deploy.response()).type).toBe(5);
    const announced = await w.emulator.waitFor(() => /Lobby for session (\S+) below/.exec(deploy.originalMessage()?.content ?? '')?.[1], 5000, 'the deferred reply names the session');
    slow.mockRestore();
    // Changed before its lobby can be in the channel: the change must still show.
    await w.t.kernel.orchestrator.addResource(announced, w.users.alice.id, { type: 'sandbox.bucket', name: 'late', config: {} });
    await w.emulator.waitFor(() => embedText(w.lobby(announced)).includes('late'), 15_000, 'the new lobby shows the late change');
    await w.emulator.waitFor(() => busy.every((sessionId, index) => embedText(w.lobby(sessionId)).includes(`y${index}`)), 15_000, 'the busy lobbies show their changes');
    await w.bot.idle();
    for (const sessionId of [announced, ...busy]) expect(embedText(w.lobby(sessionId))).toBe(await expectedLobbyText(sessionId));
    expect(w.emulator.messages(w.channel).filter((message) => embedText(message).startsWith(`Deployment ${announced}`))).toHaveLength(1);
    expectNeverOverTheChannelLimit();
  });

  it('no request to Discord was refused', async () => {
    await w.bot.idle();
    expect(w.emulator.errors).toEqual([]);
    expect(w.emulator.warnings).toEqual([]);
  });
});
