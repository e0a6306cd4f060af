import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-runner.js';

const root = mkdtempSync(join(tmpdir(), 'cloud-engine-cli-drift-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// The sandbox never drifts, so this is the command's shape: exit codes, --json, --dismiss and
// --reconcile; drift found for real is tested on moto (drift-moto.test.ts).
describe('cloud-engine drift', () => {
  it('says NONE (exit 0, --json the record), refuses --dismiss with nothing to dismiss (exit 2), and --reconcile plans a change to approve', () => {
    const dir = mkdtempSync(join(root, 'data-'));
    writeFileSync(join(dir, 'web.yaml'), 'project: sandbox\ndeployment: web\nresources:\n  - type: sandbox.bucket\n    name: assets\n');
    expect(runCli(dir, 'alice', ['deploy', 'web.yaml', '--approve']).status).toBe(0);

    const check = runCli(dir, 'alice', ['drift', 'web']);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toContain('No drift: the cloud matches what deployment web (sandbox) declares');

    const json = runCli(dir, 'alice', ['drift', 'web', '--json']);
    expect(json.status).toBe(0);
    expect(json.json()).toMatchObject({ deployment: { name: 'web', projectId: 'sandbox' }, drift: { status: 'NONE', checkedBy: 'alice', resources: [], checkedAt: expect.stringMatching(/Z$/) } });

    const dismiss = runCli(dir, 'alice', ['drift', 'web', '--dismiss']);
    expect(dismiss.status).toBe(2);
    expect(dismiss.stderr).toContain('has no drift to dismiss');

    const reconcile = runCli(dir, 'alice', ['drift', 'web', '--reconcile', '--json']);
    expect(reconcile.status, reconcile.stderr).toBe(0);
    const planned = reconcile.json();
    expect(planned).toMatchObject({ state: 'PLAN_READY', plan: { summary: expect.stringContaining('No changes') } });
    expect(reconcile.stderr).toContain(`cloud-engine approve ${planned.sessionId} --plan ${planned.plan.id}`);

    // The change is open now: a check waits for it.
    const locked = runCli(dir, 'alice', ['drift', 'web']);
    expect(locked.status).toBe(2);
    expect(locked.stderr).toContain(`has a change open (session ${planned.sessionId})`);

    const missing = runCli(dir, 'alice', ['drift', 'nope']);
    expect(missing.status).toBe(2);
  });
});
