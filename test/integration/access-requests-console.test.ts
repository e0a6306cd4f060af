import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';
import { ConsoleChat } from '../../src/plugins/console/console-chat.js';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { TestClock } from '../support/test-clock.js';

const MINUTE = 60_000;

/** One person at a console on the shared kernel: what it printed, and a way to type a line. */
interface Seat {
  chat: ConsoleChat;
  printed(): string;
  type(line: string): Promise<string>;
  close(): Promise<void>;
}

async function seat(t: TestKernel, userId: string): Promise<Seat> {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const chat = new ConsoleChat(chatApiOf(t.kernel), { input, output, userId, interactive: false });
  const running = chat.run();
  await vi.waitFor(() => expect(printed).toContain('Cloud Engine console'));
  return {
    chat,
    printed: () => printed,
    async type(line) {
      const before = printed.length;
      await chat.handle(line);
      return printed.slice(before);
    },
    async close() {
      input.end();
      await running;
    },
  };
}

describe('access requests from the console: asked, shown to admins with the commands that decide them, told to the requester', () => {
  const clock = new TestClock();
  let t: TestKernel;
  let nina: Seat;
  let carol: Seat;
  beforeAll(async () => {
    t = await startTestKernel({ clock, lifecycleInterval: 0 });
    await createProject(t.kernel, { id: 'acc', provider: 'sandbox' }, { carol: 'admin' });
    nina = await seat(t, 'nina');
    carol = await seat(t, 'carol');
  });
  afterAll(async () => {
    await nina?.close();
    await carol?.close();
    await t?.dispose();
  });

  it('/cloud-request-access, the admin approves with /access-approve, /cloud-access lists it; the grant ending soon offers /access-extend', async () => {
    expect(await nina.type('/cloud-request-access project:acc level:deploy duration:0 reason:x')).toMatch(/Invalid input[\s\S]*Invalid duration/);
    const asked = await nina.type('/cloud-request-access project:acc level:deploy duration:1h reason:"hotfix for the login page"');
    const id = /request ([0-9a-f]{16})/.exec(asked)![1]!;
    expect(asked).toContain(`Asked for deploy on acc for 1h (request ${id})`);
    // carol, an admin of acc, sees it with the commands that decide it; nina does not see her own card.
    await vi.waitFor(() => expect(carol.printed()).toContain(`Access request ${id}`));
    expect(carol.printed()).toContain(`nina asks for deploy on acc for 1h.`);
    expect(carol.printed()).toContain(`Approve: /access-approve ${id} · Deny: /access-deny ${id}`);
    expect(nina.printed()).not.toContain(`Access request ${id}`);

    const overview = await carol.type('/cloud-access project:acc');
    expect(overview).toMatch(/Access to acc[\s\S]*carol · admin · until revoked[\s\S]*Pending requests \(1\)[\s\S]*nina asks for deploy on acc for 1h — hotfix for the login page/);
    expect(overview).toContain(`Approve nina: /access-approve ${id}`);
    // nina sees her own request, and no buttons.
    const own = await nina.type('/cloud-access project:acc');
    expect(own).toContain('Pending requests (1)');
    expect(own).not.toContain('/access-approve');

    expect(await nina.type(`/access-approve ${id}`)).toMatch(/Permission denied[\s\S]*Nobody approves their own access request/);
    expect(await carol.type(`/access-approve ${id}`)).toMatch(/✅ Approved by carol: nina has deploy on acc for 1h, until /);
    await vi.waitFor(() => expect(nina.printed()).toContain('✅ Approved by carol'));
    expect(await nina.type('/cloud-deploy project:acc')).toMatch(/── Session [0-9a-z]+ · deployment /);
    expect(await carol.type(`/access-deny ${id}`)).toMatch(/Not possible right now[\s\S]*already approved by carol/);

    clock.advance(55 * MINUTE);
    await t.kernel.lifecycle.runDue();
    await vi.waitFor(() => expect(nina.printed()).toContain('⏰ Your deploy access to acc ends in 5 min'));
    expect(nina.printed()).toContain('Request extension: /access-extend acc/deploy/1h');
    expect(carol.printed()).not.toContain('⏰ Your deploy access');
    expect(await nina.type('/access-extend acc/deploy/1h')).toMatch(/✔ Asked for deploy on acc for 1h more \(request [0-9a-f]{16}\)/);
    const extension = (await t.kernel.access.requests('acc', 'carol', { states: ['PENDING'] }))[0]!;
    expect(extension).toMatchObject({ userId: 'nina', level: 'deploy', duration: '1h' });
    await vi.waitFor(() => expect(carol.printed()).toContain(`Access request ${extension.id}`));
    expect(await nina.type('/help')).toContain('/access-approve <request>');
  });
});
