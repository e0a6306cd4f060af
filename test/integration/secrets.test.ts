import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretPlugin } from '../support/secret-plugin.js';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

const ACCESS_KEY = 'AKIAZZZZEXAMPLE12345';
const BEARER = 'Bearer sk-live-0123456789abcdefXYZ';
const PASSWORD = 'correct-horse-battery-staple-42';
const ENV_SECRET = 'env-only-credential-9f8e7d6c5b4a';

/** Every file under a directory whose bytes contain `needle` (databases and plan files included). */
function filesContaining(dir: string, needle: string, skip: (path: string) => boolean): string[] {
  const hits: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (skip(path)) continue;
    const stat = statSync(path);
    if (stat.isDirectory()) hits.push(...filesContaining(path, needle, skip));
    else if (stat.isFile() && readFileSync(path).includes(needle)) hits.push(path);
  }
  return hits;
}

describe('secrets never reach chat output, events or persisted output', () => {
  let t: TestKernel;
  const chat: string[] = [];
  const events: string[] = [];
  let sessionId = '';
  const saved = process.env.MY_SERVICE_TOKEN;
  beforeAll(async () => {
    // A credential in the environment: the redactor must hide any copy of it.
    process.env.MY_SERVICE_TOKEN = ENV_SECRET;
    t = await startTestKernel({ extraPlugins: [secretPlugin], env: process.env });
    t.kernel.events.on('output.line', (event) => events.push(event.line));
    await createProject(t.kernel, { id: 'sec', provider: 'sandbox' });
    const session = await t.kernel.orchestrator.startSession('alice', 'sec');
    sessionId = session.id;
    await t.kernel.orchestrator.addResource(sessionId, 'alice', {
      type: 'sandbox.vm',
      name: 'web',
      config: { bootSeconds: 1, tags: { key: ACCESS_KEY, auth: BEARER } },
    });
    await t.kernel.orchestrator.addResource(sessionId, 'alice', { type: 'sandbox.database', name: 'db', config: { password: PASSWORD, note: `token ${ACCESS_KEY}` } });
    await t.kernel.orchestrator.runPlan(sessionId, 'alice', { onOutput: (line) => chat.push(line) });
    const final = await t.kernel.orchestrator.approveAndApply(sessionId, 'alice', { onOutput: (line) => chat.push(line) });
    expect(final.state).toBe('APPLIED');
  });
  afterAll(async () => {
    await t?.dispose();
    if (saved === undefined) delete process.env.MY_SERVICE_TOKEN;
    else process.env.MY_SERVICE_TOKEN = saved;
  });

  it('streams output to chat and listeners with no secret in it', () => {
    const all = [...chat, ...events].join('\n');
    expect(chat.length).toBeGreaterThan(3);
    for (const secret of [ACCESS_KEY, 'sk-live-0123456789abcdefXYZ', PASSWORD, ENV_SECRET]) expect(all).not.toContain(secret);
  });

  it('persists the output as it streamed, redacted, readable through getOutput', async () => {
    const lines = await t.kernel.orchestrator.getOutput(sessionId);
    expect(lines.map((line) => line.line)).toEqual([...chat]);
    expect(lines.map((line) => line.seq)).toEqual(lines.map((_, index) => index + 1));
    expect(new Set(lines.map((line) => line.operation))).toEqual(new Set(['plan', 'apply']));
  });

  it('stores and returns the plan JSON with sensitive values and secret shapes replaced', async () => {
    const json = JSON.stringify(await t.kernel.orchestrator.getPlanJson(sessionId, 'alice'));
    expect(json).toContain('resource_changes');
    for (const secret of [ACCESS_KEY, PASSWORD, ENV_SECRET]) expect(json).not.toContain(secret);
    expect(json).toContain('(redacted)');
  });

  it('leaves no copy of the secrets in the database or our files (only the resource config and terraform\'s own files hold them)', () => {
    // main.tf.json holds the resources' config and terraform.tfstate/.tfplan hold what terraform applied, by necessity.
    const terraformsOwn = (path: string) => /main\.tf\.json$|terraform\.tfstate(\.backup)?$|\.tfplan$|[/\\]\.terraform$/.test(path);
    // The resources table holds each resource's config as the user typed it, so the database is checked for the values that are not config.
    // A credential from the environment is in no file at all, terraform's included.
    expect(filesContaining(t.dataDir, ENV_SECRET, () => false)).toEqual([]);
    expect(filesContaining(t.dataDir, 'sk-live', (path) => terraformsOwn(path) || /\.sqlite(-wal|-shm)?$/.test(path))).toEqual([]);
  });
});

describe('values under secret key names are hidden in the stored plan, the plan.ready event and what runPlan returns', () => {
  const PASSWORD_TAG = 'hunter2-long';
  const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const PIN = '97531-custom';
  let t: TestKernel;
  beforeAll(async () => {
    // `pin_code` is no built-in name: the kernel option adds it.
    t = await startTestKernel({ redactKeys: ['pin_code'] });
    await createProject(t.kernel, { id: 'keys', provider: 'sandbox' });
  });
  afterAll(() => t?.dispose());

  it('a real sandbox plan whose tags hold a password, an AWS secret key and a configured key name', async () => {
    const { orchestrator } = t.kernel;
    const ready: string[] = [];
    t.kernel.events.on('plan.ready', (event) => ready.push(JSON.stringify(event.plan)));
    const session = await orchestrator.startSession('alice', 'keys');
    await orchestrator.addResource(session.id, 'alice', {
      type: 'sandbox.vm',
      name: 'web',
      config: { bootSeconds: 1, tags: { password: PASSWORD_TAG, aws_secret_access_key: AWS_SECRET, pin_code: PIN, team: 'web' } },
    });
    const returned = JSON.stringify(await orchestrator.runPlan(session.id, 'alice'));
    const stored = await orchestrator.getPlanJson(session.id, 'alice');
    expect(ready).toHaveLength(1);
    for (const [where, text] of [['stored', JSON.stringify(stored)], ['plan.ready', ready[0]!], ['runPlan', returned]] as const) {
      for (const secret of [PASSWORD_TAG, AWS_SECRET, PIN]) expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false });
      // The rest of the tags are still there to read.
      expect(text).toContain('"team":"web"');
    }
    const change = stored!.resource_changes!.find((item) => item.address === 'terraform_data.web')!;
    expect((change.change.after as { input: { tags: Record<string, string> } }).input.tags).toEqual({ password: '(redacted)', aws_secret_access_key: '(redacted)', pin_code: '(redacted)', team: 'web' });
  });
});
