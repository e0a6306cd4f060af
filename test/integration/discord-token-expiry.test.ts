import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';

describe("an apply that outlives the Approve click's 15-minute interaction token", () => {
  let w: DiscordWorld;
  const applyLines: string[] = [];
  beforeAll(async () => {
    w = await startDiscordWorld();
    const { kernel } = w.t;
    await kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: w.users.admin.id });
    for (const user of [w.users.alice, w.users.bob]) await kernel.access.grant({ projectId: 'web', userId: user.id, level: 'deploy', grantedBy: w.users.admin.id });
    kernel.events.on('output.line', (event) => {
      if (event.operation === 'apply') applyLines.push(event.line);
    });
  });
  afterAll(() => w?.dispose());

  it('after 16 minutes the thread still receives every line and the summary, and the lobby still turns APPLIED', async () => {
    await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } }).response();
    const sessionId = String(w.lobby()!.embeds[0]!.title).replace('Deployment ', '');
    await w.t.kernel.orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.vm', name: 'long', config: { bootSeconds: 8 } });
    await w.t.kernel.orchestrator.runPlan(sessionId, w.users.alice.id);
    await w.emulator.waitFor(() => !button(w.lobby(sessionId), 'Approve & Deploy').disabled, 10_000, 'Approve is enabled');

    const click = w.emulator.clickButton({ user: w.users.bob, message: w.lobby(sessionId)!, customId: button(w.lobby(sessionId), 'Approve & Deploy').custom_id });
    expect((await click.response()).type).toBe(6);
    const thread = await w.emulator.waitFor(() => w.emulator.threads().find((candidate) => candidate.starterMessageId === w.lobby(sessionId)!.id), 10_000, 'the apply thread');
    await w.emulator.waitFor(() => w.emulator.messages(thread.id).some((message) => message.content.includes('booting long: 1/8s')), 10_000, 'output is streaming');

    // The apply is still running when the click's token dies.
    w.emulator.advanceTime(16 * 60_000);
    const expiredAt = Date.now() + 16 * 60_000;
    const before = w.emulator.messages(thread.id).length;
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('APPLYING');
    const probe = await fetch(`${w.emulator.apiUrl}/v10/webhooks/${w.emulator.applicationId}/${click.token}/messages/@original`);
    expect(probe.status).toBe(401); // the interaction token is dead for everyone, the bot included

    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'lobby shows APPLIED');
    await w.bot.idle();
    const messages = w.emulator.messages(thread.id);
    const afterExpiry = messages.slice(before);
    expect(afterExpiry.length).toBeGreaterThanOrEqual(2);
    for (const message of afterExpiry) expect(Date.parse(message.createdAt)).toBeGreaterThanOrEqual(expiredAt - 1000);
    expect(afterExpiry.map((message) => message.content).join('\n')).toContain('booting long: 8/8s');
    const streamed = messages
      .filter((message) => message.content.startsWith('```'))
      .flatMap((message) => message.content.replace(/^```\n/, '').replace(/\n```$/, '').split('\n'));
    expect(streamed).toEqual(applyLines);
    const summary = messages.at(-1)!.content;
    expect(summary).toContain('**Applied**');
    expect(summary).toContain(`Output lines: ${applyLines.length}/${applyLines.length} delivered.`);
    const lobby = w.lobby(sessionId)!;
    expect(embedText(lobby)).toContain('🎉 Applied');
    expect(Date.parse(lobby.editedAt!)).toBeGreaterThanOrEqual(expiredAt - 1000);
    expect(button(lobby, 'Approve & Deploy').disabled).toBe(true);
  });

  it("the bot never used the dead token: the only refusal is the test's own probe", async () => {
    await w.bot.idle();
    const unexpected = w.emulator.errors.filter((error) => !(error.status === 401 && error.route === '/webhooks/:app/:token/messages/:message' && error.method === 'GET'));
    expect(unexpected).toEqual([]);
    expect(w.emulator.errors).toHaveLength(1);
    expect(w.emulator.rateLimitHits).toBe(0);
  });
});
