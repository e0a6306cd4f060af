import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedMessage, InteractionHandle, UserInfo } from '../support/discord-emulator/index.js';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';

describe('two approvals from Discord: the Approve (n/2) button, the lobby’s approvals, refused clicks', () => {
  let w: DiscordWorld;
  beforeAll(async () => {
    w = await startDiscordWorld();
    const { kernel } = w.t;
    const { admin, alice, bob, carol } = w.users;
    await kernel.projects.create({ id: 'pair', provider: 'sandbox', createdBy: admin.id, settings: { approval: { required: 2, requireDistinctApprover: true } } });
    await kernel.projects.create({ id: 'named', provider: 'sandbox', createdBy: admin.id, settings: { approval: { approvers: [carol.id] } } });
    for (const projectId of ['pair', 'named']) {
      for (const user of [alice, bob, carol]) await kernel.access.grant({ projectId, userId: user.id, level: 'deploy', grantedBy: admin.id });
    }
  });
  afterAll(() => w?.dispose());

  const privateTo = (handle: InteractionHandle): EmulatedMessage[] => [handle.originalMessage(), ...handle.followUps()].filter((message): message is EmulatedMessage => message?.ephemeral === true);

  /** /cloud-deploy by alice, a bucket added and planned through the kernel: the lobby shows the plan with `label` on its approve button. */
  async function plannedLobby(projectId: string, label: string): Promise<string> {
    await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: projectId } }).response();
    const sessionId = String(w.lobby()!.embeds[0]!.title).replace('Deployment ', '');
    await w.t.kernel.orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.bucket', name: 'assets', config: {} });
    await w.t.kernel.orchestrator.runPlan(sessionId, w.users.alice.id);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Plan ready') && !button(w.lobby(sessionId), label).disabled, 10_000, `the lobby shows the plan with ${label}`);
    await w.bot.idle();
    return sessionId;
  }

  async function click(user: UserInfo, sessionId: string, label: string): Promise<InteractionHandle> {
    const lobby = w.lobby(sessionId)!;
    const handle = w.emulator.clickButton({ user, message: lobby, customId: button(lobby, label).custom_id });
    await handle.response();
    await w.bot.idle();
    return handle;
  }

  it('the button says Approve (0/2); the author and someone without access are refused privately; the first approval shows 1/2 and who is left; the second applies', async () => {
    const { alice, bob, carol, mallory } = w.users;
    const sessionId = await plannedLobby('pair', 'Approve (0/2)');
    const planId = (await w.t.kernel.orchestrator.getSession(sessionId)).plan!.id;
    expect(button(w.lobby(sessionId), 'Approve (0/2)').custom_id).toBe(`ce:approve:${sessionId}:${planId}`);
    expect(embedText(w.lobby(sessionId))).toContain('Approvals: Approvals 0/2\nneeds 2 more from deploy-level members');

    // Not eligible: no access at all, and the author under four eyes. Answered at once, privately; nothing recorded.
    for (const [user, words] of [
      [mallory, 'Permission denied'],
      [alice, 'requires four eyes'],
    ] as const) {
      const refused = await click(user, sessionId, 'Approve (0/2)');
      const messages = privateTo(refused);
      expect(messages).toHaveLength(1);
      expect(messages[0]!.visibleTo).toBe(user.id);
      expect(embedText(messages[0])).toContain(words);
    }
    expect(await w.t.kernel.audit.list({ sessionId, action: 'approval.recorded' })).toEqual([]);

    const first = await click(bob, sessionId, 'Approve (0/2)');
    expect(privateTo(first).map((message) => message.content)).toEqual([expect.stringContaining(`Your approval of plan ${planId} is recorded. Approvals 1/2: <@${bob.id}> · needs 1 more from deploy-level members`)]);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Approvals 1/2'), 5000, 'the lobby shows 1/2');
    expect(embedText(w.lobby(sessionId))).toContain(`Approvals 1/2: <@${bob.id}>\nneeds 1 more from deploy-level members`);
    expect(button(w.lobby(sessionId), 'Approve (1/2)').custom_id).toBe(`ce:approve:${sessionId}:${planId}`);
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');
    // Nothing ran: no thread under the lobby.
    expect(w.emulator.threads().filter((thread) => thread.starterMessageId === w.lobby(sessionId)!.id)).toEqual([]);

    const second = await click(carol, sessionId, 'Approve (1/2)');
    expect(privateTo(second)).toEqual([]);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'the lobby shows APPLIED');
    await w.bot.idle();
    expect(embedText(w.lobby(sessionId))).toContain(`Approvals 2/2: <@${bob.id}>, <@${carol.id}>`);
    const thread = w.emulator.threads().find((candidate) => candidate.starterMessageId === w.lobby(sessionId)!.id)!;
    expect(w.emulator.messages(thread.id).some((message) => message.content.includes(`**Applied**`) && message.content.includes(`<@${carol.id}>`))).toBe(true);
    expect(await w.t.kernel.audit.list({ sessionId, action: 'session.applying' })).toHaveLength(1);
  });

  it('Withdraw my approval: offered once someone approved; a member who gave none is told so privately; the approver withdraws theirs and the lobby is back at 0/2', async () => {
    const sessionId = await plannedLobby('pair', 'Approve (0/2)');
    expect(() => button(w.lobby(sessionId), 'Withdraw my approval')).toThrow(/no button "Withdraw my approval"/);
    await click(w.users.bob, sessionId, 'Approve (0/2)');
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Approvals 1/2'), 5000, 'the lobby shows 1/2');
    expect(button(w.lobby(sessionId), 'Withdraw my approval').custom_id).toBe(`ce:withdraw:${sessionId}`);

    const none = await click(w.users.carol, sessionId, 'Withdraw my approval');
    expect(embedText(privateTo(none)[0])).toContain('has no approval');
    const withdrawn = await click(w.users.bob, sessionId, 'Withdraw my approval');
    expect(privateTo(withdrawn).map((message) => message.content)).toEqual([expect.stringContaining('Your approval is withdrawn. Approvals 0/2')]);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Approvals 0/2'), 5000, 'the lobby is back at 0/2');
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).approvals?.given).toEqual([]);
  });

  it('a change after the first approval clears it, and the lobby says so', async () => {
    const sessionId = await plannedLobby('pair', 'Approve (0/2)');
    await click(w.users.bob, sessionId, 'Approve (0/2)');
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Approvals 1/2'), 5000, 'the lobby shows 1/2');
    await w.t.kernel.orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.bucket', name: 'logs', config: {} });
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('plan changed: approvals cleared'), 5000, 'the lobby says the approvals were cleared');
    expect(embedText(w.lobby(sessionId))).toContain('Approvals 0/2');
    expect(button(w.lobby(sessionId), 'Approve (0/2)').disabled).toBe(true);
  });

  it('a project that lists its approvers: someone not listed is refused privately; the listed one applies with Approve & Deploy', async () => {
    const sessionId = await plannedLobby('named', 'Approve & Deploy');
    const refused = await click(w.users.bob, sessionId, 'Approve & Deploy');
    expect(embedText(privateTo(refused)[0])).toContain('takes approvals only from');
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');
    await click(w.users.carol, sessionId, 'Approve & Deploy');
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'the lobby shows APPLIED');
  });

  it('a listed chat role counts at the click: without it the click is refused, once the member is given it the same click applies', async () => {
    const { admin, bob } = w.users;
    const reviewers = w.emulator.addRole(w.guild, { name: 'reviewers' });
    await w.t.kernel.projects.create({ id: 'roles', provider: 'sandbox', createdBy: admin.id, settings: { approval: { approvers: [reviewers.id] } } });
    for (const user of [w.users.alice, bob]) await w.t.kernel.access.grant({ projectId: 'roles', userId: user.id, level: 'deploy', grantedBy: admin.id });
    const sessionId = await plannedLobby('roles', 'Approve & Deploy');
    const refused = await click(bob, sessionId, 'Approve & Deploy');
    expect(embedText(privateTo(refused)[0])).toContain(`takes approvals only from ${reviewers.id}`);
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');

    w.emulator.setMemberRoles(w.guild, bob, [reviewers.id]);
    const approved = await click(bob, sessionId, 'Approve & Deploy');
    expect(privateTo(approved)).toEqual([]);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'the lobby shows APPLIED');
  });

  it('no request to Discord was refused and nothing was rate limited', async () => {
    await w.bot.idle();
    expect(w.emulator.errors).toEqual([]);
    expect(w.emulator.rateLimitHits).toBe(0);
    expect(w.emulator.warnings).toEqual([]);
  });
});
