import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN as BIN, runCli } from '../support/cli-runner.js';

const root = mkdtempSync(join(tmpdir(), 'cloud-engine-cli-deployments-'));

/** web.yaml: the deployment `web` with a VM and a bucket. */
const WEB = `project: sandbox
deployment: web
resources:
  - type: sandbox.vm
    name: web
    config: { size: small }
  - type: sandbox.bucket
    name: assets
`;

/** The next version of web.yaml: a bigger VM, a new bucket, and assets no longer listed. */
const WEB_NEXT = `project: sandbox
deployment: web
resources:
  - type: sandbox.vm
    name: web
    config: { size: large }
  - type: sandbox.bucket
    name: logs
`;

function freshDir(): string {
  const dir = mkdtempSync(join(root, 'data-'));
  writeFileSync(join(dir, 'web.yaml'), WEB);
  writeFileSync(join(dir, 'web-next.yaml'), WEB_NEXT);
  return dir;
}

const cli = (dir: string, user: string, args: string[], extraEnv: Record<string, string> = {}) => runCli(dir, user, args, extraEnv);

/** The deployment named `name`, as `deployments --json` shows it. */
function deployment(dir: string, name: string): any {
  const list = cli(dir, 'alice', ['deployments', '--json']);
  expect(list.status).toBe(0);
  return list.json().deployments.find((candidate: { name: string }) => candidate.name === name);
}

const actions = (plan: { changes: { address: string; actions: string[] }[] }) => Object.fromEntries(plan.changes.map((change) => [change.address, change.actions.join(',')]));

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!existsSync(BIN))('cloud-engine deploy, plan, deployments and destroy on a named deployment (built bin, real terraform)', () => {
  it('deploys a spec, finds it up to date the second time, converges it to a changed spec, lists it, and destroys it', () => {
    const dir = freshDir();

    // First run: a new deployment named web, applied.
    const first = cli(dir, 'alice', ['deploy', 'web.yaml', '--approve', '--json']);
    expect(first.status, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({
      state: 'APPLIED',
      upToDate: false,
      deployment: { name: 'web', projectId: 'sandbox', state: 'ACTIVE', version: 1 },
      plan: { toAdd: 2, toChange: 0, toDestroy: 0 },
      error: null,
    });
    expect(first.stderr).toMatch(/^Session \w+ started by alice in project sandbox \(sandbox\) for deployment web \(new\)$/m);
    expect(first.stderr).toContain('Deployment web ACTIVE at version 1');
    const applied = deployment(dir, 'web');
    expect(applied).toMatchObject({ state: 'ACTIVE', version: 1, openSessionId: null, sessions: [first.json().sessionId] });
    expect(applied.resources.map((resource: { name: string }) => resource.name)).toEqual(['web', 'assets']);

    // Same spec again: no edit, a plan of no changes, nothing applied, the empty change cancelled.
    const again = cli(dir, 'alice', ['deploy', 'web.yaml', '--approve', '--json']);
    expect(again.status, again.stderr).toBe(0);
    const same = again.json();
    expect(same).toMatchObject({ state: 'CANCELLED', upToDate: true, deployment: { name: 'web', version: 1 }, plan: { toAdd: 0, toChange: 0, toDestroy: 0, changes: [] } });
    expect(same.plan.summary).toMatch(/^No changes/);
    expect(again.stderr).toContain('= unchanged: web, assets');
    expect(again.stderr).toContain('Deployment web is already up to date');
    expect(again.stderr).toContain(`Session ${same.sessionId} CANCELLED: deployment web stays at version 1 and is not locked.`);
    expect(again.stderr).not.toContain('Apply complete');
    expect(again.stderr).not.toContain('applying');
    expect(deployment(dir, 'web')).toMatchObject({ state: 'ACTIVE', version: 1, openSessionId: null });

    // For people, without --approve or --json: the same answer on stdout, and `plan` leaves nothing open either.
    const text = cli(dir, 'alice', ['plan', 'web.yaml']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('No changes. Your infrastructure matches the configuration.');
    expect(text.stdout).toContain('Deployment web is already up to date');
    expect(text.stdout).not.toContain('cloud-engine approve');
    expect(deployment(dir, 'web')).toMatchObject({ version: 1, openSessionId: null });

    // A changed spec: the VM updated in place, logs added, assets removed, in one change left PLAN_READY.
    const planned = cli(dir, 'alice', ['plan', 'web-next.yaml', '--json']);
    expect(planned.status, planned.stderr).toBe(0);
    const change = planned.json();
    expect(change).toMatchObject({ state: 'PLAN_READY', upToDate: false, deployment: { name: 'web', state: 'ACTIVE', version: 1 }, plan: { toAdd: 1, toChange: 1, toDestroy: 1 } });
    expect(actions(change.plan)).toEqual({ 'terraform_data.web': 'update', 'terraform_data.logs': 'create', 'terraform_data.assets': 'delete' });
    expect(planned.stderr).toContain('- sandbox.bucket assets (no longer in the spec)\n~ sandbox.vm web (config changed)\n+ sandbox.bucket logs\n');
    expect(planned.stderr).toContain(`Apply this plan with: cloud-engine approve ${change.sessionId} --plan ${change.plan.id}`);
    expect(deployment(dir, 'web')).toMatchObject({ version: 1, openSessionId: change.sessionId });

    // While that change is open, the deployment is locked: deploy and destroy are refused (exit 2), naming the open change.
    const lockedByAlice = cli(dir, 'alice', ['deploy', 'web.yaml', '--approve', '--json']);
    expect(lockedByAlice.status).toBe(2);
    expect(lockedByAlice.json().error).toMatchObject({ code: 'LOCKED', message: expect.stringContaining(`Deployment web already has an open change: session ${change.sessionId} by alice, PLAN_READY since`) });
    expect(lockedByAlice.json().error).not.toHaveProperty('sessionId');
    const destroyLocked = cli(dir, 'alice', ['destroy', 'web']);
    expect(destroyLocked.status).toBe(2);
    expect(destroyLocked.stderr).toMatch(/^LOCKED: Deployment web already has an open change/m);
    expect(deployment(dir, 'web')).toMatchObject({ version: 1, openSessionId: change.sessionId });

    // `approve --plan` applies exactly that change.
    const approve = cli(dir, 'alice', ['approve', change.sessionId, '--plan', change.plan.id, '--json']);
    expect(approve.status, approve.stderr).toBe(0);
    expect(approve.stderr).toContain('Apply complete! Resources: 1 added, 1 changed, 1 destroyed.');
    const listed = cli(dir, 'alice', ['deployments', '--json']);
    expect(listed.status).toBe(0);
    expect(listed.json().deployments).toEqual([
      expect.objectContaining({
        name: 'web',
        projectId: 'sandbox',
        provider: 'sandbox',
        state: 'ACTIVE',
        version: 2,
        openSessionId: null,
        monthlyCost: 0,
        resources: [
          { name: 'web', type: 'sandbox.vm', config: { size: 'large', image: 'debian-12', bootSeconds: 0 } },
          { name: 'logs', type: 'sandbox.bucket', config: {} },
        ],
        outputs: { web: expect.objectContaining({ ip: expect.any(String) }), logs: expect.objectContaining({ url: 'sandbox://logs' }) },
      }),
    ]);
    const table = cli(dir, 'alice', ['deployments']).stdout.split('\n');
    expect(table[0]).toMatch(/^DEPLOYMENT\s+PROJECT\s+STATE\s+VERSION\s+RESOURCES\s+MONTHLY\s+OPEN CHANGE\s+EXPIRES\s+UPDATED$/);
    expect(table[1]).toMatch(/^web\s+sandbox\s+ACTIVE\s+2\s+2\s+\$0\.00\/month\s+-\s+-\s+\d{4}-/);
    // The changed spec is now what the deployment holds.
    expect(cli(dir, 'alice', ['deploy', 'web-next.yaml', '--json']).json()).toMatchObject({ upToDate: true, deployment: { version: 2 } });

    // Torn down: the plan and its ids first, then applied; the deployment ends DESTROYED.
    const teardown = cli(dir, 'alice', ['destroy', 'web', '--approve', '--json']);
    expect(teardown.status, teardown.stderr).toBe(0);
    const torn = teardown.json();
    expect(torn).toMatchObject({ state: 'APPLIED', deployment: { name: 'web', state: 'DESTROYED', version: 3 }, plan: { toAdd: 0, toChange: 0, toDestroy: 2 }, error: null });
    expect(actions(torn.plan)).toEqual({ 'terraform_data.web': 'delete', 'terraform_data.logs': 'delete' });
    expect(teardown.stderr).toContain(`Session ${torn.sessionId} PLAN_READY with plan ${torn.plan.id}`);
    expect(teardown.stderr).toContain('Apply complete! Resources: 0 added, 0 changed, 2 destroyed.');
    expect(teardown.stderr).toContain('Deployment web DESTROYED at version 3');
    expect(deployment(dir, 'web')).toMatchObject({ state: 'DESTROYED', version: 3, resources: [], openSessionId: null, monthlyCost: null });

    const twice = cli(dir, 'alice', ['destroy', 'web', '--json']);
    expect(twice.status).toBe(2);
    expect(twice.json().error).toMatchObject({ code: 'INVALID_STATE', field: 'deployment', message: expect.stringContaining('Deployment web in project sandbox is DESTROYED') });
  });

  it('destroy without --approve shows the teardown and its ids, and approve --plan applies it', () => {
    const dir = freshDir();
    expect(cli(dir, 'alice', ['deploy', 'web.yaml', '--approve']).status).toBe(0);
    const shown = cli(dir, 'alice', ['destroy', 'web']);
    expect(shown.status, shown.stderr).toBe(0);
    const [, sessionId, planId] = /Session (\w+) PLAN_READY with plan (\w+)/.exec(shown.stdout)!;
    expect(shown.stdout).toContain('Plan: 0 to add, 0 to change, 2 to destroy.');
    expect(shown.stdout).toContain('  - terraform_data.web (delete)');
    expect(shown.stdout).toContain(`apply this teardown with: cloud-engine approve ${sessionId} --plan ${planId}`);
    expect(deployment(dir, 'web')).toMatchObject({ state: 'ACTIVE', openSessionId: sessionId });

    expect(cli(dir, 'alice', ['approve', sessionId!, '--plan', planId!]).status).toBe(0);
    expect(deployment(dir, 'web')).toMatchObject({ state: 'DESTROYED', openSessionId: null });

    // Deploying the spec again brings the destroyed deployment back under its name.
    const back = cli(dir, 'alice', ['deploy', 'web.yaml', '--approve', '--json']);
    expect(back.status, back.stderr).toBe(0);
    expect(back.json()).toMatchObject({ state: 'APPLIED', deployment: { name: 'web', state: 'ACTIVE', version: 3 }, plan: { toAdd: 2 } });
  });

  it('a spec the kernel refuses, or a plan that fails, cancels the change so the deployment is not left locked', () => {
    const dir = freshDir();
    expect(cli(dir, 'alice', ['deploy', 'web.yaml', '--approve']).status).toBe(0);

    writeFileSync(join(dir, 'huge.yaml'), WEB.replace('size: small', 'size: huge'));
    const refused = cli(dir, 'alice', ['deploy', 'huge.yaml', '--approve', '--json']);
    expect(refused.status).toBe(2);
    expect(refused.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'resources.0.config.size', message: expect.stringContaining('huge.yaml: resources.0 (web)') });
    expect(deployment(dir, 'web')).toMatchObject({ version: 1, openSessionId: null });

    // Over quota: the plan fails, the change is cancelled with its error kept.
    expect(cli(dir, 'alice', ['quota', 'set', 'sandbox', 'compute_vm', '1']).status).toBe(0);
    writeFileSync(join(dir, 'two.yaml'), `${WEB}  - type: sandbox.vm\n    name: web2\n`);
    const over = cli(dir, 'alice', ['deploy', 'two.yaml', '--approve', '--json']);
    expect(over.status).toBe(2);
    const { sessionId } = over.json().error;
    expect(over.json().error).toMatchObject({ code: 'QUOTA_EXCEEDED', sessionId: expect.any(String) });
    expect(over.stderr).toContain(`Cancelled session ${sessionId} so deployment web is not left locked`);
    expect(deployment(dir, 'web')).toMatchObject({ version: 1, openSessionId: null });
    const cancelled = cli(dir, 'alice', ['sessions', '--json']).json().sessions.find((session: { id: string }) => session.id === sessionId);
    expect(cancelled).toMatchObject({ state: 'CANCELLED', deploymentName: 'web', error: expect.stringContaining('QUOTA_EXCEEDED') });
  });

  it('a spec without deployment: makes a new deployment each run; a bad name is refused naming the field deployment', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'anon.yaml'), WEB.replace('deployment: web\n', ''));
    const one = cli(dir, 'alice', ['plan', 'anon.yaml', '--json']);
    const two = cli(dir, 'alice', ['plan', 'anon.yaml', '--json']);
    expect([one.status, two.status]).toEqual([0, 0]);
    expect(one.json().deployment.name).not.toBe(two.json().deployment.name);
    expect(two.json()).toMatchObject({ state: 'PLAN_READY', plan: { toAdd: 2 } });
    expect(cli(dir, 'alice', ['deployments', '--json']).json().deployments).toHaveLength(2);

    writeFileSync(join(dir, 'bad.yaml'), WEB.replace('deployment: web', 'deployment: Web Prod'));
    const bad = cli(dir, 'alice', ['plan', 'bad.yaml', '--json']);
    expect(bad.status).toBe(2);
    expect(bad.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'deployment', message: expect.stringContaining('received "Web Prod"') });
  });

  it('destroy finds a name across the projects you can read, and asks for --project when two have it', () => {
    const dir = freshDir();
    const admin = { CLOUD_ENGINE_ADMINS: 'alice' };
    expect(cli(dir, 'alice', ['projects', 'create', 'other', '--provider', 'sandbox'], admin).status).toBe(0);
    writeFileSync(join(dir, 'other.yaml'), WEB.replace('project: sandbox', 'project: other'));
    expect(cli(dir, 'alice', ['deploy', 'web.yaml', '--approve'], admin).status).toBe(0);
    expect(cli(dir, 'alice', ['deploy', 'other.yaml', '--approve'], admin).status).toBe(0);

    const ambiguous = cli(dir, 'alice', ['destroy', 'web', '--json'], admin);
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'deployment', message: expect.stringContaining('projects other, sandbox; pass --project') });
    const missing = cli(dir, 'alice', ['destroy', 'nope', '--json'], admin);
    expect(missing.status).toBe(2);
    expect(missing.json().error).toMatchObject({ code: 'NOT_FOUND', field: 'deployment' });

    const other = cli(dir, 'alice', ['destroy', 'web', '--project', 'other', '--approve', '--json'], admin);
    expect(other.status, other.stderr).toBe(0);
    expect(other.json().deployment).toMatchObject({ projectId: 'other', state: 'DESTROYED' });
    expect(cli(dir, 'alice', ['deployments', '--project', 'sandbox', '--json'], admin).json().deployments).toEqual([expect.objectContaining({ projectId: 'sandbox', state: 'ACTIVE' })]);
    // Someone without access to a project neither sees its deployments nor finds them.
    expect(cli(dir, 'mallory', ['deployments', '--json']).json()).toEqual({ deployments: [] });
    expect(cli(dir, 'mallory', ['destroy', 'web']).status).toBe(2);
  });
});

describe.skipIf(!existsSync(BIN))('cloud-engine deploy --ttl, ttl and extend (built bin)', () => {
  it('gives a new deployment its TTL, extends it by --by, sets and clears it, and refuses a bad duration as INVALID_INPUT', () => {
    const dir = freshDir();
    const bad = cli(dir, 'alice', ['plan', 'web.yaml', '--ttl', '0', '--json']);
    expect(bad.status).toBe(2);
    expect(bad.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'ttl', message: expect.stringMatching(/^--ttl: /) });
    expect(deployment(dir, 'web')).toBeUndefined();

    const before = Date.now();
    const deployed = cli(dir, 'alice', ['deploy', 'web.yaml', '--ttl', '2h', '--approve']);
    expect(deployed.status, deployed.stderr).toBe(0);
    expect(deployed.stdout).toMatch(/Deployment web ACTIVE at version 1, expires at \d{4}-/);
    const expiresAt = Date.parse(deployment(dir, 'web').expiresAt);
    expect(expiresAt - before).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(expiresAt - before).toBeLessThan(2 * 3_600_000 + 120_000);

    const extended = cli(dir, 'alice', ['extend', 'web', '--by', '1h', '--json']);
    expect(extended.status, extended.stderr).toBe(0);
    expect(Date.parse(extended.json().expiresAt) - expiresAt).toBe(3_600_000);
    expect(cli(dir, 'alice', ['extend', 'web', '--by', 'soon', '--json']).json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'duration' });

    const set = cli(dir, 'alice', ['ttl', 'web', '30m', '--project', 'sandbox']);
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^Deployment web expires at \d{4}-.*; then Cloud Engine tears it down\./);
    expect(cli(dir, 'alice', ['ttl', 'web', 'none']).stdout).toContain('Deployment web does not expire.');
    expect(deployment(dir, 'web').expiresAt).toBeNull();
    expect(cli(dir, 'mallory', ['extend', 'web']).status).toBe(2);
  });
});
