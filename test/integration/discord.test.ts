import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';

describe('a whole deployment through Discord, with the real discord.js client', () => {
  let w: DiscordWorld;
  const appliedLines: string[] = [];
  beforeAll(async () => {
    w = await startDiscordWorld();
    w.t.kernel.events.on('output.line', (event) => {
      if (event.operation === 'apply') appliedLines.push(event.line);
    });
  });
  afterAll(() => w?.dispose());

  it('registers the chat commands in the guild', () => {
    const names = w.emulator.commands(w.guild).map((command) => command.name).sort();
    expect(names).toEqual(
      ['cloud-access', 'cloud-admin-cancel', 'cloud-admin-list', 'cloud-cancel', 'cloud-create-project', 'cloud-dashboard', 'cloud-deploy', 'cloud-drift', 'cloud-grant', 'cloud-list', 'cloud-projects', 'cloud-quota', 'cloud-request-access', 'cloud-revoke', 'cloud-set-quota', 'cloud-stats'].sort(),
    );
  });

  it('creates a project and grants access with admin commands; each answer is measured from the interaction to its first reply', async () => {
    const acks: { adapter: string; ms: number }[] = [];
    const off = w.t.kernel.events.on('chat.acknowledged', (ack) => acks.push(ack));
    const created = await w.emulator.slashCommand({ user: w.users.admin, channel: w.channel, name: 'cloud-create-project', options: { project_id: 'web', provider: 'sandbox' } }).response();
    expect(JSON.stringify(created)).toContain('Project web (sandbox) created');
    await w.bot.idle();
    off();
    expect(acks).toHaveLength(1);
    expect(acks[0]!.adapter).toBe('discord');
    expect(acks[0]!.ms).toBeGreaterThanOrEqual(0);
    expect(acks[0]!.ms).toBeLessThan(3000);
    for (const user of [w.users.alice, w.users.bob]) {
      const granted = await w.emulator
        .slashCommand({ user: w.users.admin, channel: w.channel, name: 'cloud-grant', options: { user: user.id, project: 'web', permission: 'deploy', duration: '2h' } })
        .response();
      expect(JSON.stringify(granted)).toContain(`Granted deploy on web to ${user.id} for 2h`);
    }
  });

  let sessionId = '';
  it('/cloud-deploy posts a lobby visible to the channel, Approve disabled until a plan is ready', async () => {
    await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'web', provider: 'sandbox' } }).response();
    const lobby = w.lobby();
    expect(lobby?.ephemeral).toBe(false);
    sessionId = String(lobby?.embeds[0]?.title).replace('Deployment ', '');
    expect(embedText(lobby)).toContain('Draft');
    expect(button(lobby, 'Approve & Deploy').disabled).toBe(true);
    expect(button(lobby, 'Add Resource').disabled).toBeFalsy();
  });

  it('Add Resource → type select → modal → automatic plan; the lobby edits itself to the plan', async () => {
    const lobby = w.lobby(sessionId)!;
    const menu = await w.emulator.clickButton({ user: w.users.alice, message: lobby, customId: button(lobby, 'Add Resource').custom_id }).response();
    expect(JSON.stringify(menu)).toContain('sandbox.vm');
    const selectMessage = w.emulator.messages(w.channel).filter((message) => message.ephemeral).at(-1)!;
    const modal = await w.emulator.selectMenu({ user: w.users.alice, message: selectMessage, customId: `ce:type:${sessionId}`, values: ['sandbox.vm'] }).response();
    expect(JSON.stringify(modal)).toContain('"custom_id":"bootSeconds"');
    const submitted = w.emulator.submitModal({ user: w.users.alice, customId: `ce:modal:${sessionId}:sandbox.vm`, fields: { name: 'web', size: 'small', image: 'debian-12', bootSeconds: '2', tags: 'team=web' } });
    await submitted.response();
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Plan ready'), 15_000, 'lobby shows the plan');
    const text = embedText(w.lobby(sessionId));
    expect(text).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(text).toContain('+ terraform_data.web');
    expect(text).toContain('$0.00/hour | $0.00/month');
    expect(button(w.lobby(sessionId), 'Approve & Deploy').disabled).toBeFalsy();
  });

  it('a click by someone without access is refused privately and changes nothing', async () => {
    const before = embedText(w.lobby(sessionId));
    const handle = w.emulator.clickButton({ user: w.users.mallory, message: w.lobby(sessionId)!, customId: button(w.lobby(sessionId), 'Approve & Deploy').custom_id });
    await handle.response();
    await w.bot.idle();
    const refusal = handle.originalMessage();
    expect(refusal?.ephemeral).toBe(true);
    expect(embedText(refusal)).toContain('Permission denied');
    expect(embedText(w.lobby(sessionId))).toBe(before);
    expect((await w.t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');
  });

  it('Approve & Deploy streams every apply line, in order, into a thread and the lobby ends APPLIED', async () => {
    await w.emulator.clickButton({ user: w.users.bob, message: w.lobby(sessionId)!, customId: button(w.lobby(sessionId), 'Approve & Deploy').custom_id }).response();
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 30_000, 'lobby shows APPLIED');
    await w.bot.idle();
    const thread = w.emulator.threads().find((candidate) => candidate.starterMessageId === w.lobby(sessionId)!.id);
    expect(thread).toBeDefined();
    expect(thread!.autoArchiveDuration).toBe(60);
    const posted = w.emulator.messages(thread!.id).map((message) => message.content);
    const streamed = posted
      .filter((content) => content.startsWith('```'))
      .flatMap((content) => content.replace(/^```\n/, '').replace(/\n```$/, '').split('\n'));
    expect(streamed).toEqual(appliedLines);
    expect(streamed.some((line) => line.includes('booting web: 2/2s'))).toBe(true);
    expect(posted.at(-1)).toContain('**Applied**');
    expect(posted.at(-1)).toContain(`Output lines: ${appliedLines.length}/${appliedLines.length} delivered.`);
    expect(embedText(w.lobby(sessionId))).toMatch(/web.*"ip":"10\./s);
    expect(w.emulator.rateLimitHits, JSON.stringify(w.emulator.errors.filter((error) => error.status === 429).map((error) => [error.method, error.route, error.at]))).toBe(0);
  });

  it('/cloud-quota shows the bars after the deployment', async () => {
    await w.emulator.slashCommand({ user: w.users.admin, channel: w.channel, name: 'cloud-set-quota', options: { project: 'web', resource_type: 'compute_vm', limit: 10 } }).response();
    const quota = await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-quota', options: { project: 'web' } }).response();
    expect(JSON.stringify(quota)).toContain('compute_vm: [█░░░░░░░░░] 1/10 (10%)');
  });

  it('an invalid modal value gets an error naming the field and a button that reopens the modal with what was typed', async () => {
    await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } }).response();
    const lobby = w.lobby()!;
    const id = String(lobby.embeds[0]?.title).replace('Deployment ', '');
    await w.emulator.clickButton({ user: w.users.alice, message: lobby, customId: button(lobby, 'Add Resource').custom_id }).response();
    const selectMessage = w.emulator.messages(w.channel).filter((message) => message.ephemeral).at(-1)!;
    await w.emulator.selectMenu({ user: w.users.alice, message: selectMessage, customId: `ce:type:${id}`, values: ['sandbox.vm'] }).response();
    const handle = w.emulator.submitModal({ user: w.users.alice, customId: `ce:modal:${id}:sandbox.vm`, fields: { name: 'db', size: 'gigantic', image: 'debian-12', bootSeconds: '0', tags: '' } });
    await handle.response();
    await w.bot.idle();
    const reply = handle.originalMessage()!;
    expect(reply.ephemeral).toBe(true);
    expect(embedText(reply)).toContain('config.size');
    const reopened = await w.emulator.clickButton({ user: w.users.alice, message: reply, customId: button(reply, 'Edit and retry').custom_id }).response();
    const modal = JSON.stringify(reopened);
    expect(modal).toContain('"value":"gigantic"');
    expect(modal).toContain('"value":"db"');
  });

  it('no request to Discord was refused, apart from the refusals the test provoked', () => {
    const unexpected = w.emulator.errors.filter((error) => error.status !== 429);
    expect(unexpected).toEqual([]);
  });
});
