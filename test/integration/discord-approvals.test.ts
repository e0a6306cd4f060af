import { ActionRowBuilder, ButtonBuilder, ButtonStyle, type TextChannel } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EmulatedMessage, InteractionHandle, UserInfo } from '../support/discord-emulator/index.js';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';

describe('the lobby buttons under pressure: racing approvals, slow applies, cancel and refresh', () => {
  let w: DiscordWorld;
  beforeAll(async () => {
    w = await startDiscordWorld();
    const { kernel } = w.t;
    await kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: w.users.admin.id });
    for (const user of [w.users.alice, w.users.bob, w.users.carol]) {
      await kernel.access.grant({ projectId: 'web', userId: user.id, level: 'deploy', grantedBy: w.users.admin.id });
    }
  });
  afterAll(() => w?.dispose());

  /** /cloud-deploy by `user`: the lobby is posted and the bot knows where it lives. */
  async function openLobby(user: UserInfo): Promise<string> {
    await w.emulator.slashCommand({ user, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } }).response();
    return String(w.lobby()!.embeds[0]!.title).replace('Deployment ', '');
  }

  /** A lobby with a ready plan for the given resources (added and planned through the kernel). */
  async function plannedLobby(user: UserInfo, resources: { type: string; name: string; config: Record<string, unknown> }[]): Promise<string> {
    const sessionId = await openLobby(user);
    for (const resource of resources) await w.t.kernel.orchestrator.addResource(sessionId, user.id, resource);
    await w.t.kernel.orchestrator.runPlan(sessionId, user.id);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Plan ready') && !button(w.lobby(sessionId), 'Approve & Deploy').disabled, 10_000, 'the lobby shows the plan');
    return sessionId;
  }

  const threadsOf = (sessionId: string) => w.emulator.threads().filter((thread) => thread.starterMessageId === w.lobby(sessionId)!.id);
  const privateTo = (handle: InteractionHandle): EmulatedMessage[] => [handle.originalMessage(), ...handle.followUps()].filter((message): message is EmulatedMessage => message?.ephemeral === true);

  it('two approvers clicking Approve & Deploy at once: exactly one apply, the other told privately, one thread', async () => {
    const sessionId = await plannedLobby(w.users.alice, [{ type: 'sandbox.vm', name: 'race', config: { bootSeconds: 1 } }]);
    const lobby = w.lobby(sessionId)!;
    const approve = button(lobby, 'Approve & Deploy').custom_id;
    const clicks = [w.users.bob, w.users.carol].map((user) => w.emulator.clickButton({ user, message: lobby, customId: approve }));
    const responses = await Promise.all(clicks.map((click) => click.response()));
    // One click is acknowledged as work (deferred update), the other answered at once, privately.
    expect(responses.map((response) => response.type).sort()).toEqual([4, 6]);
    for (const response of responses) expect(response.latencyMs).toBeLessThan(1000);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'lobby shows APPLIED');
    await w.bot.idle();

    expect(await w.t.kernel.audit.list({ sessionId, action: 'session.applying' })).toHaveLength(1);
    expect(await w.t.kernel.audit.list({ sessionId, action: 'session.approved' })).toHaveLength(1);
    const refusals = clicks.map(privateTo);
    expect(refusals.map((messages) => messages.length).sort()).toEqual([0, 1]);
    const refusal = refusals.flat()[0]!;
    // Either the bot saw the first click in flight, or the kernel had already moved the session on.
    expect(embedText(refusal)).toMatch(/Busy[\s\S]*already being approved and applied|Not possible right now[\s\S]*only a session with a ready plan \(PLAN_READY\)/);
    expect(threadsOf(sessionId)).toHaveLength(1);
    const summaries = w.emulator.messages(threadsOf(sessionId)[0]!.id).filter((message) => message.content.includes('**Applied**'));
    expect(summaries).toHaveLength(1);
    // The winner is named in the summary; the other clicker is the one refused.
    const [winner] = [w.users.bob, w.users.carol].filter((_, index) => refusals[index]!.length === 0);
    expect(summaries[0]!.content).toContain(`<@${winner!.id}>`);
  });

  it('an Approve click is acknowledged at once (deferred update) while a slow apply keeps running to APPLIED', async () => {
    const sessionId = await plannedLobby(w.users.alice, [{ type: 'sandbox.vm', name: 'slow', config: { bootSeconds: 8 } }]);
    const clickedAt = Date.now();
    const click = w.emulator.clickButton({ user: w.users.bob, message: w.lobby(sessionId)!, customId: button(w.lobby(sessionId), 'Approve & Deploy').custom_id });
    const response = await click.response();
    const acknowledgedAfter = Date.now() - clickedAt;
    expect(response.type).toBe(6); // DEFERRED_UPDATE_MESSAGE: the lobby stays, nothing "thinking"
    expect(response.latencyMs).toBeLessThan(1000);
    expect(acknowledgedAfter).toBeLessThan(1000);
    // Discord has its answer long before terraform is done.
    expect(['PLAN_READY', 'APPROVED', 'APPLYING']).toContain((await w.t.kernel.orchestrator.getSession(sessionId)).state);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applying'), 10_000, 'lobby shows APPLYING');
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'lobby shows APPLIED');
    expect(Date.now() - clickedAt).toBeGreaterThan(7000);
    await w.bot.idle();
    const thread = threadsOf(sessionId)[0]!;
    const posted = w.emulator.messages(thread.id).map((message) => message.content).join('\n');
    expect(posted).toContain('booting slow: 8/8s');
    expect(posted).toContain('**Applied**');
    expect(privateTo(click)).toEqual([]);
  });

  it('Approve clicked on a lobby still showing an older plan: refused privately (the plan changed), nothing applied; the re-rendered button applies the new plan', async () => {
    const sessionId = await plannedLobby(w.users.alice, [
      // VMs: buckets would count against the storage quota that the Refresh test shows.
      { type: 'sandbox.vm', name: 'media', config: { bootSeconds: 1 } },
      { type: 'sandbox.vm', name: 'scratch', config: { bootSeconds: 1 } },
    ]);
    const firstPlan = (await w.t.kernel.orchestrator.getSession(sessionId)).plan!.id;
    const shown = w.lobby(sessionId)!;
    const shownRevision = shown.history.length - 1;
    const staleApprove = button(shown, 'Approve & Deploy').custom_id;
    expect(staleApprove).toBe(`ce:approve:${sessionId}:${firstPlan}`);

    // Re-planned with a resource changed (one removed, another added) while bob's screen still shows the first plan.
    await w.t.kernel.orchestrator.removeResource(sessionId, w.users.alice.id, 'scratch');
    await w.t.kernel.orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.vm', name: 'backups', config: { bootSeconds: 1 } });
    await w.t.kernel.orchestrator.runPlan(sessionId, w.users.alice.id);
    const secondPlan = (await w.t.kernel.orchestrator.getSession(sessionId)).plan!.id;
    expect(secondPlan).not.toBe(firstPlan);
    await w.emulator.waitFor(() => button(w.lobby(sessionId), 'Approve & Deploy').custom_id.endsWith(secondPlan), 10_000, 'the lobby shows the second plan');
    await w.bot.idle();

    const stale = w.emulator.clickButton({ user: w.users.bob, message: shown, customId: staleApprove, revision: shownRevision });
    expect((await stale.response()).type).toBe(4);
    await w.bot.idle();
    const refusal = stale.originalMessage()!;
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.visibleTo).toBe(w.users.bob.id);
    expect(embedText(refusal)).toContain('Plan is stale');
    expect(embedText(refusal)).toContain(firstPlan);
    expect(embedText(refusal)).toContain(secondPlan);
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');
    expect(await w.t.kernel.audit.list({ sessionId, action: 'session.approved' })).toHaveLength(0);
    expect(await w.t.kernel.audit.list({ sessionId, action: 'session.applying' })).toHaveLength(0);
    expect(threadsOf(sessionId)).toHaveLength(0);

    const fresh = w.lobby(sessionId)!;
    expect(button(fresh, 'Approve & Deploy').custom_id).toBe(`ce:approve:${sessionId}:${secondPlan}`);
    const click = w.emulator.clickButton({ user: w.users.bob, message: fresh, customId: button(fresh, 'Approve & Deploy').custom_id });
    expect((await click.response()).type).toBe(6);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'lobby shows APPLIED');
    await w.bot.idle();
    expect(privateTo(click)).toEqual([]);
    const approvals = await w.t.kernel.audit.list({ sessionId, action: 'session.approved' });
    expect(approvals.map((entry) => entry.details?.planId)).toEqual([secondPlan]);
    expect(embedText(w.lobby(sessionId))).toContain('backups');
    expect(embedText(w.lobby(sessionId))).not.toContain('scratch');
  });

  it('a re-plan landing between the early check and the apply: the apply itself refuses the plan the click carried, privately, and nothing runs', async () => {
    const sessionId = await plannedLobby(w.users.alice, [{ type: 'sandbox.vm', name: 'between', config: { bootSeconds: 1 } }]);
    const shown = w.lobby(sessionId)!;
    const firstPlan = (await w.t.kernel.orchestrator.getSession(sessionId)).plan!.id;
    const { orchestrator } = w.t.kernel;
    const check = orchestrator.checkApproval.bind(orchestrator);
    // The click passes the early check; the re-plan comes right after it.
    const spy = vi.spyOn(orchestrator, 'checkApproval').mockImplementationOnce(async (...args) => {
      await check(...args);
      await orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.vm', name: 'later', config: { bootSeconds: 1 } });
      await orchestrator.runPlan(sessionId, w.users.alice.id);
    });
    const click = w.emulator.clickButton({ user: w.users.bob, message: shown, customId: button(shown, 'Approve & Deploy').custom_id });
    expect((await click.response()).type).toBe(6);
    await w.bot.idle();
    spy.mockRestore();
    const refusal = privateTo(click);
    expect(refusal).toHaveLength(1);
    expect(refusal[0]!.visibleTo).toBe(w.users.bob.id);
    expect(embedText(refusal[0])).toContain('Plan is stale');
    expect(embedText(refusal[0])).toContain(firstPlan);
    expect((await orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');
    expect(await w.t.kernel.audit.list({ sessionId, action: 'session.approved' })).toHaveLength(0);
    expect(threadsOf(sessionId)).toHaveLength(0);
  });

  it('Approve on a lobby from before buttons carried their plan (ce:approve:<session>): refused privately, nothing applied, the lobby re-rendered with a plan-bound button', async () => {
    const sessionId = await plannedLobby(w.users.alice, [{ type: 'sandbox.vm', name: 'legacy', config: { bootSeconds: 1 } }]);
    const planId = (await w.t.kernel.orchestrator.getSession(sessionId)).plan!.id;
    const edits = w.lobby(sessionId)!.history.length;
    // Such a lobby, as an earlier version of the bot posted it (in a channel of its own: this
    // write bypasses the bot's pacer, and the lobby channel's bucket may be full).
    const elsewhere = w.emulator.addChannel({ guild: w.guild, name: 'old-deploys' });
    const channel = (await w.bot.client.channels.fetch(elsewhere.id)) as TextChannel;
    const old = await channel.send({
      content: `Deployment ${sessionId} (posted by an earlier version)`,
      components: [new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId(`ce:approve:${sessionId}`).setLabel('Approve & Deploy').setStyle(ButtonStyle.Success))],
    });
    const click = w.emulator.clickButton({ user: w.users.bob, message: old.id, customId: `ce:approve:${sessionId}` });
    expect((await click.response()).type).toBe(4);
    await w.bot.idle();
    const refusal = click.originalMessage()!;
    expect(refusal.ephemeral).toBe(true);
    expect(embedText(refusal)).toContain('Plan is stale');
    expect(embedText(refusal)).toContain('does not say which plan it showed');
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');
    expect(await w.t.kernel.audit.list({ sessionId, action: 'session.approved' })).toHaveLength(0);
    const lobby = w.emulator.messages(w.channel).find((message) => embedText(message).startsWith(`Deployment ${sessionId}`))!;
    expect(lobby.history.length).toBe(edits + 1);
    expect(button(lobby, 'Approve & Deploy').custom_id).toBe(`ce:approve:${sessionId}:${planId}`);
  });

  it('Cancel by a deploy user who does not own the session is refused privately (needs admin) and changes nothing', async () => {
    const sessionId = await openLobby(w.users.alice);
    const before = w.lobby(sessionId)!;
    const click = w.emulator.clickButton({ user: w.users.bob, message: before, customId: button(before, 'Cancel').custom_id });
    const response = await click.response();
    await w.bot.idle();
    expect(response.type).toBe(4);
    const refusal = click.originalMessage()!;
    expect(refusal.ephemeral).toBe(true);
    expect(refusal.visibleTo).toBe(w.users.bob.id);
    expect(embedText(refusal)).toContain('Permission denied');
    expect(embedText(refusal)).toContain('needs admin');
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('DRAFT');
    const after = w.lobby(sessionId)!;
    expect(after.history).toHaveLength(before.history.length);
    expect(embedText(after)).toBe(embedText(before));
    expect(await w.t.kernel.audit.list({ sessionId, action: 'session.cancelled' })).toHaveLength(0);
  });

  it("the owner's Cancel: acknowledged, the lobby shows Cancelled and its Approve, Add and Cancel buttons are disabled", async () => {
    const sessionId = await openLobby(w.users.alice);
    const click = w.emulator.clickButton({ user: w.users.alice, message: w.lobby(sessionId)!, customId: `ce:cancel:${sessionId}` });
    expect((await click.response()).type).toBe(6);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Cancelled'), 5000, 'lobby shows CANCELLED');
    await w.bot.idle();
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('CANCELLED');
    const lobby = w.lobby(sessionId)!;
    for (const label of ['Approve & Deploy', 'Add Resource', 'Cancel']) expect(button(lobby, label).disabled, label).toBe(true);
    expect(privateTo(click)).toEqual([]);
  });

  it('Refresh re-renders the lobby from the kernel, e.g. a quota set since', async () => {
    const sessionId = await openLobby(w.users.alice);
    await w.t.kernel.orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.bucket', name: 'assets', config: {} });
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('assets'), 5000, 'lobby shows the bucket');
    await w.bot.idle();
    // A quota change is no session event: the lobby does not know yet.
    await w.t.kernel.quotas.set({ projectId: 'web', quotaKey: 'storage_bucket', limit: 5, setBy: w.users.admin.id });
    expect(embedText(w.lobby(sessionId))).not.toContain('storage_bucket');
    const click = w.emulator.clickButton({ user: w.users.carol, message: w.lobby(sessionId)!, customId: `ce:refresh:${sessionId}` });
    const response = await click.response();
    expect(response.type).toBe(7); // UPDATE_MESSAGE: the lobby itself is re-rendered
    expect(embedText(w.lobby(sessionId))).toContain('`storage_bucket` [░░░░░░░░░░] 0/5 (0%)');
    expect(embedText(w.lobby(sessionId))).toContain('assets');
  });

  it('no request to Discord was refused and nothing was rate limited', async () => {
    await w.bot.idle();
    expect(w.emulator.errors).toEqual([]);
    expect(w.emulator.rateLimitHits).toBe(0);
    expect(w.emulator.warnings).toEqual([]);
  });
});
