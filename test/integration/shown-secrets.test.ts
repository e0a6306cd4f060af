import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataResource, Fn } from 'cdktf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCloudEngineError } from '../../src/kernel/errors.js';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { defineResourceType } from '../../src/kernel/plugin/resource-type.js';
import { chatCommands } from '../../src/chat/chat-commands.js';
import { buildLobby, renderLobbyText } from '../../src/chat/lobby.js';
import { SessionActions } from '../../src/chat/session-actions.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';

const RECOVERY_CODE = 'rc-7f3e9a1b5c2d8e4f';
const TAG_PASSWORD = 'hunter2-long';
const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const BEARER_TOKEN = 'sk-live-0123456789abcdefXYZ';

/**
 * A type with a secret field whose name no key rule knows (`recovery_code`),
 * and a schema that "(secret)" would not pass, so validation must see the
 * real value.
 */
const vaultPlugin = definePlugin({
  id: 'test.vault',
  register(ctx) {
    ctx.addResourceType(
      defineResourceType({
        type: 'sandbox.vault_client',
        provider: 'sandbox',
        description: 'A pretend client holding a recovery code.',
        quotaKey: 'test',
        schema: z.strictObject({ recovery_code: z.string().min(16).describe('Recovery code'), region: z.string().default('local') }),
        secretFields: ['recovery_code'],
        synthesize(scope, { name, config }) {
          new DataResource(scope, name, { input: { code: Fn.sensitive(config.recovery_code), region: config.region } });
        },
      }),
    );
  },
});

let t: TestKernel;
let sessionId = '';

beforeAll(async () => {
  // A custom pattern that matches a project id: lists must go through the redactor too.
  t = await startTestKernel({ extraPlugins: [vaultPlugin], secretPatterns: ['classified-[0-9]+'] });
  await createProject(t.kernel, { id: 'vault', provider: 'sandbox' });
  await createProject(t.kernel, { id: 'classified-42', provider: 'sandbox' });
  const { orchestrator } = t.kernel;
  sessionId = (await orchestrator.startSession('alice', 'vault')).id;
});
afterAll(() => t?.dispose());

describe('a secret field of a resource type', () => {
  it('is "(secret)" in the view addResource returns, even to its author', async () => {
    const view = await t.kernel.orchestrator.addResource(sessionId, 'alice', { type: 'sandbox.vault_client', name: 'client', config: { recovery_code: RECOVERY_CODE } });
    expect(view.resources[0]!.config).toEqual({ recovery_code: '(secret)', region: 'local' });
  });

  it('is "(secret)" in getSession and listSessions', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.getSession(sessionId, 'alice');
    expect(session.resources[0]!.config).toEqual({ recovery_code: '(secret)', region: 'local' });
    const listed = await orchestrator.listSessions({ projectId: 'vault' }, ADMIN);
    expect(JSON.stringify(listed)).not.toContain(RECOVERY_CODE);
    expect(listed[0]!.resources[0]!.config.recovery_code).toBe('(secret)');
  });

  it('reaches validation and the synthesized Terraform JSON with its real value', async () => {
    const { orchestrator } = t.kernel;
    // The schema asks for 16 characters: "(secret)" would fail it.
    expect(await orchestrator.validateSession(sessionId, 'alice')).toEqual({ ok: true, violations: [] });
    const { config } = await orchestrator.synthesize(sessionId, 'alice');
    expect(JSON.stringify(config)).toContain(RECOVERY_CODE);
  });

  it('is planned with its real value, and the lobby shows "(secret)"', async () => {
    const { orchestrator } = t.kernel;
    const plan = await orchestrator.runPlan(sessionId, 'alice');
    expect(plan.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(readFileSync(join(plan.workingDir, 'main.tf.json'), 'utf8')).toContain(RECOVERY_CODE);
    const lobby = await new SessionActions(chatApiOf(t.kernel)).lobby(sessionId, 'alice');
    expect(lobby.resources).toEqual([{ name: 'client', type: 'sandbox.vault_client', detail: 'recovery_code=(secret), region=local' }]);
    expect(JSON.stringify(lobby)).not.toContain(RECOVERY_CODE);
  });
});

describe('the lobby shows everything through the redactor', () => {
  it('hides secret shapes and values under secret key names in resource details', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'vault');
    await orchestrator.addResource(session.id, 'alice', {
      type: 'sandbox.vm',
      name: 'web',
      config: { bootSeconds: 1, tags: { password: TAG_PASSWORD, key: ACCESS_KEY, auth: `Bearer ${BEARER_TOKEN}`, team: 'web' } },
    });
    const lobby = await new SessionActions(chatApiOf(t.kernel)).lobby(session.id, 'alice');
    const text = [...renderLobbyText(lobby), JSON.stringify(lobby)].join('\n');
    for (const secret of [TAG_PASSWORD, ACCESS_KEY, BEARER_TOKEN]) expect(text).not.toContain(secret);
    expect(lobby.resources[0]!.detail).toContain('"team":"web"');
    expect(lobby.resources[0]!.detail).toContain('"password":"(redacted)"');
  });

  it('hides them in problems, outputs and plan lines, whatever the view it is given holds', async () => {
    const view = await t.kernel.orchestrator.getSession(sessionId, 'alice');
    const lobby = await buildLobby(chatApiOf(t.kernel), {
      ...view,
      state: 'FAILED',
      error: `terraform apply failed: provider said key ${ACCESS_KEY} is invalid\nAuthorization: Bearer ${BEARER_TOKEN}`,
      outputs: { client: { url: 'https://example.test', db_password: TAG_PASSWORD, note: `key ${ACCESS_KEY}` } },
      plan: view.plan && { ...view.plan, summary: `${view.plan.summary} ${ACCESS_KEY}`, changes: [{ address: `terraform_data.${ACCESS_KEY}`, type: 'terraform_data', actions: ['create'] }] },
    });
    const text = [...renderLobbyText(lobby), JSON.stringify(lobby)].join('\n');
    for (const secret of [TAG_PASSWORD, ACCESS_KEY, BEARER_TOKEN]) expect(text).not.toContain(secret);
    expect(lobby.problems).toEqual(['terraform apply failed: provider said key (redacted) is invalid', 'Authorization: Bearer (redacted)']);
    expect(lobby.outputs).toEqual({ client: { url: 'https://example.test', db_password: '(redacted)', note: 'key (redacted)' } });
    expect(lobby.plan?.changes).toEqual(['+ terraform_data.(redacted)']);
  });
});

describe('chat command replies go through the redactor', () => {
  it('a list hides what the patterns match', async () => {
    const projects = chatCommands(chatApiOf(t.kernel)).find((command) => command.name === 'cloud-projects')!;
    const reply = await projects.run(ADMIN, {});
    expect(reply.kind).toBe('message');
    const lines = reply.kind === 'message' ? reply.message.lines : [];
    expect(lines.join('\n')).not.toContain('classified-42');
    expect(lines).toContain('(redacted) — sandbox — your access: admin');
  });

  it('an error message hides a secret it quotes from the input', async () => {
    const create = chatCommands(chatApiOf(t.kernel)).find((command) => command.name === 'cloud-create-project')!;
    const error = await create.run(ADMIN, { project_id: 'p2', provider: 'sandbox', settings: ACCESS_KEY }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(isCloudEngineError(error, 'INVALID_INPUT')).toBe(true);
    expect((error as Error).message).toContain('not valid JSON');
    expect(JSON.stringify({ message: (error as Error).message, value: (error as { value?: unknown }).value })).not.toContain(ACCESS_KEY);
  });
});

describe('declaring secret fields', () => {
  it('a secret field its schema does not have (a typo that would show the value) stops the kernel, naming plugin, type and field', async () => {
    const typo = definePlugin({
      id: 'test.typo',
      register(ctx) {
        ctx.addResourceType(
          defineResourceType({
            type: 'sandbox.typo',
            provider: 'sandbox',
            description: 'A secret field misspelled.',
            quotaKey: 'test',
            schema: z.strictObject({ recovery_code: z.string() }),
            secretFields: ['recovery_cod'],
            synthesize() {},
          }),
        );
      },
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'ce-secret-fields-'));
    const error = await startTestKernel({ dataDir, extraPlugins: [typo] }).then(
      async (started) => {
        await started.dispose();
        return undefined;
      },
      (failure: unknown) => failure,
    );
    rmSync(dataDir, { recursive: true, force: true });
    expect(isCloudEngineError(error, 'PLUGIN_FAILED')).toBe(true);
    for (const part of ['"test.typo"', '"sandbox.typo"', '"recovery_cod"', 'recovery_code']) expect((error as Error).message).toContain(part);
  });
});

/** A type whose secret field its author forgot to wrap in Fn.sensitive: only `secretFields` says it is one. */
const forgetfulPlugin = definePlugin({
  id: 'test.forgetful',
  register(ctx) {
    ctx.addResourceType(
      defineResourceType({
        type: 'sandbox.forgetful_client',
        provider: 'sandbox',
        description: 'Echoes its pin while booting.',
        quotaKey: 'test',
        schema: z.strictObject({ pin: z.string().regex(/^pin-[a-z0-9]{12,}$/, 'pin must look like pin-xxxxxxxxxxxx') }),
        secretFields: ['pin'],
        synthesize(scope, { name, config }) {
          new DataResource(scope, name, { input: { pin: config.pin }, provisioners: [{ type: 'local-exec', command: 'echo "using $PIN"', environment: { PIN: config.pin } }] });
        },
      }),
    );
  },
});

describe('a secret field without Fn.sensitive', () => {
  const PIN = 'pin-a1b2c3d4e5f6g7';
  let own: TestKernel;
  beforeAll(async () => {
    own = await startTestKernel({ extraPlugins: [forgetfulPlugin] });
    await createProject(own.kernel, { id: 'pins', provider: 'sandbox' });
  });
  afterAll(() => own?.dispose());

  it('is hidden in the stored plan, the apply output and the output stored, in another process too', async () => {
    const session = await own.kernel.orchestrator.startSession('alice', 'pins');
    await own.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.forgetful_client', name: 'c', config: { pin: PIN } });
    const plan = await own.kernel.orchestrator.runPlan(session.id, 'alice');
    expect(JSON.stringify(plan.planJson)).not.toContain(PIN);
    expect(JSON.stringify(await own.kernel.orchestrator.getPlanJson(session.id))).not.toContain(PIN);
    const other = await startTestKernel({ dataDir: own.dataDir, extraPlugins: [forgetfulPlugin] });
    try {
      const lines: string[] = [];
      expect((await other.kernel.orchestrator.approveAndApply(session.id, 'bob', { onOutput: (line) => lines.push(line) })).state).toBe('APPLIED');
      expect(lines.some((line) => line.includes('using'))).toBe(true);
      expect(lines.join('\n')).not.toContain(PIN);
      expect((await other.kernel.orchestrator.getOutput(session.id)).map((line) => line.line).join('\n')).not.toContain(PIN);
    } finally {
      await other.dispose();
    }
  });

  it('is kept when an edit leaves it out (nobody can retype what is never shown), and replaced when given', async () => {
    const session = await own.kernel.orchestrator.startSession('alice', 'pins');
    await own.kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.forgetful_client', name: 'c', config: { pin: PIN } });
    await own.kernel.orchestrator.updateResource(session.id, 'alice', { name: 'c', config: {} });
    const kept = await own.kernel.orchestrator.synthesize(session.id, 'alice');
    expect(JSON.stringify(kept.config)).toContain(PIN);
    await own.kernel.orchestrator.updateResource(session.id, 'alice', { name: 'c', config: { pin: 'pin-zzzzzzzzzzzzzz' } });
    const replaced = await own.kernel.orchestrator.synthesize(session.id, 'alice');
    expect(JSON.stringify(replaced.config)).toContain('pin-zzzzzzzzzzzzzz');
    expect(JSON.stringify(replaced.config)).not.toContain(PIN);
  });

  it('is not repeated back in the error when it is invalid', async () => {
    const session = await own.kernel.orchestrator.startSession('alice', 'pins');
    const wrong = 'not-a-pin-but-a-password-9';
    const error = await own.kernel.orchestrator
      .addResource(session.id, 'alice', { type: 'sandbox.forgetful_client', name: 'c', config: { pin: wrong } })
      .catch((caught: { code: string; field: string; message: string; value?: unknown }) => caught);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'config.pin' });
    expect(JSON.stringify(error) + (error as { message: string }).message).not.toContain(wrong);
    expect((error as { message: string }).message).toContain('pin must look like pin-xxxxxxxxxxxx');
  });
});
