/**
 * Tests of the Discord emulator itself, driven by the real discord.js v14 client. They pin the
 * Discord behaviours that adapter tests will rely on the emulator to enforce.
 */
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  GatewayIntentBits,
  MessageFlags,
  ModalBuilder,
  StringSelectMenuBuilder,
  TextInputBuilder,
  TextInputStyle,
  type Interaction,
  type TextChannel,
} from 'discord.js';
import { DiscordEmulator, type ChannelInfo, type DiscordEmulatorOptions, type GuildInfo, type UserInfo } from '../../support/discord-emulator/index.js';

interface Harness {
  emu: DiscordEmulator;
  client: Client;
  guild: GuildInfo;
  channel: ChannelInfo;
  alice: UserInfo;
  /** Errors thrown inside interaction handlers (asserted empty unless a test expects some). */
  handlerErrors: unknown[];
  on(handler: (interaction: Interaction) => Promise<void>): void;
}

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const COMMANDS = [
  {
    name: 'deploy',
    description: 'Deploy a stack',
    options: [
      { type: 3, name: 'env', description: 'Environment', required: true, choices: [{ name: 'prod', value: 'prod' }, { name: 'dev', value: 'dev' }] },
      { type: 4, name: 'replicas', description: 'How many', min_value: 1, max_value: 10 },
      { type: 6, name: 'approver', description: 'Who approves' },
      { type: 3, name: 'region', description: 'Region', autocomplete: true },
    ],
  },
  { name: 'form', description: 'Open a form' },
];

async function start(options: DiscordEmulatorOptions = {}, login = true): Promise<Harness> {
  const emu = await DiscordEmulator.start(options);
  const guild = emu.addGuild({ name: 'Ops' });
  const channel = emu.addChannel({ guild, name: 'deployments' });
  const alice = emu.addUser({ username: 'alice', guild });
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: emu.apiUrl } });
  cleanups.push(async () => {
    await client.destroy();
    await emu.close();
  });
  const handlerErrors: unknown[] = [];
  const harness: Harness = {
    emu,
    client,
    guild,
    channel,
    alice,
    handlerErrors,
    on(handler) {
      client.on('interactionCreate', (interaction) => {
        handler(interaction).catch((error: unknown) => handlerErrors.push(error));
      });
    },
  };
  if (login) {
    const ready = new Promise<void>((resolve) => client.once('clientReady', () => resolve()));
    await client.login(emu.token);
    await ready;
    await client.application!.commands.set(COMMANDS);
  }
  return harness;
}

async function textChannel(h: Harness): Promise<TextChannel> {
  return (await h.client.channels.fetch(h.channel.id)) as TextChannel;
}

async function rawCallback(h: Harness, interactionId: string, token: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${h.emu.apiUrl}/v10/interactions/${interactionId}/${token}/callback`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: res.status === 204 ? null : await res.json() };
}

describe('DiscordEmulator with a real discord.js Client', () => {
  it('logs in: READY then GUILD_CREATE with channels, roles and the bot member cached', async () => {
    const h = await start();
    const guild = h.client.guilds.cache.get(h.guild.id);
    expect(guild?.name).toBe('Ops');
    expect(guild?.channels.cache.get(h.channel.id)?.name).toBe('deployments');
    expect(guild?.members.me?.id).toBe(h.emu.botUserId);
    expect(guild?.roles.everyone.id).toBe(h.guild.id);
    expect(h.client.user?.id).toBe(h.emu.botUserId);
    expect(h.client.application?.id).toBe(h.emu.applicationId);
    expect(h.emu.identifies).toHaveLength(1);
    expect(h.emu.identifies[0]!.intents).toBe(GatewayIntentBits.Guilds);
    expect(h.emu.commands().map((c) => c.name)).toEqual(['deploy', 'form']);
    expect(h.emu.errors).toEqual([]);
  });

  it('refuses privileged intents the application has not enabled (close 4014)', async () => {
    const h = await start({}, false);
    const client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.MessageContent], rest: { api: h.emu.apiUrl } });
    cleanups.push(async () => void (await client.destroy()));
    await expect(client.login(h.emu.token)).rejects.toThrow(/disallowed intents/i);
    expect(h.emu.gatewayCloses).toContainEqual(expect.objectContaining({ code: 4014, reason: 'Disallowed intent(s).', by: 'server' }));
  });

  it('rejects a wrong bot token with 401 before the gateway', async () => {
    const h = await start({}, false);
    const badToken = h.emu.token.slice(0, -3) + 'AAA';
    await expect(h.client.login(badToken)).rejects.toThrow(/invalid token/i);
    expect(h.emu.errors[0]).toMatchObject({ status: 401, route: '/gateway/bot' });
  });

  it('dispatches a slash command with typed options and resolved users; reply() creates the message', async () => {
    const h = await start();
    const bob = h.emu.addUser({ username: 'bob', guild: h.guild });
    let replyId: string | undefined;
    let fetchedId: string | undefined;
    h.on(async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      const env = interaction.options.getString('env', true);
      const replicas = interaction.options.getInteger('replicas');
      const approver = interaction.options.getUser('approver');
      const callback = await interaction.reply({
        content: `deploying ${env} x${replicas} approved by ${approver?.username} for ${interaction.user.username}`,
        withResponse: true,
      });
      replyId = callback.resource?.message?.id;
      fetchedId = (await interaction.fetchReply()).id;
    });
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'deploy', options: { env: 'prod', replicas: 3, approver: bob } });
    expect(run.payload.data).toMatchObject({
      name: 'deploy',
      options: [
        { name: 'env', type: 3, value: 'prod' },
        { name: 'replicas', type: 4, value: 3 },
        { name: 'approver', type: 6, value: bob.id },
      ],
      resolved: { users: { [bob.id]: { username: 'bob' } } },
    });
    const response = await run.response();
    expect(response.type).toBe(4);
    expect(run.originalMessage()?.content).toBe('deploying prod x3 approved by bob for alice');
    await h.emu.waitFor(() => fetchedId);
    expect(replyId).toBe(run.originalMessage()?.id);
    expect(fetchedId).toBe(replyId);
    expect(h.emu.messages(h.channel)).toHaveLength(1);
    expect(h.emu.errors).toEqual([]);
    expect(h.handlerErrors).toEqual([]);
  });

  it('refuses to simulate options the command does not declare', async () => {
    const h = await start();
    expect(() => h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'deploy', options: { env: 'staging' } })).toThrow(/choices/);
    expect(() => h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'deploy', options: { env: 'prod', nope: 1 } })).toThrow(/not registered/);
    expect(() => h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'missing' })).toThrow(/not registered/);
  });

  it('deferReply + editReply: a loading message that the edit fills in', async () => {
    const h = await start();
    let deferredSeen = false;
    h.on(async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      await h.emu.waitFor(() => (deferredSeen = true));
      await interaction.editReply({ content: 'plan ready', embeds: [{ title: 'Plan', description: '+1 bucket' }] });
    });
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    expect((await run.response()).type).toBe(5);
    const done = await h.emu.waitFor(() => {
      const m = run.originalMessage();
      return m && !m.loading ? m : undefined;
    });
    expect(deferredSeen).toBe(true);
    expect(done).toMatchObject({ content: 'plan ready', ephemeral: true, visibleTo: h.alice.id, edited: true });
    expect(done.embeds[0]).toMatchObject({ type: 'rich', title: 'Plan' });
    expect(done.history.map((v) => v.content)).toEqual(['', 'plan ready']);
    expect(done.history[0]!.flags & 128).toBe(128);
    expect(h.emu.errors).toEqual([]);
  });

  it('a second acknowledgement is 400 code 40060', async () => {
    const h = await start();
    h.on(async (interaction) => {
      if (interaction.isChatInputCommand()) await interaction.reply('first');
    });
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    await run.response();
    // discord.js refuses a second reply() itself, so hit the endpoint the way a buggy adapter could.
    const second = await rawCallback(h, run.id, run.token, { type: 4, data: { content: 'second' } });
    expect(second).toEqual({ status: 400, json: { code: 40060, message: 'Interaction has already been acknowledged.' } });
    expect(h.emu.errors).toEqual([expect.objectContaining({ status: 400, route: '/interactions/:interaction/:token/callback' })]);
    expect(h.emu.messages(h.channel).map((m) => m.content)).toEqual(['first']);
  });

  it('an acknowledgement after the ack window is 404 code 10062', async () => {
    const h = await start({ ackWindowMs: 150 });
    const errors: unknown[] = [];
    h.on(async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await new Promise((r) => setTimeout(r, 300));
      await interaction.reply('too late').catch((e: unknown) => errors.push(e));
    });
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    await expect(run.response()).rejects.toThrow(/not acknowledged within 150 ms/);
    await h.emu.waitFor(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(DiscordAPIError);
    expect(errors[0]).toMatchObject({ code: 10062, status: 404, message: 'Unknown interaction' });
    expect(h.emu.messages(h.channel)).toEqual([]);
  });

  it('shows a modal and delivers its submission; answering a submit with a modal is 400', async () => {
    const h = await start();
    h.on(async (interaction) => {
      if (interaction.isChatInputCommand()) {
        const modal = new ModalBuilder()
          .setCustomId('approve-form')
          .setTitle('Approve deployment')
          .addComponents(
            new ActionRowBuilder<TextInputBuilder>().addComponents(
              new TextInputBuilder().setCustomId('reason').setLabel('Reason').setStyle(TextInputStyle.Paragraph).setMaxLength(200),
            ),
            new ActionRowBuilder<TextInputBuilder>().addComponents(
              new TextInputBuilder().setCustomId('ticket').setLabel('Ticket').setStyle(TextInputStyle.Short).setRequired(false),
            ),
          );
        await interaction.showModal(modal);
      } else if (interaction.isModalSubmit()) {
        await interaction.reply({ content: `approved: ${interaction.fields.getTextInputValue('reason')}`, flags: MessageFlags.Ephemeral });
      }
    });
    const open = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    expect((await open.response()).type).toBe(9);
    expect(open.modal()).toMatchObject({ custom_id: 'approve-form', title: 'Approve deployment' });
    expect(() => h.emu.submitModal({ user: h.alice, customId: 'approve-form', fields: {} })).toThrow(/"reason" is required/);

    const submit = h.emu.submitModal({ user: h.alice, customId: 'approve-form', fields: { reason: 'looks good' } });
    expect(submit.payload.data).toMatchObject({
      custom_id: 'approve-form',
      components: [
        { type: 1, components: [{ type: 4, custom_id: 'reason', value: 'looks good' }] },
        { type: 1, components: [{ type: 4, custom_id: 'ticket', value: '' }] },
      ],
    });
    expect((await submit.response()).type).toBe(4);
    expect(submit.originalMessage()).toMatchObject({ content: 'approved: looks good', ephemeral: true });

    // A modal cannot answer a modal submit: Discord only accepts 4/5 (6/7 when opened from a message).
    const reopen = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    await reopen.response();
    h.client.removeAllListeners('interactionCreate');
    const submit2 = h.emu.submitModal({ user: h.alice, customId: 'approve-form', fields: { reason: 'y' } });
    const bad = await rawCallback(h, submit2.id, submit2.token, { type: 9, data: { custom_id: 'x', title: 'x', components: [] } });
    expect(bad).toEqual({
      status: 400,
      json: {
        code: 50035,
        message: 'Invalid Form Body',
        errors: { type: { _errors: [{ code: 'BASE_TYPE_CHOICES', message: 'Value must be one of {4, 5}.' }] } },
      },
    });
    expect(h.handlerErrors).toEqual([]);
  });

  it('button click → update() edits the message in place; select menus carry values', async () => {
    const h = await start();
    h.on(async (interaction) => {
      if (interaction.isChatInputCommand()) {
        await interaction.reply({
          content: 'Apply plan?',
          components: [
            new ActionRowBuilder<ButtonBuilder>().addComponents(
              new ButtonBuilder().setCustomId('apply').setLabel('Apply').setStyle(ButtonStyle.Success),
              new ButtonBuilder().setLabel('Docs').setStyle(ButtonStyle.Link).setURL('https://example.com'),
            ),
            new ActionRowBuilder<StringSelectMenuBuilder>().addComponents(
              new StringSelectMenuBuilder().setCustomId('size').addOptions({ label: 'Small', value: 's' }, { label: 'Large', value: 'l' }),
            ),
          ],
        });
      } else if (interaction.isButton()) {
        await interaction.update({ content: `applied by ${interaction.user.username}`, components: [] });
      } else if (interaction.isStringSelectMenu()) {
        await interaction.reply({ content: `size ${interaction.values.join(',')}`, flags: MessageFlags.Ephemeral });
      }
    });
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    await run.response();
    const message = run.originalMessage()!;
    expect(() => h.emu.selectMenu({ user: h.alice, message, customId: 'size', values: ['xl'] })).toThrow(/not an option/);
    const pick = h.emu.selectMenu({ user: h.alice, message, customId: 'size', values: ['l'] });
    expect((await pick.response()).type).toBe(4);
    expect(pick.originalMessage()?.content).toBe('size l');

    const click = h.emu.clickButton({ user: h.alice, message, customId: 'apply' });
    expect(click.payload).toMatchObject({ type: 3, data: { component_type: 2, custom_id: 'apply' }, message: { id: message.id } });
    expect((await click.response()).type).toBe(7);
    const updated = h.emu.message(message.id)!;
    expect(updated).toMatchObject({ content: 'applied by alice', components: [], edited: true });
    expect(updated.history.map((v) => v.content)).toEqual(['Apply plan?', 'applied by alice']);
    expect(() => h.emu.clickButton({ user: h.alice, message, customId: 'apply' })).toThrow(/no component/);
    expect(h.emu.errors).toEqual([]);
    expect(h.handlerErrors).toEqual([]);
  });

  it('stores multipart file attachments (payload_json + files[n]) and serves them', async () => {
    const h = await start();
    const channel = await textChannel(h);
    const sent = await channel.send({ content: 'plan attached', files: [{ attachment: Buffer.from('+ aws_s3_bucket.logs'), name: 'plan.txt' }] });
    const [stored] = h.emu.messages(h.channel);
    expect(stored!.attachments).toHaveLength(1);
    expect(stored!.attachments[0]).toMatchObject({ filename: 'plan.txt', size: 20 });
    expect(stored!.attachments[0]!.text()).toBe('+ aws_s3_bucket.logs');
    expect(sent.attachments.first()?.name).toBe('plan.txt');
    const download = await fetch(sent.attachments.first()!.url);
    expect(await download.text()).toBe('+ aws_s3_bucket.logs');
    expect(h.emu.errors).toEqual([]);
  });

  it('starts a thread from a message (thread id = message id) and posts into it; bad durations are 50035', async () => {
    const h = await start();
    const channel = await textChannel(h);
    const root = await channel.send('Deployment #42');
    const threadCreated = new Promise((resolve) => h.client.once('threadCreate', resolve));
    const thread = await root.startThread({ name: 'deploy-42', autoArchiveDuration: 60 });
    await threadCreated;
    expect(thread.id).toBe(root.id);
    await thread.send('terraform apply: done');
    expect(h.emu.threads()).toEqual([expect.objectContaining({ id: root.id, name: 'deploy-42', parentId: h.channel.id, type: 11, autoArchiveDuration: 60, starterMessageId: root.id })]);
    expect(h.emu.messages(thread.id).map((m) => m.content)).toEqual(['terraform apply: done']);
    await expect(root.startThread({ name: 'again', autoArchiveDuration: 60 })).rejects.toMatchObject({ code: 160004 });
    const other = await channel.send('other');
    await expect(other.startThread({ name: 'bad', autoArchiveDuration: 61 as 60 })).rejects.toMatchObject({
      code: 50035,
      rawError: { errors: { auto_archive_duration: { _errors: [{ code: 'BASE_TYPE_CHOICES' }] } } },
    });
  });

  it('rate limits 5 messages per channel per window; discord.js honours the headers and retries a 429', async () => {
    const h = await start({ rateLimit: { limit: 5, windowMs: 1000 } });
    const channel = await textChannel(h);
    // Six quick sends through one route: the headers let @discordjs/rest hold the 6th back itself.
    const started = Date.now();
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => channel.send(`msg ${n}`)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(h.emu.messages(h.channel).map((m) => m.content)).toEqual(['msg 1', 'msg 2', 'msg 3', 'msg 4', 'msg 5', 'msg 6']);
    expect(h.emu.rateLimitHits).toBe(0);

    // Edits share the channel's bucket but discord.js tracks another route: the 6th request
    // in the window is answered 429, and discord.js waits and retries it.
    await new Promise((r) => setTimeout(r, 1100)); // let the window reset
    const batch = await Promise.all([1, 2, 3, 4, 5].map((n) => channel.send(`again ${n}`)));
    const edited = await batch[0]!.edit('again 1 (edited)');
    expect(edited.content).toBe('again 1 (edited)');
    expect(h.emu.rateLimitHits).toBe(1);
    expect(h.emu.rateLimitHitsIn(h.channel)).toBe(1);
    expect(h.emu.errors.filter((e) => e.status === 429)).toEqual([
      expect.objectContaining({ route: '/channels/:channel/messages/:message', body: expect.objectContaining({ global: false, retry_after: expect.any(Number) }) }),
    ]);
  });

  it('invalid embeds are 400 Invalid Form Body with Discord error paths', async () => {
    const h = await start();
    const channel = await textChannel(h);
    const error = await channel.send({ embeds: [{ title: 'x'.repeat(300) }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error).toMatchObject({
      code: 50035,
      status: 400,
      rawError: { errors: { embeds: { 0: { title: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 256 or fewer in length.' }] } } } } },
    });
    expect((error as Error).message).toContain('embeds[0].title[BASE_TYPE_MAX_LENGTH]: Must be 256 or fewer in length.');
    await expect(channel.send({ content: 'x'.repeat(2001) })).rejects.toMatchObject({ code: 50035 });
    await expect(channel.send({ embeds: [{ description: 'a'.repeat(4000) }, { description: 'b'.repeat(2001) }] })).rejects.toMatchObject({
      rawError: { errors: { embeds: { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED' }] } } },
    });
    expect(h.emu.errors.map((e) => e.status)).toEqual([400, 400, 400]);
    expect(h.emu.messages(h.channel)).toEqual([]);
  });

  it('validates components and modals like Discord', async () => {
    const h = await start();
    const channel = await textChannel(h);
    const button = (n: number) => ({ type: 2, style: 1, label: `b${n}`, custom_id: `b${n}` });
    const row = (...components: object[]) => ({ type: 1, components });
    await expect(channel.send({ content: 'x', components: [1, 2, 3, 4, 5, 6].map((n) => row(button(n))) } as never)).rejects.toMatchObject({
      rawError: { errors: { components: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 5 or fewer in length.' }] } } },
    });
    const select = { type: 3, custom_id: 'pick', options: [{ label: 'A', value: 'a' }] };
    await expect(channel.send({ content: 'x', components: [row(select, button(1))] } as never)).rejects.toMatchObject({
      rawError: { errors: { components: { 0: { components: { _errors: [{ code: 'COMPONENT_LAYOUT_WIDTH_EXCEEDED' }] } } } } },
    });
    await expect(channel.send({ content: 'x', components: [row({ ...button(1), custom_id: 'c'.repeat(101), label: 'l'.repeat(81) })] } as never)).rejects.toMatchObject({
      rawError: {
        errors: {
          components: {
            0: {
              components: {
                0: {
                  custom_id: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH' }] },
                  label: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 80 or fewer in length.' }] },
                },
              },
            },
          },
        },
      },
    });
    await expect(channel.send({ content: 'x', components: [row(button(1), button(1))] } as never)).rejects.toMatchObject({
      rawError: { errors: { components: { 0: { components: { 1: { custom_id: { _errors: [{ code: 'COMPONENT_CUSTOM_ID_DUPLICATED' }] } } } } } } },
    });

    const modalErrors: unknown[] = [];
    h.on(async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      const input = { type: 4, custom_id: 'why', label: 'Why', style: 3 };
      await interaction.showModal({ custom_id: 'm', title: 't'.repeat(46), components: [row(input)] } as never).catch((e: unknown) => modalErrors.push(e));
      await interaction.reply('fallback');
    });
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    expect((await run.response()).type).toBe(4); // the invalid modal did not consume the acknowledgement
    expect(modalErrors[0]).toMatchObject({
      code: 50035,
      rawError: {
        errors: {
          data: {
            title: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 45 in length.' }] },
            components: { 0: { components: { 0: { style: { _errors: [{ code: 'BASE_TYPE_CHOICES', message: 'Value must be one of {1, 2}.' }] } } } } },
          },
        },
      },
    });
    expect(h.emu.messages(h.channel)).toHaveLength(1);
  });

  it('validates command registration like Discord', async () => {
    const h = await start();
    await expect(h.client.application!.commands.set([{ name: 'Deploy', description: 'Upper case' }])).rejects.toMatchObject({
      code: 50035,
      rawError: { errors: { 0: { name: { _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME' }] } } } },
    });
    await expect(
      h.client.application!.commands.set([
        { name: 'x', description: 'd', options: [{ type: 3, name: 'a', description: 'a' }, { type: 3, name: 'b', description: 'b', required: true }] },
      ]),
    ).rejects.toMatchObject({ rawError: { errors: { 0: { options: { 1: { required: { _errors: [{ code: 'APPLICATION_COMMAND_OPTIONS_ORDER_INVALID' }] } } } } } } });
    expect(h.emu.commands().map((c) => c.name)).toEqual(['deploy', 'form']);

    // Guild commands win over global ones with the same name.
    const guild = h.client.guilds.cache.get(h.guild.id)!;
    await guild.commands.set([{ name: 'deploy', description: 'Guild-only deploy' }]);
    expect(h.emu.commands(h.guild).map((c) => c.guild_id)).toEqual([h.guild.id]);
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'deploy' });
    expect(run.payload.data).toMatchObject({ name: 'deploy', guild_id: h.guild.id });
  });

  it('autocomplete sends the focused raw text and accepts only result callbacks', async () => {
    const h = await start();
    h.on(async (interaction) => {
      if (!interaction.isAutocomplete()) return;
      const typed = interaction.options.getFocused();
      await interaction.respond(['eu-west-1', 'us-east-1'].filter((r) => r.startsWith(typed)).map((r) => ({ name: r, value: r })));
    });
    const typing = h.emu.autocomplete({ user: h.alice, channel: h.channel, name: 'deploy', focused: 'region', options: { region: 'eu' } });
    expect(typing.payload.data).toMatchObject({ options: [{ name: 'region', type: 3, value: 'eu', focused: true }] });
    expect((await typing.response()).type).toBe(8);
    expect(typing.choices()).toEqual([{ name: 'eu-west-1', value: 'eu-west-1' }]);
  });

  it('follow-ups: the first after a deferral fills the deferred reply; tokens expire after 15 minutes', async () => {
    const h = await start();
    let interactionRef: Interaction | undefined;
    h.on(async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      interactionRef = interaction;
      await interaction.deferReply();
      await interaction.followUp('first follow-up');
      await interaction.followUp({ content: 'secret', flags: MessageFlags.Ephemeral });
    });
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    await h.emu.waitFor(() => run.followUps().length === 1);
    expect(run.originalMessage()).toMatchObject({ content: 'first follow-up', loading: false, ephemeral: false });
    expect(run.followUps()).toEqual([expect.objectContaining({ content: 'secret', ephemeral: true, origin: 'follow-up' })]);

    h.emu.advanceTime(15 * 60_000 + 1);
    const expired = await (interactionRef as { editReply(s: string): Promise<unknown> }).editReply('late').catch((e: unknown) => e);
    expect(expired).toMatchObject({ code: 50027, status: 401, message: 'Invalid Webhook Token' });
  });

  it('ephemeral replies are invisible to channel endpoints; EPHEMERAL on channel messages is flagged', async () => {
    const h = await start();
    h.on(async (interaction) => {
      if (interaction.isChatInputCommand()) await interaction.reply({ content: 'only you', flags: MessageFlags.Ephemeral });
    });
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    await run.response();
    const channel = await textChannel(h);
    await expect(channel.messages.fetch({ message: run.originalMessage()!.id, force: true })).rejects.toMatchObject({ code: 10008 });
    await channel.send({ content: 'public anyway', flags: MessageFlags.Ephemeral as number } as never);
    expect(h.emu.messages(h.channel).at(-1)).toMatchObject({ content: 'public anyway', ephemeral: false });
    expect(h.emu.warnings.join('\n')).toMatch(/EPHEMERAL only works on interaction responses/);
  });

  it('resumes after an op 7 RECONNECT and replays interactions dispatched while away', async () => {
    const h = await start();
    h.on(async (interaction) => {
      if (interaction.isChatInputCommand()) await interaction.reply('still here');
    });
    const resumed = new Promise<void>((resolve) => h.client.once('shardResume', () => resolve()));
    h.emu.requestReconnect();
    await h.emu.waitFor(() => h.emu.connectedSessions === 0, 2000, 'client to disconnect');
    const run = h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' });
    await resumed;
    expect((await run.response()).type).toBe(4);
    expect(h.emu.identifies).toHaveLength(1);
    expect(h.emu.gatewayCloses).toContainEqual(expect.objectContaining({ code: 4200, by: 'client' }));
  });

  it('speaks the raw gateway protocol strictly (heartbeat ACK, not-authenticated, decode errors, zlib-stream)', async () => {
    const emu = await DiscordEmulator.start();
    cleanups.push(() => emu.close());
    // Listeners go on before 'open': HELLO can arrive in the same read as the upgrade response.
    const open = async (query: string, onMessage: (data: Buffer) => void) => {
      const ws = new WebSocket(`${emu.gatewayUrl}/?${query}`);
      ws.on('message', onMessage);
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise((resolve) => ws.once('open', resolve));
      return { ws, closed };
    };
    const json = async (query = 'v=10&encoding=json') => {
      const frames: unknown[] = [];
      const c = await open(query, (d) => frames.push(JSON.parse(String(d))));
      return { ...c, frames };
    };

    const a = await json();
    await emu.waitFor(() => a.frames.length >= 1);
    expect(a.frames[0]).toMatchObject({ op: 10, d: { heartbeat_interval: 41250 }, s: null, t: null });
    a.ws.send(JSON.stringify({ op: 1, d: null }));
    await emu.waitFor(() => a.frames.length >= 2);
    expect(a.frames[1]).toMatchObject({ op: 11 });
    a.ws.send(JSON.stringify({ op: 3, d: { status: 'online', afk: false, since: null, activities: [] } }));
    expect(await a.closed).toBe(4003);

    const b = await json();
    b.ws.send('{not json');
    expect(await b.closed).toBe(4002);

    const c = await json('v=9&encoding=json');
    expect(await c.closed).toBe(4012);

    const d = await json();
    d.ws.send(JSON.stringify({ op: 2, d: { token: 'nope', intents: 1, properties: {} } }));
    expect(await d.closed).toBe(4004);

    const e = await json();
    e.ws.send(JSON.stringify({ op: 2, d: { token: emu.token, intents: 0, properties: {} } }));
    expect(await e.closed).toBe(4013);

    // zlib-stream: one deflate context; every payload ends with 00 00 ff ff.
    const inflate = zlib.createInflate();
    const texts: string[] = [];
    const tails: number[][] = [];
    inflate.on('data', (chunk: Buffer) => texts.push(chunk.toString()));
    const z = await open('v=10&encoding=json&compress=zlib-stream', (data) => {
      tails.push([...data.subarray(-4)]);
      inflate.write(data);
    });
    await emu.waitFor(() => texts.length >= 1);
    expect(tails[0]).toEqual([0, 0, 255, 255]);
    expect(JSON.parse(texts.join(''))).toMatchObject({ op: 10 });
    z.ws.close(1000);
    expect(await z.closed).toBe(1000);
    inflate.destroy();
  });

  it('client.destroy() + emulator.close() leave no sockets or servers open', async () => {
    const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
    await new Promise((r) => setTimeout(r, 50)); // let sockets from earlier tests finish closing
    const before = tcpHandles();
    const h = await start();
    h.on(async (interaction) => {
      if (interaction.isChatInputCommand()) await interaction.reply('bye');
    });
    await h.emu.slashCommand({ user: h.alice, channel: h.channel, name: 'form' }).response();
    expect(tcpHandles()).toBeGreaterThan(before);
    await cleanups.pop()!();
    for (let i = 0; i < 50 && tcpHandles() > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(tcpHandles()).toBe(before);
  });
});
