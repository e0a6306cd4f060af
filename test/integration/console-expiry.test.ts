import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chatCommands } from '../../src/chat/chat-commands.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';
import { ConsoleChat } from '../../src/plugins/console/console-chat.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('deployments that expire, from the console chat', () => {
  const clock = new TestClock();
  let t: TestKernel;
  let chat: ConsoleChat;
  let input: PassThrough;
  let running: Promise<void>;
  let printed = '';
  /** Runs one line and returns what it printed. */
  const type = async (line: string): Promise<string> => {
    const before = printed.length;
    await chat.handle(line);
    return printed.slice(before);
  };

  beforeAll(async () => {
    t = await startTestKernel({ clock, lifecycleInterval: 0 });
    await createProject(t.kernel, { id: 'ttl', provider: 'sandbox', settings: { lifecycle: { defaultTtl: '2h', maxTtl: '1d', reminders: ['1h'] } } });
    input = new PassThrough();
    const output = new PassThrough();
    output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    chat = new ConsoleChat(chatApiOf(t.kernel), { input, output, userId: 'alice', interactive: false });
    running = chat.run();
    await vi.waitFor(() => expect(printed).toContain('Cloud Engine console'));
  });
  afterAll(async () => {
    input?.end();
    await running;
    await t?.dispose();
  });

  it('deploys with ttl:3h, shows the expiry in the lobby and /cloud-list, reminds with /extend and /destroy, extends, and tells the expiry', async () => {
    const start = clock.now();
    expect(await type('/cloud-deploy project:ttl ttl:0')).toMatch(/Invalid input[\s\S]*ttl/i);
    expect(await type('/cloud-deploy project:ttl deployment:web ttl:3h')).toContain('TTL: expires in 3 h');
    await type('/add sandbox.vm vm bootSeconds=0');
    expect(await type('/approve')).toContain('🎉 Applied');
    expect(await type('/cloud-list project:ttl')).toMatch(/web · ttl · ACTIVE · 1 resource · .* · expires in 3 h/);
    const { id } = await t.kernel.deployments.get('web', 'alice', 'ttl');

    // An admin's /cloud-stats lists what is due next.
    const stats = chatCommands(chatApiOf(t.kernel)).find((command) => command.name === 'cloud-stats')!;
    const reply = await stats.run(ADMIN, {});
    expect(reply.kind === 'message' && reply.message.lines.join('\n')).toContain(`reminder (1h before expiry) · deployment ${id} (ttl)`);

    clock.set(start, 2 * HOUR);
    await t.kernel.lifecycle.runDue();
    await vi.waitFor(() => expect(printed).toContain('⏰ Deployment web (ttl) expires in 1 h'));
    expect(printed).toContain(`Extend: /extend ${id} · Destroy now: /destroy deployment:${id}`);

    // Extend: by the default TTL (2h), from 1 h left to 3 h.
    expect(await type(`/extend ${id}`)).toContain('Deployment web extended by alice: expires in 3 h');
    expect(await type(`/extend ${id} 2d`)).toMatch(/maximum TTL of 1d/);

    // Destroy now: the teardown as a lobby to approve.
    expect(await type(`/destroy deployment:${id}`)).toMatch(/Plan ready[\s\S]*1 to destroy/);

    // Expiry while that change is open: the teardown fails, admins are told the attempt and the retry.
    clock.set(start, 5 * HOUR);
    await t.kernel.lifecycle.runDue();
    await vi.waitFor(() => expect(printed).toMatch(/⚠ Admins: the teardown of expired deployment web \(ttl\) failed \(attempt 1\): [\s\S]*next retry at /));

    await type('/cancel');
    clock.set(start, 5 * HOUR + 2 * MINUTE);
    await t.kernel.lifecycle.runDue();
    await vi.waitFor(() => expect(printed).toContain('🗑️ Deployment web (ttl) expired at'));
    expect((await t.kernel.deployments.get(id)).state).toBe('DESTROYED');
  });
});
