import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS } from '../../src/kernel/terraform/terraform-events.js';
import { SessionActions } from '../../src/chat/session-actions.js';
import { rejection } from '../support/rejection.js';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';

const REAL_TERRAFORM = process.env.CLOUD_ENGINE_TERRAFORM_BIN || 'terraform';
/** A credential from the environment, printed where the cut falls: it must be redacted before the line is cut. */
const TOKEN = 'tok-abcdefghijklmnop-1234567890';
const BEFORE_TOKEN = 8140;
const AFTER_TOKEN = 5_000_000;

/**
 * A stand-in terraform whose plan prints one enormous line, on stderr
 * (`fault_huge_stderr`) or as a `-json` diagnostic on stdout
 * (`fault_huge_diagnostic`), then fails; everything else is real terraform.
 */
const FAKE_TERRAFORM = `#!/bin/sh
x() { head -c "$1" /dev/zero | tr '\\000' x; }
if [ "$1" = plan ] && grep -q '"fault_huge_stderr"' main.tf.json 2>/dev/null; then
  { x ${BEFORE_TOKEN}; printf '%s' '${TOKEN}'; x ${AFTER_TOKEN}; echo; } >&2
  exit 1
fi
if [ "$1" = plan ] && grep -q '"fault_huge_diagnostic"' main.tf.json 2>/dev/null; then
  printf '{"@level":"error","@message":"Error: boom","type":"diagnostic","diagnostic":{"severity":"error","summary":"boom","detail":"'
  x ${AFTER_TOKEN}
  printf '"}}\\n'
  exit 1
fi
exec ${JSON.stringify(REAL_TERRAFORM)} "$@"
`;

describe('terraform output lines are cut to a sensible length', () => {
  let scratch: string;
  let t: TestKernel;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ce-output-limits-'));
    const bin = join(scratch, 'terraform');
    writeFileSync(bin, FAKE_TERRAFORM, { mode: 0o755 });
    t = await startTestKernel({ terraformBin: bin, env: { MY_API_TOKEN: TOKEN } });
    await createProject(t.kernel, { id: 'huge', provider: 'sandbox' });
  });
  afterAll(async () => {
    await t?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Plans a session holding one bucket named `name`, which fails; returns what chat, listeners and the database got. */
  async function failedPlan(name: string) {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'huge');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name });
    const chat: string[] = [];
    const events: string[] = [];
    const off = t.kernel.events.on('output.line', (event) => {
      if (event.sessionId === session.id) events.push(event.line);
    });
    await rejection(orchestrator.runPlan(session.id, 'alice', { onOutput: (line) => chat.push(line) }));
    off?.();
    const stored = (await orchestrator.getOutput(session.id)).map((line) => line.line);
    return { sessionId: session.id, chat, events, stored };
  }

  it('a 5 MB stderr line is stored, streamed and shown cut, saying so, the same text everywhere, its secret redacted first', async () => {
    const { sessionId, chat, events, stored } = await failedPlan('fault_huge_stderr');
    expect(stored).toEqual(chat);
    expect(events).toEqual(chat);
    for (const line of stored) expect(line.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    const huge = stored.find((line) => line.startsWith('xxxx'));
    // The count is of the line as redacted: the token became "(redacted)".
    const all = BEFORE_TOKEN + '(redacted)'.length + AFTER_TOKEN;
    expect(huge).toBe(`${'x'.repeat(BEFORE_TOKEN)}(redacted)${'x'.repeat(MAX_LINE_CHARS - BEFORE_TOKEN - 10 - `… (cut: ${all.toLocaleString('en-US')} characters in all)`.length)}… (cut: 5,008,150 characters in all)`);
    expect(stored.join('\n')).not.toContain(TOKEN.slice(0, 8));
    const lobby = await new SessionActions(chatApiOf(t.kernel)).lobby(sessionId, 'alice');
    expect(lobby.state).toBe('PLAN_FAILED');
    for (const problem of lobby.problems) expect(problem.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
  });

  it('a diagnostic with a 5 MB detail is stored cut, and the lobby shows its problem lines cut', async () => {
    const { sessionId, chat, stored } = await failedPlan('fault_huge_diagnostic');
    expect(stored).toEqual(chat);
    const error = stored.find((line) => line.startsWith('Error: boom: yyy') || line.startsWith('Error: boom: xxx'));
    expect(error).toMatch(/… \(cut: 5,000,013 characters in all\)$/);
    expect(error!.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    const lobby = await new SessionActions(chatApiOf(t.kernel)).lobby(sessionId, 'alice');
    expect(lobby.problems.length).toBeGreaterThan(0);
    for (const problem of lobby.problems) expect(problem.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    expect(lobby.problems.join('\n')).toMatch(/characters in all\)/);
  });
});
