import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedMessage } from '../support/discord-emulator/index.js';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const sessionOf = (message: EmulatedMessage | undefined) => String(message?.embeds[0]?.title ?? '').replace('Deployment ', '');

describe('an expiring deployment in Discord: TTL in the lobby, a reminder with Extend and Destroy now', () => {
  const clock = new TestClock();
  let w: DiscordWorld;
  beforeAll(async () => {
    w = await startDiscordWorld({ kernel: { clock, lifecycleInterval: 0 } });
    const { kernel } = w.t;
    await kernel.projects.create({ id: 'ttl', provider: 'sandbox', createdBy: w.users.admin.id, settings: { lifecycle: { defaultTtl: '2h', maxTtl: '1d', reminders: ['1h'] } } });
    await kernel.access.grant({ projectId: 'ttl', userId: w.users.alice.id, level: 'deploy', grantedBy: w.users.admin.id });
  });
  afterAll(() => w?.dispose());

  it('refuses a bad ttl privately with INVALID_INPUT; ttl:3h shows in the lobby; the reminder is posted there, Extend extends, Destroy now opens the teardown lobby', async () => {
    const { kernel } = w.t;
    const start = clock.now();
    const bad = w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'ttl', ttl: '10y' } });
    await bad.response();
    await w.bot.idle();
    const refusal = bad.originalMessage();
    expect(refusal?.ephemeral).toBe(true);
    expect(embedText(refusal)).toMatch(/ttl/);

    await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'ttl', deployment: 'web', ttl: '3h' } }).response();
    await w.bot.idle();
    const sessionId = sessionOf(w.lobby());
    expect(embedText(w.lobby(sessionId))).toContain('TTL: expires in 3 h');
    await kernel.orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.vm', name: 'vm', config: { bootSeconds: 0 } });
    await kernel.orchestrator.runPlan(sessionId, w.users.alice.id);
    await kernel.orchestrator.approveAndApply(sessionId, w.users.alice.id);
    const { id } = await kernel.deployments.get('web', undefined, 'ttl');

    clock.set(start, 2 * HOUR);
    await kernel.lifecycle.runDue();
    await w.bot.idle();
    const reminder = w.emulator.messages(w.channel).find((message) => message.content.startsWith('⏰'));
    expect(reminder?.content).toContain('Deployment web (ttl) expires in 1 h');

    const extend = w.emulator.clickButton({ user: w.users.alice, message: reminder!, customId: button(reminder, 'Extend').custom_id });
    expect((await extend.response()).type).toBe(4);
    expect(extend.originalMessage()?.content).toContain(`Deployment web extended by <@${w.users.alice.id}>: expires in 3 h`);
    expect((await kernel.deployments.get(id)).expiresAt).toEqual(new Date(start.getTime() + 5 * HOUR));

    const refused = w.emulator.clickButton({ user: w.users.mallory, message: reminder!, customId: button(reminder, 'Extend').custom_id });
    await refused.response();
    await w.bot.idle();
    expect(refused.originalMessage()?.ephemeral).toBe(true);
    expect((await kernel.deployments.get(id)).expiresAt).toEqual(new Date(start.getTime() + 5 * HOUR));

    const destroy = w.emulator.clickButton({ user: w.users.alice, message: reminder!, customId: button(reminder, 'Destroy now').custom_id });
    await destroy.response();
    await w.emulator.waitFor(() => sessionOf(w.lobby()) !== sessionId, 30_000, 'the teardown lobby is posted');
    await w.bot.idle();
    const teardown = w.lobby()!;
    expect(teardown.ephemeral).toBe(false);
    expect(embedText(teardown)).toMatch(/1 to destroy/);
    expect(button(teardown, 'Approve & Deploy').disabled).toBeFalsy();
    expect((await kernel.deployments.get(id)).openSessionId).toBe(sessionOf(teardown));
  });

  it("streams the system's own teardown at expiry into a thread in the deployment's channel, ending with how it went", async () => {
    const { kernel } = w.t;
    const start = clock.now();
    await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'ttl', deployment: 'tmp', ttl: '1h' } }).response();
    await w.bot.idle();
    const sessionId = sessionOf(w.lobby());
    await kernel.orchestrator.addResource(sessionId, w.users.alice.id, { type: 'sandbox.bucket', name: 'scratch' });
    await kernel.orchestrator.runPlan(sessionId, w.users.alice.id);
    expect((await kernel.orchestrator.approveAndApply(sessionId, w.users.alice.id)).state).toBe('APPLIED');

    clock.set(start, 2 * HOUR);
    await kernel.lifecycle.runDue();
    await w.bot.idle();
    const opening = w.emulator.messages(w.channel).find((message) => message.content.includes('cloud-engine is tearing down deployment tmp (ttl)'));
    expect(opening).toBeDefined();
    const thread = w.emulator.threads().find((candidate) => candidate.starterMessageId === opening!.id);
    expect(thread?.name).toMatch(/^Teardown tmp /);
    await w.emulator.waitFor(() => w.emulator.messages(thread!.id).some((message) => message.content.includes('Output lines:')), 15_000, 'the teardown summary');
    const text = w.emulator.messages(thread!.id).map((message) => message.content).join('\n');
    expect(text).toMatch(/Destruction complete/);
    expect(text).toMatch(/\*\*Applied\*\* by cloud-engine\.\nOutput lines: (\d+)\/\1 delivered\./);
    expect((await kernel.deployments.get('tmp', undefined, 'ttl')).state).toBe('DESTROYED');
  });
});
