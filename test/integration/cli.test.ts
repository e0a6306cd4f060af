import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createKernel } from '../../src/engine.js';
import { CLI_BIN as BIN, cliEnv, runCli } from '../support/cli-runner.js';

const root = mkdtempSync(join(tmpdir(), 'cloud-engine-cli-'));

const SPEC = `# a sandbox VM and bucket
project: sandbox
provider: sandbox
resources:
  - type: sandbox.vm
    name: web
    config: { size: small, bootSeconds: 1 }
  - type: sandbox.bucket
    name: assets
`;

/** A fresh data dir holding spec.yaml; the first user to run a command there administers its sandbox project. */
function freshDir(): string {
  const dir = mkdtempSync(join(root, 'data-'));
  writeFileSync(join(dir, 'spec.yaml'), SPEC);
  return dir;
}

const cli = (dir: string, user: string, args: string[], extraEnv: Record<string, string> = {}, options: { stdin?: string | number; timeout?: number } = {}) =>
  runCli(dir, user, args, extraEnv, { timeout: 60_000, ...options });

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!existsSync(BIN))('the cloud-engine command for scripts and CI (built bin, real terraform)', () => {
  it('deploy --approve --json applies a sandbox spec: exit 0, only JSON on stdout, terraform on stderr', () => {
    const dir = freshDir();
    const run = cli(dir, 'alice', ['deploy', 'spec.yaml', '--approve', '--json']);
    expect(run.status).toBe(0);
    const result = run.json();
    expect(result).toMatchObject({
      sessionId: expect.stringMatching(/^\w+$/),
      state: 'APPLIED',
      plan: { summary: 'Plan: 2 to add, 0 to change, 0 to destroy.', toAdd: 2, toChange: 0, toDestroy: 0, cost: { monthly: 0, text: '$0.00/hour | $0.00/month' } },
      error: null,
    });
    expect(result.plan.changes.map((change: { address: string }) => change.address).sort()).toEqual(['terraform_data.assets', 'terraform_data.web']);
    expect(result.outputs.web.ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(result.outputs.assets.url).toBe('sandbox://assets');
    expect(result.plan).not.toHaveProperty('planJson');
    const stderr = run.stderr.split('\n');
    expect(stderr).toContain('terraform_data.web: (local-exec): booting web: 1/1s');
    expect(stderr).toContain('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.');
    // Quiet by default: no pino lines at info level.
    expect(run.stderr).not.toMatch(/"level":30/);
  });

  it('plan leaves the session PLAN_READY; approve applies it, and approving again is a user error', () => {
    const dir = freshDir();
    const plan = cli(dir, 'alice', ['plan', 'spec.yaml']);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(plan.stdout).toContain('Cost: $0.00/hour | $0.00/month');
    expect(plan.stdout).toContain('  + terraform_data.web (create)');
    const sessionId = /cloud-engine approve (\w+)/.exec(plan.stdout)?.[1];
    expect(sessionId).toBeDefined();

    const ready = cli(dir, 'alice', ['sessions', '--state', 'plan_ready', '--json']);
    expect(ready.json().sessions.map((session: { id: string }) => session.id)).toEqual([sessionId]);

    const approve = cli(dir, 'alice', ['approve', sessionId!, '--json']);
    expect(approve.status).toBe(0);
    expect(approve.json()).toMatchObject({ sessionId, state: 'APPLIED', outputs: { web: { ip: expect.any(String) } } });
    expect(approve.stderr).toContain('Apply complete!');

    const again = cli(dir, 'alice', ['approve', sessionId!]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/^INVALID_STATE: Session \w+ is APPLIED/);
    expect(again.stderr).not.toMatch(/\n\s+at /);
  });

  it('plan prints its plan id; approve --plan with a wrong or an old plan id is refused as stale (exit 2), nothing applied; the current id applies', async () => {
    const dir = freshDir();
    const plan = cli(dir, 'alice', ['plan', 'spec.yaml', '--json']);
    expect(plan.status).toBe(0);
    const { sessionId, plan: first } = plan.json();
    expect(first.id).toMatch(/^\w+$/);
    expect(plan.stderr).toContain(`Apply this plan with: cloud-engine approve ${sessionId} --plan ${first.id}`);

    const wrong = cli(dir, 'alice', ['approve', sessionId, '--plan', 'notthisplan', '--json']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^PLAN_STALE: The plan you approved \(notthisplan\) is no longer the plan of session \w+/m);
    expect(wrong.json().error).toMatchObject({ code: 'PLAN_STALE', sessionId });

    // Someone plans the session again (another process, as Discord would) after alice reviewed the first plan.
    const kernel = await createKernel({ env: cliEnv(dir, 'alice'), logLevel: 'warn' });
    const second = await kernel.orchestrator.runPlan(sessionId, 'alice').finally(() => kernel.close());
    expect(second.id).not.toBe(first.id);

    const stale = cli(dir, 'alice', ['approve', sessionId, '--plan', first.id]);
    expect(stale.status).toBe(2);
    expect(stale.stderr).toMatch(new RegExp(`^PLAN_STALE: The plan you approved \\(${first.id}\\) is no longer the plan of session ${sessionId}: its plan is now ${second.id}`));
    expect(stale.stderr).toContain('Nothing was applied');
    expect(stale.stderr).not.toContain('Apply complete!');
    expect(cli(dir, 'alice', ['sessions', '--json']).json().sessions[0]).toMatchObject({ id: sessionId, state: 'PLAN_READY', plan: { id: second.id } });

    const text = cli(dir, 'alice', ['approve', sessionId, '--plan', second.id]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain(`Session ${sessionId} in project sandbox, plan ${second.id}: Plan: 2 to add, 0 to change, 0 to destroy.`);
    expect(text.stdout).toContain(`Session ${sessionId} APPLIED`);
  });

  it('deploy without --approve names its plan id for a later approve --plan', () => {
    const dir = freshDir();
    const run = cli(dir, 'alice', ['deploy', 'spec.yaml']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Session (\w+) PLAN_READY with plan (\w+)\n/);
    const [, sessionId, planId] = /Session (\w+) PLAN_READY with plan (\w+)/.exec(run.stdout)!;
    expect(run.stdout).toContain(`approve this plan with: cloud-engine approve ${sessionId} --plan ${planId}`);
  });

  it('an invalid spec exits 2 naming the file and the field, before or after the kernel sees it', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'typo.yaml'), 'project: sandbox\nresources:\n  - type: sandbox.vm\n    nme: web\n');
    const typo = cli(dir, 'alice', ['plan', 'typo.yaml', '--json']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toContain('INVALID_INPUT: typo.yaml: invalid resources.0.name: missing');
    expect(typo.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'resources.0.name' });

    writeFileSync(join(dir, 'size.json'), JSON.stringify({ project: 'sandbox', resources: [{ type: 'sandbox.bucket', name: 'b' }, { type: 'sandbox.vm', name: 'web', config: { size: 'huge' } }] }));
    const size = cli(dir, 'alice', ['deploy', 'size.json', '--approve', '--json']);
    expect(size.status).toBe(2);
    expect(size.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'resources.1.config.size', message: expect.stringContaining('size.json: resources.1 (web)') });
    expect(size.stderr).not.toMatch(/\n\s+at /);
    // The half-built session does not linger as a DRAFT.
    expect(cli(dir, 'alice', ['sessions', '--state', 'DRAFT', '--json']).json().sessions).toEqual([]);

    const usage = cli(dir, 'alice', ['plan']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'spec'");
  });

  it('a spec on stdin larger than 1 MiB is refused with exit 2, naming the field spec and the limit', () => {
    const dir = freshDir();
    const run = cli(dir, 'alice', ['plan', '-', '--json'], {}, { stdin: `${SPEC}#${'x'.repeat(2 * 1024 * 1024)}\n` });
    expect(run.status).toBe(2);
    expect(run.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'spec', message: expect.stringContaining('stdin holds more than 1048576 bytes (1 MiB)') });
    expect(cli(dir, 'alice', ['sessions', '--json']).json().sessions).toEqual([]);
  });

  it('plan - reading an endless stdin, and plan /dev/zero, stop at the limit and exit 2 promptly', () => {
    const dir = freshDir();
    const zero = openSync('/dev/zero', 'r');
    try {
      const started = Date.now();
      const stdin = cli(dir, 'alice', ['plan', '-'], {}, { stdin: zero, timeout: 20_000 });
      expect(stdin.status, 'plan - < /dev/zero must end by itself').toBe(2);
      expect(stdin.stderr).toMatch(/^INVALID_INPUT: Invalid spec: stdin holds more than 1048576 bytes/);
      const path = cli(dir, 'alice', ['plan', '/dev/zero'], {}, { timeout: 20_000 });
      expect(path.status, 'plan /dev/zero must end by itself').toBe(2);
      expect(path.stderr).toMatch(/^INVALID_INPUT: Invalid spec: \/dev\/zero holds more than 1048576 bytes/);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      closeSync(zero);
    }
  });

  it('deploy --approve whose stdout closes after one line (| head -n 1) still applies, exits 0 and the session ends APPLIED', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'slow.yaml'), 'project: sandbox\nresources: [{ type: sandbox.vm, name: web, config: { bootSeconds: 3 } }]\n');
    const child = spawn(process.execPath, [BIN, 'deploy', 'slow.yaml', '--approve'], { cwd: dir, env: cliEnv(dir, 'alice'), stdio: ['ignore', 'pipe', 'pipe'] });
    let firstLine = '';
    let stderr = '';
    // Like `head -n 1`: read one line, then close the read end, so every later write fails with EPIPE.
    child.stdout.on('data', (chunk: Buffer) => {
      if (firstLine) return;
      firstLine = chunk.toString('utf8').split('\n')[0]!;
      child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    expect(firstLine).toMatch(/^Session \w+ started by alice/);
    expect(stderr).not.toMatch(/EPIPE.*\n\s+at /);
    expect(stderr).toContain('Apply complete! Resources: 1 added, 0 changed, 0 destroyed.');
    expect(status).toBe(0);
    const sessions = cli(dir, 'alice', ['sessions', '--json']).json().sessions;
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ state: 'APPLIED', error: null, outputs: { web: { ip: expect.any(String) } } });
  }, 90_000);

  it('a user without a grant is refused with PERMISSION_DENIED and exit 2', () => {
    const dir = freshDir();
    expect(cli(dir, 'alice', ['projects']).status).toBe(0); // alice administers the sandbox project
    const denied = cli(dir, 'mallory', ['deploy', 'spec.yaml', '--approve', '--json']);
    expect(denied.status).toBe(2);
    expect(denied.stderr).toMatch(/^PERMISSION_DENIED: .*mallory/m);
    expect(denied.json().error.code).toBe('PERMISSION_DENIED');
    const grant = cli(dir, 'mallory', ['grant', 'mallory', 'sandbox', 'admin']);
    expect(grant.status).toBe(2);
    expect(grant.stderr).toMatch(/^PERMISSION_DENIED: /);
  });

  it('grant --for 2h shows the project to the grantee until it expires; revoke takes it away', () => {
    const dir = freshDir();
    expect(cli(dir, 'alice', ['projects']).status).toBe(0);
    expect(cli(dir, 'bob', ['projects', '--json']).json()).toEqual({ user: 'bob', globalAdmin: false, projects: [] });

    const before = Date.now();
    const grant = cli(dir, 'alice', ['grant', 'bob', 'sandbox', 'deploy', '--for', '2h', '--json']);
    expect(grant.status).toBe(0);
    expect(grant.json().grant).toMatchObject({ projectId: 'sandbox', userId: 'bob', level: 'deploy', grantedBy: 'alice' });

    const projects = cli(dir, 'bob', ['projects', '--json']).json();
    expect(projects.projects).toEqual([{ id: 'sandbox', provider: 'sandbox', level: 'deploy', expiresAt: expect.any(String) }]);
    const expiresIn = Date.parse(projects.projects[0].expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(2 * 3_600_000 - 60_000);
    expect(expiresIn).toBeLessThanOrEqual(2 * 3_600_000 + 60_000);

    expect(cli(dir, 'alice', ['grant', 'bob', 'sandbox', 'deploy', '--for', 'soon']).stderr).toContain('INVALID_INPUT: Invalid --for');
    expect(cli(dir, 'alice', ['revoke', 'bob', 'sandbox']).status).toBe(0);
    expect(cli(dir, 'bob', ['projects', '--json']).json().projects).toEqual([]);
  });

  it('quota set, then quota --json shows the limit; a deploy over it exits 2 with QUOTA_EXCEEDED', () => {
    const dir = freshDir();
    expect(cli(dir, 'alice', ['quota', 'set', 'sandbox', 'compute_vm', '0']).status).toBe(0);
    const quota = cli(dir, 'alice', ['quota', 'sandbox', '--json']);
    expect(quota.status).toBe(0);
    expect(quota.json()).toEqual({ projectId: 'sandbox', quotas: [{ quotaKey: 'compute_vm', used: 0, reserved: 0, limit: 0, percent: 0 }] });
    expect(cli(dir, 'alice', ['quota', 'sandbox']).stdout).toContain('compute_vm  [░░░░░░░░░░] 0/0 (0%)');

    const over = cli(dir, 'alice', ['deploy', 'spec.yaml', '--approve', '--json']);
    expect(over.status).toBe(2);
    expect(over.json().error).toMatchObject({ code: 'QUOTA_EXCEEDED', sessionId: expect.any(String) });

    expect(cli(dir, 'mallory', ['quota', 'sandbox']).status).toBe(2);
    expect(cli(dir, 'alice', ['quota', 'set', 'sandbox', 'compute_vm', 'lots']).status).toBe(2);
  });

  it('an apply that ends FAILED exits 1 and says why', () => {
    const dir = freshDir();
    // A plugin whose resource's provisioner fails, loaded the way users load plugins.
    const resolve = (name: string) => JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve(name)).href);
    writeFileSync(
      join(dir, 'failing.mjs'),
      `import { DataResource } from ${resolve('cdktf')};
import { z } from ${resolve('zod')};
export default { id: 'test.failing', register(ctx) { ctx.addResourceType({
  type: 'sandbox.failing', provider: 'sandbox', description: 'fails on apply', quotaKey: 'test',
  schema: z.strictObject({}),
  synthesize(scope, { name }) { new DataResource(scope, name, { input: { name }, provisioners: [{ type: 'local-exec', command: "echo 'disk full on volume 7' >&2; exit 3" }] }); },
}); } };
`,
    );
    writeFileSync(join(dir, 'failing.yaml'), 'project: sandbox\nresources: [{ type: sandbox.failing, name: broken }]\n');
    const run = cli(dir, 'alice', ['deploy', 'failing.yaml', '--approve', '--json'], { CLOUD_ENGINE_PLUGINS: './failing.mjs' });
    expect(run.status).toBe(1);
    expect(run.json()).toMatchObject({ state: 'FAILED', error: expect.stringContaining('disk full on volume 7') });
    expect(run.stderr).toMatch(/Session \w+ FAILED/);
  });
});
