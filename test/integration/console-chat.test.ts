import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleChat } from '../../src/plugins/console/console-chat.js';
import { startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';
import { converse } from '../support/console-conversation.js';

describe('the console chat driven through a pipe, on a fresh data dir', () => {
  let t: TestKernel;
  let transcript: string;
  beforeAll(async () => {
    t = await startTestKernel({ admins: [] });
    transcript = await converse(t.kernel, 'newcomer', [
      '/help',
      '/cloud-deplyo project:sandbox',
      '/cloud-deploy project:sandbox provider:sandbox',
      '/add sandbox.vm web size=medium bootSeconds=1 tags="team=web, env=dev"',
      '/add sandbox.bucket assets',
      '/approve',
      '/cloud-quota project:sandbox',
      '/cloud-projects',
      '/cloud-list',
    ]);
  });
  afterAll(() => t?.dispose());

  it('gives the console user a sandbox project they administer, with no setup', async () => {
    expect(transcript).toContain('Cloud Engine console — you are newcomer.');
    expect(transcript).toContain('A "sandbox" project was created for you (you are its admin).');
    expect(await t.kernel.access.levelOf('newcomer', 'sandbox')).toBe('admin');
  });

  it('lists every command in /help, the chat ones and the lobby buttons', () => {
    for (const command of ['/cloud-deploy', '/cloud-grant', '/cloud-stats', '/add <type> <name> key=value', '/approve [session]', '/edit <name> key=value', '/remove <name>', '/change [session]', '/destroy [session]']) {
      expect(transcript).toContain(command);
    }
    expect(transcript).toContain('[deployment:…]');
  });

  it('suggests the nearest command for a typo', () => {
    expect(transcript).toContain('Unknown command /cloud-deplyo. Did you mean /cloud-deploy?');
  });

  it('deploys: lobby, automatic plan after each change, approval, streamed apply with progress, APPLIED', () => {
    const order = [
      'State: 📝 Draft — add resources to plan',
      'Added web (sandbox.vm) to',
      'Plan: 1 to add, 0 to change, 0 to destroy.',
      'Added assets (sandbox.bucket) to',
      'Plan: 2 to add, 0 to change, 0 to destroy.',
      'State: ✅ Plan ready — waiting for approval',
      '+ terraform_data.assets',
      'Cost: $0.00/hour | $0.00/month',
      'Next: /add <type> <name> key=value · /edit <name> key=value · /remove <name> · /approve · /cancel',
      'Approving',
      '│ terraform_data.web: (local-exec): booting web: 1/1s',
      '▸ 2/2 resources done',
      'State: 🎉 Applied',
    ];
    let from = 0;
    for (const text of order) {
      const at = transcript.indexOf(text, from);
      expect(at, `"${text}" after position ${from}`).toBeGreaterThanOrEqual(0);
      from = at;
    }
    expect(transcript).toMatch(/• web — sandbox\.vm \(size=medium, image=debian-12, bootSeconds=1, tags=\{"team":"web","env":"dev"\}\)/);
    expect(transcript).toMatch(/web: \{"id":"[0-9a-f-]{36}","ip":"10\.\d+\.\d+\.\d+"\}/);
  });

  it('shows the project in /cloud-projects and the deployment in /cloud-list and /cloud-quota', () => {
    expect(transcript).toContain('sandbox — sandbox — your access: admin');
    expect(transcript).toMatch(/[a-z0-9_-]+ · sandbox · ACTIVE · 2 resources · \$0\.00\/month/);
    expect(transcript).toContain('compute_vm: 1 used (no limit)');
  });

  it('refuses a user without a grant with the kernel\'s message, and changes nothing', async () => {
    const before = await t.kernel.orchestrator.listSessions({});
    const refused = await converse(t.kernel, 'mallory', ['/cloud-deploy project:sandbox', '/cloud-quota project:sandbox']);
    expect(refused).toContain('✖ Permission denied');
    expect(refused).toContain('Starting a session needs deploy access to project sandbox; mallory has none.');
    expect(refused).toContain('Viewing this project needs read access to project sandbox; mallory has none.');
    expect(await t.kernel.orchestrator.listSessions({})).toHaveLength(before.length);
  });

  it('names the field for bad input and keeps going', async () => {
    const out = await converse(t.kernel, 'newcomer', ['/cloud-deploy project:sandbox', '/add sandbox.vm Bad-Name', '/add sandbox.vm web size=huge', '/add sandbox.vm ok', '/cloud-quota']);
    expect(out).toContain('✖ Invalid input');
    expect(out).toContain('Invalid name: expected 1-63 lowercase letters');
    expect(out).toContain('Invalid config.size');
    expect(out).toContain('Field: config.size');
    expect(out).toContain('Plan: 1 to add');
    expect(out).toContain('Missing project: /cloud-quota needs project:');
  });
});

describe('the console chat whose output closes part-way (| head)', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel({ admins: [] });
  });
  afterAll(() => t?.dispose());

  it('keeps running its commands to the end: the apply finishes and the session ends APPLIED', async () => {
    let writes = 0;
    let kept = '';
    // Takes the first line, then fails every write with EPIPE as a closed pipe does.
    const output = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes++;
        if (writes > 1) return callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        kept += chunk.toString('utf8');
        callback();
      },
    });
    const input = new PassThrough();
    const chat = new ConsoleChat(chatApiOf(t.kernel), { input, output, userId: 'piper', interactive: false });
    const running = chat.run();
    input.end(['/cloud-deploy project:sandbox', '/add sandbox.vm web bootSeconds=1', '/approve', ''].join('\n'));
    await running;

    expect(kept).toContain('Cloud Engine console — you are piper.');
    const sessions = await t.kernel.orchestrator.listSessions({ userId: 'piper' });
    expect(sessions.map((session) => session.state)).toEqual(['APPLIED']);
    // Nothing more was pushed at the closed output after it failed.
    expect(writes).toBe(2);
  });
});

describe('console approvals are bound to the plan the console showed', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel({ admins: [] });
    await t.kernel.projects.bootstrap({ id: 'sandbox', provider: 'sandbox', adminUserId: 'reviewer' });
  });
  afterAll(() => t?.dispose());

  /** A console as `reviewer`, driven line by line; `printed()` is everything since the last call. */
  function reviewerConsole(): { say: (line: string) => Promise<string> } {
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    const chat = new ConsoleChat(chatApiOf(t.kernel), { input: new PassThrough(), output, userId: 'reviewer', interactive: false });
    return {
      say: async (line) => {
        printed = '';
        await chat.handle(line);
        return printed;
      },
    };
  }

  async function plannedSession(chat: ReturnType<typeof reviewerConsole>): Promise<{ sessionId: string; planId: string; lobby: string }> {
    await chat.say('/cloud-deploy project:sandbox');
    const lobby = await chat.say('/add sandbox.vm web bootSeconds=1');
    const [, sessionId, planId] = /Session (\w+)[\s\S]*Plan: 1 to add, 0 to change, 0 to destroy\. \(plan (\w+)\)/.exec(lobby) ?? [];
    expect(sessionId, lobby).toBeDefined();
    return { sessionId: sessionId!, planId: planId!, lobby };
  }

  it('shows the plan id in the lobby; /approve after someone re-planned is refused as stale, then the new plan shown is approved', async () => {
    const chat = reviewerConsole();
    const { sessionId, planId } = await plannedSession(chat);
    const session = await t.kernel.orchestrator.getSession(sessionId);
    expect(session.plan?.id).toBe(planId);

    // Planned again elsewhere (Discord, another user) after this console showed the plan.
    const replanned = await t.kernel.orchestrator.runPlan(sessionId, 'reviewer');
    const refused = await chat.say('/approve');
    expect(refused).toContain('✖ Plan is stale');
    expect(refused).toContain(`The plan you approved (${planId}) is no longer the plan of session ${sessionId}`);
    expect(refused).not.toContain('Apply complete');
    expect((await t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');
    // The current plan is shown after the refusal, so the next /approve approves what was just read.
    expect(refused).toContain(`(plan ${replanned.id})`);

    const applied = await chat.say('/approve');
    expect(applied).toContain(`Approving ${sessionId} and applying plan ${replanned.id} (1 change)…`);
    expect(applied).toContain('State: 🎉 Applied');
    expect((await t.kernel.orchestrator.getSession(sessionId)).state).toBe('APPLIED');
  });

  it('/approve plan=<id> names the plan explicitly: a wrong id is refused, the current one applies', async () => {
    const chat = reviewerConsole();
    const { sessionId, planId } = await plannedSession(chat);
    const wrong = await chat.say(`/approve ${sessionId} plan=notthisplan`);
    expect(wrong).toContain('✖ Plan is stale');
    expect((await t.kernel.orchestrator.getSession(sessionId)).state).toBe('PLAN_READY');
    const applied = await chat.say(`/approve ${sessionId} plan=${planId}`);
    expect(applied).toContain('State: 🎉 Applied');
  });
});

describe('console deployments: deployment:, /cloud-list, /change, /edit, /remove, /destroy', () => {
  let t: TestKernel;
  let transcript: string;
  beforeAll(async () => {
    t = await startTestKernel({ admins: [] });
    transcript = await converse(t.kernel, 'ann', [
      '/cloud-deploy project:sandbox deployment:shop',
      '/add sandbox.network net',
      '/types sandbox.vm',
      '/add sandbox.vm web network=net',
      '/approve',
      '/change',
      '/cloud-deploy project:sandbox deployment:shop',
      '/cloud-list',
      '/edit web',
      '/edit web size=large',
      '/remove net',
      '/approve',
      '/destroy',
      '/approve',
      '/cloud-list',
    ]);
  });
  afterAll(() => t?.dispose());

  /** The transcript from the echo of `line` (the n-th time it was typed) to the next echoed line. */
  function answerTo(line: string, occurrence = 1): string {
    let at = -1;
    for (let seen = 0; seen < occurrence; seen++) at = transcript.indexOf(`> ${line}\n`, at + 1);
    expect(at, line).toBeGreaterThanOrEqual(0);
    const next = transcript.indexOf('\n> ', at + 1);
    return transcript.slice(at, next < 0 ? undefined : next);
  }

  it('/cloud-deploy deployment:shop names the deployment in the lobby', () => {
    expect(answerTo('/cloud-deploy project:sandbox deployment:shop')).toMatch(/── Session \w+ · deployment shop · project sandbox \(sandbox\) · owner ann/);
  });

  it('/types sandbox.vm shows the form with the network field and the session’s networks it may name', () => {
    expect(answerTo('/types sandbox.vm')).toContain('network=… — network (sandbox.network): one of net (sandbox.network)');
  });

  it('after APPLIED the lobby offers /change and /destroy; /change opens a change of shop with its resources', () => {
    expect(answerTo('/approve')).toContain('Next: /change · /destroy');
    const change = answerTo('/change');
    expect(change).toContain('· deployment shop ·');
    expect(change).toContain('State: 📝 Draft');
    expect(change).toContain('• net — sandbox.network');
    expect(change).toContain('• web — sandbox.vm (size=small, image=debian-12, bootSeconds=0, network=net)');
  });

  it('a second change while one is open is refused with the kernel’s message: the open session, its owner, since when', () => {
    const refused = answerTo('/cloud-deploy project:sandbox deployment:shop', 2);
    expect(refused).toContain('✖ Busy');
    expect(refused).toMatch(/Deployment shop already has an open change: session \w+ by ann, DRAFT since \d{4}-/);
  });

  it('/cloud-list lists the deployment with its open change', () => {
    expect(answerTo('/cloud-list')).toMatch(/shop · sandbox · ACTIVE · 2 resources · \$0\.00\/month · open change \w+ by ann \(DRAFT\)/);
  });

  it('/edit <name> alone shows the resource’s form with its current values', () => {
    const form = answerTo('/edit web');
    expect(form).toContain('web (sandbox.vm) — change it with /edit web key=value …');
    expect(form).toContain('size=… — Size: small | medium | large · now small');
    expect(form).toContain('network=… — network (sandbox.network): one of net (sandbox.network) · now net');
  });

  it('/edit web size=large plans an update in place', () => {
    const edited = answerTo('/edit web size=large');
    expect(edited).toContain('Changed web in');
    expect(edited).toContain('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(edited).toContain('~ terraform_data.web (update in place)');
  });

  it('/remove of the network the VM is in is refused, naming the VM', () => {
    expect(answerTo('/remove net')).toContain('Invalid name: "net" cannot be removed while web refers to it.');
  });

  it('/destroy plans the teardown of both resources as a lobby; /approve tears shop down', async () => {
    const teardown = answerTo('/destroy');
    expect(teardown).toContain('Plan: 0 to add, 0 to change, 2 to destroy.');
    expect(teardown).toContain('- terraform_data.net (destroy)');
    expect(teardown).toContain('- terraform_data.web (destroy)');
    expect(answerTo('/approve', 3)).toContain('State: 🎉 Applied');
    expect(answerTo('/cloud-list', 2)).toContain('shop · sandbox · DESTROYED · 0 resources');
    expect((await t.kernel.deployments.get('shop', undefined, 'sandbox')).state).toBe('DESTROYED');
  });
});
