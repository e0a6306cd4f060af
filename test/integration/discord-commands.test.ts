import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DiscordBot } from '../../src/plugins/discord/discord-bot.js';
import { DiscordEmulator, MessageFlags, type ChannelInfo, type EmulatedMessage, type InteractionResponseRecord, type UserInfo } from '../support/discord-emulator/index.js';
import { embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';
import { startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';

/** The embed of an interaction callback's data as plain text. */
function responseText(response: InteractionResponseRecord): string {
  const embeds = (response.data?.embeds ?? []) as { title?: string; description?: string; fields?: { name: string; value: string }[] }[];
  const content = typeof response.data?.content === 'string' ? [response.data.content] : [];
  return [...content, ...embeds.flatMap((embed) => [embed.title, embed.description, ...(embed.fields ?? []).map((field) => `${field.name}: ${field.value}`)])].filter(Boolean).join('\n');
}

function footer(response: InteractionResponseRecord): string | undefined {
  return (response.data?.embeds as { footer?: { text: string } }[] | undefined)?.[0]?.footer?.text;
}

/** Makes a kernel method take 50 ms longer, as under load. */
function slowDown<T extends object, K extends keyof T & string>(target: T, method: K): void {
  const original = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  vi.spyOn(target, method as never).mockImplementation((async (...args: unknown[]) => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return original(...args);
  }) as never);
}

const isEphemeral = (response: InteractionResponseRecord) => ((response.data?.flags as number | undefined) ?? 0) & MessageFlags.Ephemeral;

describe('Discord slash commands: autocomplete, choices, pages, errors', () => {
  let w: DiscordWorld;
  let bobSession = '';
  let aliceOpen = '';
  let aliceCancelled = '';
  beforeAll(async () => {
    w = await startDiscordWorld();
    const { kernel } = w.t;
    const { admin, alice, bob, carol } = w.users;
    for (const id of ['web', 'ops', 'data']) await kernel.projects.create({ id, provider: 'sandbox', createdBy: admin.id });
    await kernel.access.grant({ projectId: 'web', userId: alice.id, level: 'deploy', grantedBy: admin.id });
    await kernel.access.grant({ projectId: 'ops', userId: alice.id, level: 'read', grantedBy: admin.id });
    await kernel.access.grant({ projectId: 'data', userId: bob.id, level: 'deploy', grantedBy: admin.id });
    await kernel.access.grant({ projectId: 'web', userId: bob.id, level: 'read', grantedBy: admin.id });
    await kernel.access.grant({ projectId: 'web', userId: carol.id, level: 'deploy', grantedBy: admin.id });
    aliceOpen = (await kernel.orchestrator.startSession(alice.id, 'web')).id;
    aliceCancelled = (await kernel.orchestrator.startSession(alice.id, 'web')).id;
    await kernel.orchestrator.cancelSession(aliceCancelled, alice.id);
    bobSession = (await kernel.orchestrator.startSession(bob.id, 'data')).id;
  });
  afterAll(() => w?.dispose());

  it('identifies to the gateway with only the Guilds intent (1)', () => {
    expect(w.emulator.identifies.length).toBeGreaterThan(0);
    for (const identify of w.emulator.identifies) expect(identify.intents).toBe(1);
  });

  it('registers /cloud-deploy provider as a choice list of exactly the loaded providers, project as autocomplete', () => {
    const deploy = w.emulator.commands(w.guild).find((command) => command.name === 'cloud-deploy')!;
    const options = deploy.options as { name: string; autocomplete?: boolean; choices?: { name: string; value: string }[] }[];
    const provider = options.find((option) => option.name === 'provider')!;
    const loaded = w.t.kernel.registries.providers.list().map((item) => item.id);
    expect(loaded).toEqual(expect.arrayContaining(['sandbox', 'aws', 'google']));
    expect(provider.choices!.map((choice) => choice.value).sort()).toEqual([...loaded].sort());
    expect(provider.autocomplete).toBeUndefined();
    expect(options.find((option) => option.name === 'project')!.autocomplete).toBe(true);
    const cancel = (w.emulator.commands(w.guild).find((command) => command.name === 'cloud-cancel')!.options as { name: string; autocomplete?: boolean }[])[0]!;
    expect(cancel).toMatchObject({ name: 'session_id', autocomplete: true });
  });

  it('/cloud-deploy project autocomplete suggests only the projects the user can deploy to, filtered by what was typed', async () => {
    const suggested = async (user: UserInfo, typed: string) => {
      const handle = w.emulator.autocomplete({ user, channel: w.channel, name: 'cloud-deploy', focused: 'project', options: { project: typed } });
      const response = await handle.response();
      expect(response.type).toBe(8);
      return handle.choices()!.map((choice) => choice.value);
    };
    // alice: deploy on web, only read on ops, nothing on data.
    expect(await suggested(w.users.alice, '')).toEqual(['web']);
    expect(await suggested(w.users.alice, 'o')).toEqual([]);
    // bob: deploy on data, only read on web.
    expect(await suggested(w.users.bob, '')).toEqual(['data']);
    expect(await suggested(w.users.bob, 'DA')).toEqual(['data']);
    expect(await suggested(w.users.mallory, '')).toEqual([]);
  });

  it("/cloud-cancel session_id autocomplete suggests only the user's own open sessions", async () => {
    const handle = w.emulator.autocomplete({ user: w.users.alice, channel: w.channel, name: 'cloud-cancel', focused: 'session_id' });
    await handle.response();
    const values = handle.choices()!.map((choice) => choice.value);
    expect(values).toEqual([aliceOpen]);
    expect(values).not.toContain(aliceCancelled);
    expect(values).not.toContain(bobSession);
    const bob = w.emulator.autocomplete({ user: w.users.bob, channel: w.channel, name: 'cloud-cancel', focused: 'session_id', options: { session_id: bobSession.slice(0, 4) } });
    await bob.response();
    expect(bob.choices()!.map((choice) => choice.value)).toEqual([bobSession]);
  });

  it('/cloud-list with 12 sessions shows page 1 of 2 with a hint, and page:2 shows the other two', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 12; index++) ids.push((await w.t.kernel.orchestrator.startSession(w.users.carol.id, 'web')).id);
    const first = await w.emulator.slashCommand({ user: w.users.carol, channel: w.channel, name: 'cloud-list' }).response();
    expect(footer(first)).toBe('Page 1 of 2 — use page:2 for more');
    expect(isEphemeral(first)).toBeTruthy();
    const second = await w.emulator.slashCommand({ user: w.users.carol, channel: w.channel, name: 'cloud-list', options: { page: 2 } }).response();
    expect(footer(second)).toBe('Page 2 of 2');
    const idsIn = (response: InteractionResponseRecord) => ids.filter((id) => responseText(response).includes(id));
    expect(idsIn(first)).toHaveLength(10);
    expect(idsIn(second)).toHaveLength(2);
    expect([...idsIn(first), ...idsIn(second)].sort()).toEqual([...ids].sort());
  });

  it('/cloud-deploy for an unknown project answers privately: not found, and what to do', async () => {
    const response = await w.emulator.slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'nope' } }).response();
    expect(response.type).toBe(4);
    expect(isEphemeral(response)).toBeTruthy();
    const text = responseText(response);
    expect(text).toContain('Not found');
    expect(text).toContain('Project "nope" does not exist');
    expect(text).toMatch(/ask an admin to create it/i);
    expect(w.lobby()).toBeUndefined();
  });

  it('/cloud-grant by a non-admin answers privately: permission denied, naming the admin level needed', async () => {
    const response = await w.emulator
      .slashCommand({ user: w.users.alice, channel: w.channel, name: 'cloud-grant', options: { user: w.users.mallory.id, project: 'web', permission: 'read' } })
      .response();
    expect(isEphemeral(response)).toBeTruthy();
    const text = responseText(response);
    expect(text).toContain('Permission denied');
    expect(text).toContain('needs admin');
    expect(text).toContain('Ask a project admin');
    expect(await w.t.kernel.access.levelOf(w.users.mallory.id, 'web')).toBeNull();
  });

  it('no request to Discord was refused', () => {
    expect(w.emulator.errors).toEqual([]);
    expect(w.emulator.warnings).toEqual([]);
  });
});

describe('a slow kernel: replies deferred after deferAfterMs still arrive', () => {
  let emulator: DiscordEmulator;
  let t: TestKernel;
  let bot: DiscordBot;
  let channel: ChannelInfo;
  let admin: UserInfo;
  let alice: UserInfo;
  beforeAll(async () => {
    emulator = await DiscordEmulator.start();
    const guild = emulator.addGuild({ name: 'Slow' });
    channel = emulator.addChannel({ guild, name: 'deploys' });
    admin = emulator.addUser({ username: 'admin', guild });
    alice = emulator.addUser({ username: 'alice', guild });
    t = await startTestKernel({ admins: [admin.id] });
    await t.kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: admin.id });
    await t.kernel.access.grant({ projectId: 'web', userId: alice.id, level: 'deploy', grantedBy: admin.id });
    // A slow kernel: what these commands call takes 50 ms, far beyond the bot's 1 ms patience,
    // so every reply below goes the deferred way (errors included).
    slowDown(t.kernel.orchestrator, 'startSession');
    slowDown(t.kernel.access, 'projectsFor');
    slowDown(t.kernel.access, 'grant');
    bot = new DiscordBot(chatApiOf(t.kernel), { token: emulator.token, applicationId: emulator.applicationId, guildId: guild.id, apiUrl: emulator.apiUrl, registerOnStart: true }, { deferAfterMs: 1 });
    await bot.start();
  });
  // Each test is a person typing a command, seconds apart: a new per-channel rate-limit window
  // (interaction follow-ups count against the channel here, and each token is its own bucket to discord.js).
  beforeEach(() => emulator.advanceTime(5_000));
  afterAll(async () => {
    vi.restoreAllMocks();
    await bot?.stop();
    await emulator?.close();
    await t?.dispose();
  });

  const settled = (handle: { originalMessage(): EmulatedMessage | undefined }) =>
    emulator.waitFor(() => {
      const message = handle.originalMessage();
      return message && !message.loading ? message : undefined;
    }, 5000, 'the deferred reply is filled in');

  it('a private message reply: deferred ephemerally, then the thinking message becomes the answer', async () => {
    const handle = emulator.slashCommand({ user: alice, channel, name: 'cloud-projects' });
    const response = await handle.response();
    expect(response.type).toBe(5);
    expect(response.latencyMs).toBeLessThan(1000);
    const message = await settled(handle);
    expect(message.ephemeral).toBe(true);
    expect(embedText(message)).toContain('web — sandbox — your access: deploy');
  });

  it('a public message reply (access granted) is visible to the channel, not only to the asker', async () => {
    const handle = emulator.slashCommand({ user: admin, channel, name: 'cloud-grant', options: { user: alice.id, project: 'web', permission: 'deploy', duration: '2h' } });
    expect((await handle.response()).type).toBe(5);
    await bot.idle();
    const visible = emulator.messages(channel).filter((message) => !message.ephemeral && embedText(message).includes('Access granted'));
    expect(visible).toHaveLength(1);
    expect(embedText(visible[0])).toContain(`Granted deploy on web to ${alice.id} for 2h`);
    expect(emulator.messages(channel).filter((message) => message.loading)).toEqual([]);
  });

  it('a lobby reply: the lobby is posted as a channel message that the bot keeps editing', async () => {
    const handle = emulator.slashCommand({ user: alice, channel, name: 'cloud-deploy', options: { project: 'web' } });
    expect((await handle.response()).type).toBe(5);
    const note = await settled(handle);
    expect(note.ephemeral).toBe(true);
    const lobby = await emulator.waitFor(
      () => emulator.messages(channel).find((message) => String(message.embeds[0]?.title ?? '').startsWith('Deployment ')),
      5000,
      'the lobby is posted',
    );
    expect(lobby.origin).toBe('channel');
    expect(lobby.ephemeral).toBe(false);
    const sessionId = String(lobby.embeds[0]!.title).replace('Deployment ', '');
    expect(note.content).toContain(sessionId);
    expect(embedText(lobby)).toContain('Draft');
    await t.kernel.orchestrator.addResource(sessionId, alice.id, { type: 'sandbox.bucket', name: 'assets', config: {} });
    await emulator.waitFor(() => embedText(emulator.message(lobby.id)).includes('assets'), 5000, 'the lobby shows the new resource');
  });

  it('an error after the deferral still reaches the asker privately', async () => {
    const handle = emulator.slashCommand({ user: alice, channel, name: 'cloud-deploy', options: { project: 'nope' } });
    expect((await handle.response()).type).toBe(5);
    const message = await settled(handle);
    expect(message.ephemeral).toBe(true);
    expect(embedText(message)).toContain('Project "nope" does not exist');
  });

  it('no request to Discord was refused', async () => {
    await bot.idle();
    expect(emulator.errors).toEqual([]);
    expect(emulator.warnings).toEqual([]);
  });
});
