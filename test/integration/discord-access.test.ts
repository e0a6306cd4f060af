import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelInfo, EmulatedMessage, RoleInfo } from '../support/discord-emulator/index.js';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;

const cardOf = (messages: EmulatedMessage[], requestId: string) => messages.find((message) => embedText(message).includes(`Access request ${requestId}`));

describe('access requests in Discord: asked with a command, decided with a button, told by DM; chat roles mapped to levels', () => {
  const clock = new TestClock();
  let w: DiscordWorld;
  let requests: ChannelInfo;
  let deployers: RoleInfo;
  beforeAll(async () => {
    w = await startDiscordWorld({ kernel: { clock, lifecycleInterval: 0 } });
    requests = w.emulator.addChannel({ guild: w.guild, name: 'access-requests' });
    deployers = w.emulator.addRole(w.guild, { name: 'deployers' });
    const { kernel } = w.t;
    await kernel.projects.create({
      id: 'web',
      provider: 'sandbox',
      createdBy: w.users.admin.id,
      settings: { access: { requestsChannel: requests.id, maxGrant: '8h', roles: { [deployers.id]: 'deploy' } } },
    });
    await kernel.projects.create({ id: 'docs', provider: 'sandbox', createdBy: w.users.admin.id });
    for (const project of ['web', 'docs']) await kernel.access.grant({ projectId: project, userId: w.users.carol.id, level: 'admin', grantedBy: w.users.admin.id });
  });
  afterAll(() => w?.dispose());

  async function ask(user: DiscordWorld['users']['alice'], options: Record<string, string>) {
    const handle = w.emulator.slashCommand({ user, channel: w.channel, name: 'cloud-request-access', options });
    await handle.response();
    await w.bot.idle();
    return handle;
  }

  it('a newcomer asks; the card goes to the requests channel; refused clicks are private; an admin approves; the newcomer is told by DM and deploys; the grant ends with a DM offering an extension', async () => {
    const { kernel } = w.t;
    const { alice, carol, mallory, admin } = w.users;
    const asked = await ask(alice, { project: 'web', level: 'deploy', duration: '1h', reason: 'hotfix for the login page' });
    const reply = asked.originalMessage();
    expect(reply?.ephemeral).toBe(true);
    expect(embedText(reply)).toMatch(/Access requested[\s\S]*Asked for deploy on web for 1h \(request [0-9a-f]{16}\)/);
    const [request] = await kernel.access.requests('web', carol.id);
    expect(request).toMatchObject({ state: 'PENDING', userId: alice.id, level: 'deploy', duration: '1h', reason: 'hotfix for the login page' });

    // Posted in the project's requests channel, not where it was asked.
    const card = cardOf(w.emulator.messages(requests), request!.id)!;
    expect(card.ephemeral).toBe(false);
    expect(embedText(card)).toContain(`<@${alice.id}> asks for deploy on web for 1h.`);
    expect(embedText(card)).toContain('Reason: hotfix for the login page');
    expect(cardOf(w.emulator.messages(w.channel), request!.id)).toBeUndefined();

    // mallory is no admin, alice may not approve her own: both told privately, nothing decided.
    for (const [user, text] of [
      [mallory, /Permission denied[\s\S]*needs admin/],
      [alice, /Permission denied[\s\S]*Nobody approves their own access request/],
    ] as const) {
      const click = w.emulator.clickButton({ user, message: card, customId: button(card, 'Approve').custom_id });
      await click.response();
      await w.bot.idle();
      expect(click.originalMessage()?.ephemeral).toBe(true);
      expect(embedText(click.originalMessage())).toMatch(text);
    }
    expect((await kernel.access.requests('web', carol.id))[0]!.state).toBe('PENDING');

    // Two admins click at once: one decision; the other is told who decided.
    const clicks = [carol, admin].map((user) => w.emulator.clickButton({ user, message: card, customId: button(card, 'Approve').custom_id }));
    await Promise.all(clicks.map((click) => click.response()));
    await w.bot.idle();
    const answers = clicks.map((click) => click.originalMessage()!);
    expect(answers.every((answer) => answer.ephemeral)).toBe(true);
    const won = answers.filter((answer) => answer.content.startsWith('✅ Approved by'));
    expect(won).toHaveLength(1);
    const decided = (await kernel.access.requests('web', carol.id))[0]!;
    expect(decided.state).toBe('APPROVED');
    const lost = answers.find((answer) => !answer.content.startsWith('✅'))!;
    expect(embedText(lost)).toContain(`already approved by ${decided.decidedBy}`);

    // The card says so, its buttons gone; alice is told by direct message.
    await w.emulator.waitFor(() => w.emulator.message(card.id)?.components.length === 0, 5000, 'the card loses its buttons');
    expect(embedText(w.emulator.message(card.id))).toContain(`✅ Approved by <@${decided.decidedBy}>: <@${alice.id}> has deploy on web for 1h`);
    const dms = w.emulator.directMessages(alice);
    expect(dms).toHaveLength(1);
    expect(embedText(dms[0])).toContain('✅ Approved by');

    // A minute later alice deploys, without any admin typing a command.
    await w.emulator.slashCommand({ user: alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } }).response();
    await w.bot.idle();
    const lobby = w.lobby()!;
    expect(embedText(lobby)).toContain(`<@${alice.id}>`);

    // 6 minutes (a tenth) before the end: a DM with Request extension, once.
    clock.advance(55 * MINUTE);
    await kernel.lifecycle.runDue();
    await kernel.lifecycle.runDue();
    await w.bot.idle();
    const notices = w.emulator.directMessages(alice).filter((message) => embedText(message).includes('⏰'));
    expect(notices).toHaveLength(1);
    expect(embedText(notices[0])).toMatch(/Your deploy access to web ends in 5 min/);
    expect(button(notices[0], 'Request extension').custom_id).toBe('ce:access-extend:web/deploy/1h');

    // Past the end, the grant counts for nothing.
    clock.advance(6 * MINUTE);
    const late = w.emulator.slashCommand({ user: alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } });
    await late.response();
    await w.bot.idle();
    expect(late.originalMessage()?.ephemeral).toBe(true);
    expect(embedText(late.originalMessage())).toMatch(/Permission denied/);
  });

  it('without a requests channel the card is posted where it was asked; Deny; a requester with DMs closed is told under the card', async () => {
    const { kernel } = w.t;
    const { bob, carol } = w.users;
    w.emulator.closeDirectMessages(bob);
    await ask(bob, { project: 'docs', level: 'read', duration: '2h', reason: 'read the runbooks' });
    const [request] = await kernel.access.requests('docs', carol.id);
    const card = cardOf(w.emulator.messages(w.channel), request!.id)!;
    expect(card).toBeDefined();
    const deny = w.emulator.clickButton({ user: carol, message: card, customId: button(card, 'Deny').custom_id });
    await deny.response();
    await w.bot.idle();
    expect(deny.originalMessage()?.content).toContain('❌ Denied by');
    expect(await kernel.access.levelOf(bob.id, 'docs')).toBeNull();
    await w.emulator.waitFor(() => w.emulator.message(card.id)?.components.length === 0, 5000, 'the card loses its buttons');
    expect(w.emulator.directMessages(bob)).toEqual([]);
    const told = w.emulator.messages(w.channel).find((message) => message.content.startsWith('❌ Denied by') && message.content.includes(`<@${bob.id}>`));
    expect(told).toBeDefined();
  });

  it("a grant ending soon whose holder has DMs closed is announced in the project's requests channel, and Request extension there asks again", async () => {
    const { kernel } = w.t;
    const { bob, carol } = w.users;
    await kernel.access.grant({ projectId: 'web', userId: bob.id, level: 'deploy', grantedBy: carol.id, expiresAt: new Date(clock.now().getTime() + 60 * MINUTE) });
    clock.advance(55 * MINUTE);
    await kernel.lifecycle.runDue();
    await w.bot.idle();
    const notice = w.emulator.messages(requests).find((message) => message.content === `<@${bob.id}>` && embedText(message).includes('⏰ Your deploy access to web ends in 5 min'))!;
    expect(notice).toBeDefined();
    expect(w.emulator.directMessages(bob)).toEqual([]);
    const extend = w.emulator.clickButton({ user: bob, message: notice, customId: button(notice, 'Request extension').custom_id });
    await extend.response();
    await w.bot.idle();
    expect(extend.originalMessage()?.ephemeral).toBe(true);
    expect(extend.originalMessage()?.content).toMatch(/^Asked for deploy on web for 1h more \(request [0-9a-f]{16}\)/);
    const asked = (await kernel.access.requests('web', carol.id, { states: ['PENDING'] })).find((request) => request.userId === bob.id)!;
    expect(asked).toMatchObject({ level: 'deploy', duration: '1h' });
    expect(cardOf(w.emulator.messages(requests), asked.id)).toBeDefined();
    await kernel.access.decide(asked.id, carol.id, 'deny');
    await kernel.access.revoke({ projectId: 'web', userId: bob.id, revokedBy: carol.id });
  });

  it('/cloud-access lists grants with their expiry and pending requests, with Approve and Deny for admins only', async () => {
    const { carol, mallory } = w.users;
    await ask(mallory, { project: 'web', level: 'read', duration: '30m', reason: 'curious' });
    const shown = w.emulator.slashCommand({ user: carol, channel: w.channel, name: 'cloud-access', options: { project: 'web' } });
    await shown.response();
    await w.bot.idle();
    const overview = shown.originalMessage()!;
    expect(overview.ephemeral).toBe(true);
    expect(embedText(overview)).toMatch(/Access to web[\s\S]*Grants[\s\S]*admin · until revoked[\s\S]*Pending requests \(1\)[\s\S]*asks for read on web for 30m — curious/);
    const approve = button(overview, `Approve ${mallory.id}`);
    const other = w.emulator.slashCommand({ user: mallory, channel: w.channel, name: 'cloud-access', options: { project: 'web' } });
    await other.response();
    await w.bot.idle();
    expect(embedText(other.originalMessage())).toContain('Pending requests (1)');
    expect(other.originalMessage()!.components).toEqual([]);
    // The overview's button decides like the card's.
    const click = w.emulator.clickButton({ user: carol, message: overview, customId: approve.custom_id });
    await click.response();
    await w.bot.idle();
    expect(click.originalMessage()?.content).toContain('✅ Approved by');
    expect(await w.t.kernel.access.levelOf(mallory.id, 'web')).toBe('read');
  });

  it('a mapped chat role gives its level at each click while the member holds it, audited as such; taken away, it stops', async () => {
    const { kernel } = w.t;
    const { bob } = w.users;
    const deploy = async () => {
      const handle = w.emulator.slashCommand({ user: bob, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } });
      await handle.response();
      await w.bot.idle();
      return handle;
    };
    expect(embedText((await deploy()).originalMessage())).toMatch(/Permission denied/);
    w.emulator.setMemberRoles(w.guild, bob, [deployers]);
    const allowed = await deploy();
    expect(allowed.originalMessage()?.ephemeral).toBeFalsy();
    expect(embedText(w.lobby())).toContain(`<@${bob.id}>`);
    const audited = await kernel.audit.list({ projectId: 'web', action: 'access.viaRole', actor: bob.id });
    expect(audited.map((event) => [event.details.roleId, event.details.level, event.details.action])).toContainEqual([deployers.id, 'deploy', 'session.start']);
    // No grant was written: the role alone gave it.
    expect((await kernel.access.list('web')).find((grant) => grant.userId === bob.id)).toBeUndefined();
    w.emulator.setMemberRoles(w.guild, bob, []);
    expect(embedText((await deploy()).originalMessage())).toMatch(/Permission denied/);
  });
});
