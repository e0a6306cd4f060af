import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordEmulator, type ChannelInfo, type EmulatedMessage, type UserInfo } from '../support/discord-emulator/index.js';
import { button } from '../support/discord-harness.js';
import { startFront, type FrontProcess } from '../support/front-process.js';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { startWorker, type WorkerProcess } from '../support/worker-process.js';

if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const CHATTY = join(import.meta.dirname, '..', 'fixtures', 'plugins', 'chatty.mjs');
const LINES = 30;

async function until<T>(what: string, get: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Two fronts (`cloud-engine start --no-runner`, OS processes) and a worker on one PostgreSQL, the
// Discord bot on the emulator: the leading front streams an apply into its thread and is killed
// (kill -9) half-way; the standby takes the gateway and goes on from the next line. In the thread:
// every line once, in order, then the summary.
describe.skipIf(!HAS_POSTGRES)('a front killed while it streams an apply', () => {
  let server: PostgresServer;
  let emulator: DiscordEmulator;
  let channel: ChannelInfo;
  let alice: UserInfo;
  let bob: UserInfo;
  let worker: WorkerProcess;
  let api: TestKernel;
  const fronts: FrontProcess[] = [];
  const SECRET_KEY = '9'.repeat(64);

  beforeAll(async () => {
    server = await startPostgres();
    emulator = await DiscordEmulator.start({ rateLimit: { headers: false, includeWebhookMessages: false } });
    const guild = emulator.addGuild({ name: 'Platform' });
    channel = emulator.addChannel({ guild, name: 'deploys' });
    alice = emulator.addUser({ username: 'alice', guild });
    bob = emulator.addUser({ username: 'bob', guild });
    const common = { CLOUD_ENGINE_SECRET_KEY: SECRET_KEY, CLOUD_ENGINE_PLUGINS: CHATTY, CLOUD_ENGINE_LIFECYCLE_INTERVAL: '0' };
    worker = await startWorker(server.url, common);
    const env = {
      ...common,
      CLOUD_ENGINE_DATABASE_URL: server.url,
      CLOUD_ENGINE_QUEUE: 'on',
      CLOUD_ENGINE_ADMINS: alice.id,
      DISCORD_TOKEN: emulator.token,
      DISCORD_APPLICATION_ID: emulator.applicationId,
      DISCORD_GUILD_ID: guild.id,
      DISCORD_API_URL: emulator.apiUrl,
      DISCORD_REGISTER_COMMANDS: 'true',
    };
    fronts.push(await startFront(env, ['--no-runner']));
    fronts.push(await startFront(env, ['--no-runner']));
    // The test's own hands on the kernel API (no chat adapter): resources and plans, as a CLI user would.
    api = await startTestKernel({ database: { type: 'postgres', url: server.url }, queue: true, runner: false, secretKey: SECRET_KEY, plugins: [CHATTY], lifecycleInterval: 0, admins: [alice.id] });
    await api.kernel.projects.create({ id: 'p', provider: 'sandbox', createdBy: alice.id });
    await api.kernel.access.grant({ projectId: 'p', userId: bob.id, level: 'deploy', grantedBy: alice.id });
  }, 120_000);

  afterAll(async () => {
    await api?.dispose();
    await Promise.all(fronts.map((front) => front.stop().catch(() => undefined)));
    await worker?.stop();
    await emulator?.close();
    await server?.stop();
    for (const dir of [...fronts.map((front) => front.dataDir), worker?.dataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the standby resumes the thread from the next line: every line once, in order, and the summary', async () => {
    const leading = () => fronts.filter((front) => front.output().includes('this process leads it'));
    await until('a leader', () => leading().length === 1 && emulator.connectedSessions === 1);
    await emulator.slashCommand({ user: alice, channel, name: 'cloud-deploy', options: { project: 'p', deployment: 'talk' } }).response();
    const lobbyOf = () => emulator.messages(channel).find((message) => String(message.embeds[0]?.title ?? '').startsWith('Deployment '));
    const lobby = await until('the lobby', lobbyOf);
    const sessionId = String(lobby.embeds[0]!.title).replace('Deployment ', '');
    await api.kernel.orchestrator.addResource(sessionId, alice.id, { type: 'sandbox.chatty', name: 'talk', config: { lines: LINES, everyMs: 300 } });
    await api.kernel.orchestrator.runPlan(sessionId, alice.id);
    // The leader's lobby follows the plan the worker made (events relayed over PostgreSQL).
    const ready = await until('the Approve button', () => {
      const current = emulator.messages(channel).find((message) => message.id === lobby.id);
      return current && !button(current, 'Approve & Deploy').disabled ? current : undefined;
    });
    await emulator.clickButton({ user: bob, message: ready, customId: button(ready, 'Approve & Deploy').custom_id }).response();

    const thread = await until('the apply thread', () => emulator.threads().find((candidate) => candidate.starterMessageId === lobby.id));
    const text = () => emulator.messages(thread.id).map((message: EmulatedMessage) => message.content).join('\n');
    await until('some lines in the thread', () => /chatty line 5\b/.test(text()), 60_000);
    const [first] = leading();
    first!.killHard();

    await until('the summary', () => text().includes('Output lines:'), 40_000).catch(async (error) => {
      const view = await api.kernel.orchestrator.getSession(sessionId);
      const tail = (await api.kernel.orchestrator.getOutput(sessionId)).slice(-6).map((line) => `${line.operation} ${line.line}`);
      console.log('STATE', view.state, view.error, tail.join(' // '));
      for (const front of fronts) console.log('FRONT', front.output().split('\n').slice(-25).join('\n'));
      throw error;
    });
    const numbers = [...text().matchAll(/chatty line (\d+)\b/g)].map((match) => Number(match[1]));
    expect(numbers).toEqual(Array.from({ length: LINES }, (_, index) => index + 1));
    expect(text()).toMatch(/\*\*Applied\*\* \(approved by <@\d+>\)\.\nOutput lines: (\d+)\/\1 delivered \(resumed after a restart\)\./);
    expect(leading().filter((front) => front !== first)).toHaveLength(1);
    expect((await api.kernel.orchestrator.getSession(sessionId)).state).toBe('APPLIED');
  }, 180_000);
});
