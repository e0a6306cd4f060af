import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN, runCli } from '../support/cli-runner.js';

const root = mkdtempSync(join(tmpdir(), 'cloud-engine-access-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh data dir; alice runs first, so she administers its sandbox project. */
function freshDir(): string {
  const dir = mkdtempSync(join(root, 'data-'));
  expect(runCli(dir, 'alice', ['projects']).status).toBe(0);
  return dir;
}

describe.skipIf(!existsSync(CLI_BIN))('cloud-engine access (built bin)', () => {
  it('request, requests, approve: the requester gets the level for the duration; bad input and self-approval exit 2 naming why', () => {
    const dir = freshDir();
    const before = Date.now();
    const asked = runCli(dir, 'nina', ['access', 'request', 'sandbox', 'deploy', '2h', 'deploy', 'the', 'hotfix', '--json']);
    expect(asked.status).toBe(0);
    const request = asked.json().request;
    expect(request).toMatchObject({ state: 'PENDING', projectId: 'sandbox', userId: 'nina', level: 'deploy', duration: '2h', reason: 'deploy the hotfix' });
    expect(asked.stderr).toContain(`cloud-engine access approve ${request.id}`);

    // Admins see every request; nina her own; bob none.
    const listed = runCli(dir, 'alice', ['access', 'requests', 'sandbox']);
    expect(listed.stdout.split('\n')[0]).toMatch(/^ID\s+USER\s+LEVEL\s+FOR\s+STATE/);
    expect(listed.stdout).toMatch(new RegExp(`${request.id}\\s+nina\\s+deploy\\s+2h\\s+PENDING`));
    expect(runCli(dir, 'bob', ['access', 'requests', 'sandbox', '--json']).json()).toEqual({ requests: [] });
    expect(runCli(dir, 'nina', ['access', 'requests', 'sandbox', '--json']).json().requests.map((r: { id: string }) => r.id)).toEqual([request.id]);

    const self = runCli(dir, 'nina', ['access', 'approve', request.id]);
    expect(self.status).toBe(2);
    expect(self.stderr).toMatch(/^PERMISSION_DENIED: Nobody approves their own access request/m);
    const notAdmin = runCli(dir, 'bob', ['access', 'approve', request.id]);
    expect(notAdmin.status).toBe(2);
    expect(notAdmin.stderr).toMatch(/^PERMISSION_DENIED: Deciding access requests on project sandbox needs admin/m);

    const approved = runCli(dir, 'alice', ['access', 'approve', request.id]);
    expect(approved.status).toBe(0);
    expect(approved.stdout).toMatch(/^Approved request [0-9a-f]{16}: nina has deploy on sandbox for 2h, until /);
    const projects = runCli(dir, 'nina', ['projects', '--json']).json().projects;
    expect(projects).toEqual([{ id: 'sandbox', provider: 'sandbox', level: 'deploy', expiresAt: expect.any(String) }]);
    const expiresIn = Date.parse(projects[0].expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(2 * 3_600_000 - 60_000);
    expect(expiresIn).toBeLessThanOrEqual(2 * 3_600_000 + 60_000);
    expect(runCli(dir, 'alice', ['access', 'requests', 'sandbox', '--state', 'approved', '--json']).json().requests).toEqual([
      expect.objectContaining({ id: request.id, state: 'APPROVED', decidedBy: 'alice', grantExpiresAt: projects[0].expiresAt }),
    ]);
    const twice = runCli(dir, 'alice', ['access', 'deny', request.id]);
    expect(twice.status).not.toBe(0);
    expect(twice.stderr).toContain('already approved by alice');

    const bad = runCli(dir, 'bob', ['access', 'request', 'sandbox', 'deploy', '10y', 'why', '--json']);
    expect(bad.status).toBe(2);
    expect(bad.json().error).toMatchObject({ code: 'INVALID_INPUT', field: 'duration' });
    expect(runCli(dir, 'bob', ['access', 'request', 'sandbox', 'root', '1h', 'why']).stderr).toMatch(/^INVALID_INPUT: Invalid level/m);
    expect(runCli(dir, 'bob', ['access', 'request', 'sandbox', 'read', '1h', 'x'.repeat(501)]).stderr).toMatch(/^INVALID_INPUT: Invalid reason: it is 501 characters, more than the 500/m);
    expect(runCli(dir, 'alice', ['access', 'requests', 'sandbox', '--state', 'soon']).stderr).toMatch(/^INVALID_INPUT: Invalid --state/m);
  });

  it('deny: no access; the requester is told in the listing', () => {
    const dir = freshDir();
    const request = runCli(dir, 'olga', ['access', 'request', 'sandbox', 'admin', '1d', 'everything', '--json']).json().request;
    const denied = runCli(dir, 'alice', ['access', 'deny', request.id]);
    expect(denied.status).toBe(0);
    expect(denied.stdout).toContain(`Denied request ${request.id} of olga for admin on sandbox.`);
    expect(runCli(dir, 'olga', ['projects', '--json']).json().projects).toEqual([]);
    expect(runCli(dir, 'olga', ['access', 'requests', 'sandbox']).stdout).toMatch(new RegExp(`${request.id}\\s+olga\\s+admin\\s+1d\\s+DENIED\\s+alice`));
  });
});
