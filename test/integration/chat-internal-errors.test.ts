import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloudEngineError } from '../../src/kernel/errors.js';
import { DiscordBot } from '../../src/plugins/discord/discord-bot.js';
import { DiscordEmulator, type ChannelInfo, type InteractionHandle, type UserInfo } from '../support/discord-emulator/index.js';
import { button, embedText } from '../support/discord-harness.js';
import { startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';
import { converse } from '../support/console-conversation.js';

// What the database said, with a path on the server: it belongs in the log, never in chat.
const RAW = 'The database refused a write (SQLITE_READONLY: attempt to write a readonly database at /srv/cloud/secret.sqlite); nothing was changed.';
const SHOWN = /Internal error \(ref ([0-9a-f]{8})\)/;

/** A kernel whose error log lines are kept, parsed. */
async function loggingKernel(admins: string[]): Promise<{ t: TestKernel; logged: Record<string, unknown>[] }> {
  const logged: Record<string, unknown>[] = [];
  const t = await startTestKernel({ admins, logLevel: 'error', logDestination: { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) } });
  return { t, logged };
}

/** The reference shown to the user; the text must not carry what went wrong. */
function shownReference(text: string): string {
  const match = SHOWN.exec(text);
  expect(match, `an "Internal error (ref …)" line in:\n${text}`).not.toBeNull();
  expect(text).not.toContain('SQLITE');
  expect(text).not.toContain('/srv/cloud');
  return match![1]!;
}

/** The log line carrying `reference`: the error itself, with its text, is there. */
function loggedLine(logged: Record<string, unknown>[], reference: string): Record<string, unknown> {
  const lines = logged.filter((line) => line.reference === reference);
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('an unexpected or INTERNAL failure in the console chat', () => {
  let t: TestKernel;
  let logged: Record<string, unknown>[];
  beforeAll(async () => {
    ({ t, logged } = await loggingKernel([]));
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => t?.dispose());

  it('an INTERNAL CloudEngineError from the kernel is shown as "Internal error (ref X)", and X is on the log line with the error and the command', async () => {
    vi.spyOn(t.kernel.orchestrator, 'listSessions').mockRejectedValue(new CloudEngineError('INTERNAL', RAW));
    const reference = shownReference(await converse(t.kernel, 'opal', ['/cloud-list']));
    const line = loggedLine(logged, reference);
    expect(JSON.stringify(line.err)).toContain('SQLITE_READONLY');
    expect(line.line).toBe('/cloud-list');
  });

  it('a plain Error is shown the same way, with its own reference on its own log line', async () => {
    vi.spyOn(t.kernel.access, 'projectsFor').mockRejectedValue(new Error(RAW));
    const reference = shownReference(await converse(t.kernel, 'opal', ['/cloud-projects']));
    expect(JSON.stringify(loggedLine(logged, reference).err)).toContain('SQLITE_READONLY');
  });
});

describe('an unexpected or INTERNAL failure in the Discord bot', () => {
  let emulator: DiscordEmulator;
  let t: TestKernel;
  let logged: Record<string, unknown>[];
  let bot: DiscordBot;
  let channel: ChannelInfo;
  let alice: UserInfo;
  beforeAll(async () => {
    emulator = await DiscordEmulator.start();
    const guild = emulator.addGuild({ name: 'Errors' });
    channel = emulator.addChannel({ guild, name: 'deploys' });
    const admin = emulator.addUser({ username: 'admin', guild });
    alice = emulator.addUser({ username: 'alice', guild });
    ({ t, logged } = await loggingKernel([admin.id]));
    await t.kernel.projects.create({ id: 'web', provider: 'sandbox', createdBy: admin.id });
    await t.kernel.access.grant({ projectId: 'web', userId: alice.id, level: 'deploy', grantedBy: admin.id });
    bot = new DiscordBot(chatApiOf(t.kernel), { token: emulator.token, applicationId: emulator.applicationId, guildId: guild.id, apiUrl: emulator.apiUrl, registerOnStart: true });
    await bot.start();
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await bot?.stop();
    await emulator?.close();
    await t?.dispose();
  });

  /** Everything the asker was shown privately for an interaction. */
  async function privateText(handle: InteractionHandle): Promise<string> {
    await handle.response();
    await bot.idle();
    return [handle.originalMessage(), ...handle.followUps()].map((message) => `${message?.content ?? ''}\n${embedText(message)}`).join('\n');
  }

  it('a slash command whose kernel call throws INTERNAL answers "Internal error (ref X)" privately; X is on the log line', async () => {
    vi.spyOn(t.kernel.access, 'projectsFor').mockRejectedValue(new CloudEngineError('INTERNAL', RAW));
    const handle = emulator.slashCommand({ user: alice, channel, name: 'cloud-projects' });
    const response = await handle.response();
    const text = JSON.stringify(response.data);
    const reference = shownReference(text);
    const line = loggedLine(logged, reference);
    expect(JSON.stringify(line.err)).toContain('SQLITE_READONLY');
    expect(line.userId).toBe(alice.id);
  });

  it('a resource form whose add fails unexpectedly answers with a reference that is logged, and keeps the Edit and retry button', async () => {
    await emulator.slashCommand({ user: alice, channel, name: 'cloud-deploy', options: { project: 'web' } }).response();
    const lobby = emulator.messages(channel).filter((message) => String(message.embeds[0]?.title ?? '').startsWith('Deployment ')).at(-1)!;
    const sessionId = String(lobby.embeds[0]!.title).replace('Deployment ', '');
    await emulator.clickButton({ user: alice, message: lobby, customId: button(lobby, 'Add Resource').custom_id }).response();
    const select = emulator.messages(channel).filter((message) => message.ephemeral).at(-1)!;
    await emulator.selectMenu({ user: alice, message: select, customId: `ce:type:${sessionId}`, values: ['sandbox.bucket'] }).response();
    vi.spyOn(t.kernel.orchestrator, 'addResource').mockRejectedValue(new Error(RAW));
    const handle = emulator.submitModal({ user: alice, customId: `ce:modal:${sessionId}:sandbox.bucket`, fields: { name: 'assets' } });
    const text = await privateText(handle);
    const reference = shownReference(text);
    expect(loggedLine(logged, reference).sessionId).toBe(sessionId);
    expect(JSON.stringify(handle.originalMessage()?.components)).toContain('Edit and retry');
  });

  it('no request to Discord was refused', async () => {
    await bot.idle();
    expect(emulator.errors).toEqual([]);
  });
});
