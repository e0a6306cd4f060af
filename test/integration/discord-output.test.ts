import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedMessage, UserInfo } from '../support/discord-emulator/index.js';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';

/** Discord counts characters as code points. */
const chars = (text: string) => [...text].length;

interface Embed {
  title?: string;
  description?: string;
  footer?: { text: string };
  fields?: { name: string; value: string }[];
}

describe('apply output and long plans in Discord', () => {
  let w: DiscordWorld;
  const applyLines = new Map<string, string[]>();
  beforeAll(async () => {
    w = await startDiscordWorld();
    const { kernel } = w.t;
    await kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: w.users.admin.id });
    for (const user of [w.users.alice, w.users.bob]) await kernel.access.grant({ projectId: 'web', userId: user.id, level: 'deploy', grantedBy: w.users.admin.id });
    kernel.events.on('output.line', (event) => {
      if (event.operation !== 'apply') return;
      applyLines.set(event.sessionId, [...(applyLines.get(event.sessionId) ?? []), event.line]);
    });
  });
  afterAll(() => w?.dispose());

  async function openLobby(user: UserInfo): Promise<string> {
    await w.emulator.slashCommand({ user, channel: w.channel, name: 'cloud-deploy', options: { project: 'web' } }).response();
    return String(w.lobby()!.embeds[0]!.title).replace('Deployment ', '');
  }

  async function approveAndWait(sessionId: string): Promise<EmulatedMessage[]> {
    const response = await w.emulator.clickButton({ user: w.users.bob, message: w.lobby(sessionId)!, customId: button(w.lobby(sessionId), 'Approve & Deploy').custom_id }).response();
    expect(response.type).toBe(6);
    await w.emulator.waitFor(() => embedText(w.lobby(sessionId)).includes('Applied'), 60_000, 'lobby shows APPLIED');
    await w.bot.idle();
    const thread = w.emulator.threads().find((candidate) => candidate.starterMessageId === w.lobby(sessionId)!.id);
    expect(thread).toBeDefined();
    return w.emulator.messages(thread!.id);
  }

  const streamedLines = (messages: readonly EmulatedMessage[]) =>
    messages
      .filter((message) => message.content.startsWith('```'))
      .flatMap((message) => message.content.replace(/^```\n/, '').replace(/\n```$/, '').split('\n'));

  it('a long apply: every line terraform printed reaches the thread in order, in messages under 2000 characters, never rate limited; the summary counts N/N', async () => {
    const sessionId = await openLobby(w.users.alice);
    for (const name of ['alpha', 'beta']) {
      await w.t.kernel.orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.vm', name, config: { bootSeconds: 12, size: 'large' } });
    }
    await w.t.kernel.orchestrator.runPlan(sessionId, w.users.alice.id);
    await w.emulator.waitFor(() => !button(w.lobby(sessionId), 'Approve & Deploy').disabled, 10_000, 'Approve is enabled');

    const messages = await approveAndWait(sessionId);
    const emitted = applyLines.get(sessionId) ?? [];
    expect(emitted.length).toBeGreaterThanOrEqual(24); // "booting …: n/12s" twice, and terraform's own lines
    expect(streamedLines(messages)).toEqual(emitted);
    for (const name of ['alpha', 'beta']) for (let second = 1; second <= 12; second++) expect(emitted).toContain(`terraform_data.${name}: (local-exec): booting ${name}: ${second}/12s`);
    for (const message of messages) expect(chars(message.content)).toBeLessThan(2000);
    // Paced under Discord's 5 messages per 5 s in the thread: more than one message, but nothing refused.
    expect(messages.length).toBeGreaterThan(3);
    const times = messages.map((message) => Date.parse(message.createdAt));
    for (let index = 5; index < times.length; index++) expect(times[index]! - times[index - 5]!).toBeGreaterThanOrEqual(4900);
    expect(w.emulator.rateLimitHits).toBe(0);
    expect(w.emulator.errors.filter((error) => error.status === 429)).toEqual([]);
    const summary = messages.at(-1)!.content;
    expect(summary).toContain('**Applied**');
    expect(summary).toContain(`Output lines: ${emitted.length}/${emitted.length} delivered.`);
  });

  const bucketNames = Array.from({ length: 40 }, (_, index) => `bucket${String(index + 1).padStart(2, '0')}`);
  let bigSession = '';

  it('a plan of 40 resources: the lobby embed stays within Discord limits and the full plan is attached as plan.txt', async () => {
    bigSession = await openLobby(w.users.alice);
    for (const name of bucketNames.slice(0, 39)) await w.t.kernel.orchestrator.addResource(bigSession, w.users.alice.id, { type: 'sandbox.bucket', name, config: {} });
    await w.emulator.waitFor(() => embedText(w.lobby(bigSession)).includes('Resources (39)'), 15_000, 'the lobby lists 39 resources');
    await w.bot.idle();
    // The 40th through the lobby, as a person would: Add Resource → type → modal; the plan starts by itself.
    const lobby = w.lobby(bigSession)!;
    await w.emulator.clickButton({ user: w.users.alice, message: lobby, customId: button(lobby, 'Add Resource').custom_id }).response();
    const select = w.emulator.messages(w.channel).filter((message) => message.ephemeral).at(-1)!;
    await w.emulator.selectMenu({ user: w.users.alice, message: select, customId: `ce:type:${bigSession}`, values: ['sandbox.bucket'] }).response();
    await w.emulator.submitModal({ user: w.users.alice, customId: `ce:modal:${bigSession}:sandbox.bucket`, fields: { name: 'bucket40' } }).response();
    await w.emulator.waitFor(() => embedText(w.lobby(bigSession)).includes('Plan ready'), 30_000, 'the lobby shows the plan');
    await w.bot.idle();

    const planned = w.lobby(bigSession)!;
    const embed = planned.embeds[0] as Embed;
    const text = embedText(planned);
    expect(text).toContain('Plan: 40 to add, 0 to change, 0 to destroy.');
    expect(text).toContain('more in plan.txt');
    expect(text).toContain('Resources (40)');
    for (const field of embed.fields ?? []) expect(chars(field.value)).toBeLessThanOrEqual(1024);
    const total = [embed.title, embed.description, embed.footer?.text, ...(embed.fields ?? []).flatMap((field) => [field.name, field.value])].filter(Boolean).join('');
    expect(chars(total)).toBeLessThanOrEqual(6000);
    expect(planned.attachments.map((attachment) => attachment.filename)).toEqual(['plan.txt']);
    const planText = planned.attachments[0]!.text();
    expect(planText).toContain('Plan: 40 to add, 0 to change, 0 to destroy.');
    for (const name of bucketNames) expect(planText).toContain(`+ terraform_data.${name}`);

    // Refresh re-renders the same lobby: still one plan.txt, not a second copy.
    const refreshed = await w.emulator.clickButton({ user: w.users.alice, message: planned, customId: `ce:refresh:${bigSession}` }).response();
    expect(refreshed.type).toBe(7);
    expect(w.lobby(bigSession)!.attachments.map((attachment) => attachment.filename)).toEqual(['plan.txt']);
    expect(w.lobby(bigSession)!.attachments[0]!.text()).toBe(planText);
  });

  it('applying those 40 resources: the thread summary keeps its line count although the 40 outputs do not fit in one message', async () => {
    expect(bigSession).not.toBe('');
    w.emulator.advanceTime(5_000); // a person reads the plan before approving: a fresh rate-limit window
    const messages = await approveAndWait(bigSession);
    const emitted = applyLines.get(bigSession) ?? [];
    expect(streamedLines(messages)).toEqual(emitted);
    const summary = messages.at(-1)!.content;
    expect(chars(summary)).toBeLessThanOrEqual(2000);
    expect(summary).toContain('**Applied**');
    expect(summary).toContain('Plan: 40 to add, 0 to change, 0 to destroy.');
    expect(summary).toContain('`bucket01`');
    expect(summary).toContain(`Output lines: ${emitted.length}/${emitted.length} delivered.`);
    const lobby = w.lobby(bigSession)!;
    for (const field of (lobby.embeds[0] as Embed).fields ?? []) expect(chars(field.value)).toBeLessThanOrEqual(1024);
    expect(lobby.attachments.map((attachment) => attachment.filename)).toEqual(['plan.txt']);
  });

  it('no request to Discord was refused and nothing was rate limited', async () => {
    await w.bot.idle();
    expect(w.emulator.errors).toEqual([]);
    expect(w.emulator.rateLimitHits).toBe(0);
    expect(w.emulator.warnings).toEqual([]);
  });
});
