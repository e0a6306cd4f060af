import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordEmulator, type ChannelInfo, type GuildInfo, type UserInfo } from '../support/discord-emulator/index.js';
import { embedText } from '../support/discord-harness.js';
import { startFront, type FrontProcess } from '../support/front-process.js';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';

if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Two fronts (`cloud-engine start`, OS processes) on one PostgreSQL, both configured for the same
// Discord bot against the emulator: exactly one holds the gateway connection; kill -9 of that one,
// and the standby connects within 30 s and answers the next command.
describe.skipIf(!HAS_POSTGRES)('one Discord gateway among the fronts, a hot standby', () => {
  let server: PostgresServer;
  let emulator: DiscordEmulator;
  let guild: GuildInfo;
  let channel: ChannelInfo;
  let alice: UserInfo;
  const fronts: FrontProcess[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    emulator = await DiscordEmulator.start();
    guild = emulator.addGuild({ name: 'Platform' });
    channel = emulator.addChannel({ guild, name: 'deploys' });
    alice = emulator.addUser({ username: 'alice', guild });
    const env = {
      CLOUD_ENGINE_DATABASE_URL: server.url,
      CLOUD_ENGINE_QUEUE: 'on',
      CLOUD_ENGINE_SECRET_KEY: '7'.repeat(64),
      CLOUD_ENGINE_ADMINS: alice.id,
      DISCORD_TOKEN: emulator.token,
      DISCORD_APPLICATION_ID: emulator.applicationId,
      DISCORD_GUILD_ID: guild.id,
      DISCORD_API_URL: emulator.apiUrl,
      DISCORD_REGISTER_COMMANDS: 'true',
    };
    // The first migrates the database and creates the queue; the second finds them.
    fronts.push(await startFront(env));
    fronts.push(await startFront(env));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(fronts.map((front) => front.stop().catch(() => undefined)));
    await emulator?.close();
    await server?.stop();
    for (const front of fronts) rmSync(front.dataDir, { recursive: true, force: true });
  }, 60_000);

  const leader = () => fronts.filter((front) => front.output().includes('this process leads it'));

  const ask = async () => {
    const command = emulator.slashCommand({ user: alice, channel, name: 'cloud-projects' });
    await command.response();
    for (let tries = 0; tries < 100 && !command.originalMessage(); tries++) await sleep(100);
    return command.originalMessage();
  };

  it('the leader alone connects and answers; killed, the standby connects within 30 s and answers the next command', async () => {
    for (let tries = 0; tries < 200 && emulator.connectedSessions < 1; tries++) await sleep(100);
    await sleep(6000); // a full campaign interval: the standby has asked and been refused
    expect(emulator.connectedSessions).toBe(1);
    expect(leader()).toHaveLength(1);
    expect(embedText(await ask())).toMatch(/project/i);

    const [first] = leader();
    first!.killHard();
    const killedAt = Date.now();
    const standby = fronts.find((front) => front !== first)!;
    for (let tries = 0; tries < 300 && !standby.output().includes('this process leads it'); tries++) await sleep(100);
    for (let tries = 0; tries < 300 && emulator.connectedSessions < 1; tries++) await sleep(100);
    expect(Date.now() - killedAt).toBeLessThan(30_000);
    expect(emulator.connectedSessions).toBe(1);
    // A second IDENTIFY: the standby's own connection, not the leader's resumed.
    expect(emulator.identifies).toHaveLength(2);
    expect(embedText(await ask())).toMatch(/project/i);
  }, 120_000);
});
