import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN, startTestKernel } from '../support/test-kernel.js';

const DIST = join(import.meta.dirname, '..', '..', 'dist', 'index.js');

/** A child process that deploys a slow sandbox VM and prints each apply line; killed with -9 mid-apply. */
const CHILD = (dataDir: string) => `
import { createKernel } from ${JSON.stringify(pathToFileURL(DIST).href)};
const kernel = await createKernel({ dataDir: ${JSON.stringify(dataDir)}, admins: [${JSON.stringify(ADMIN)}], logLevel: 'silent', env: {} });
await kernel.projects.create({ id: 'crash', provider: 'sandbox', createdBy: ${JSON.stringify(ADMIN)} });
const session = await kernel.orchestrator.startSession(${JSON.stringify(ADMIN)}, 'crash');
await kernel.orchestrator.addResource(session.id, ${JSON.stringify(ADMIN)}, { type: 'sandbox.bucket', name: 'quick' });
await kernel.orchestrator.addResource(session.id, ${JSON.stringify(ADMIN)}, { type: 'sandbox.vm', name: 'slow', config: { bootSeconds: 60 } });
await kernel.orchestrator.runPlan(session.id, ${JSON.stringify(ADMIN)});
console.log('SESSION ' + session.id);
await kernel.orchestrator.approveAndApply(session.id, ${JSON.stringify(ADMIN)}, { onOutput: (line) => console.log('LINE ' + line) });
`;

function terraformIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe.skipIf(!existsSync(DIST) || !existsSync('/proc'))('a kernel killed with -9 in the middle of an apply', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-crash-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is resolved by the next kernel: FAILED "interrupted", output kept, audit written, terraform stopped, state kept', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD(dataDir)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let sessionId = '';
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child never reached the apply; saw: ${seen.join(' | ')}`)), 60_000);
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          seen.push(line);
          if (line.startsWith('SESSION ')) sessionId = line.slice(8);
          if (line.includes('booting slow: 2/60s')) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}); saw: ${seen.join(' | ')}`)));
    });
    // Let the output recorder's batch reach the database, as it would in a real crash a moment later.
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const t = await startTestKernel({ dataDir });
    try {
      const session = await t.kernel.orchestrator.getSession(sessionId);
      // The deployment's working dir, where terraform ran.
      const workingDir = session.workingDir;
      expect(session.state).toBe('FAILED');
      expect(session.error).toMatch(/^interrupted: the process applying this session/);

      const output = (await t.kernel.orchestrator.getOutput(sessionId)).map((line) => line.line);
      expect(output).toContain('Plan: 2 to add, 0 to change, 0 to destroy.');
      expect(output.some((line) => line.includes('booting slow: 1/60s'))).toBe(true);
      expect(output.some((line) => line.includes('booting slow: 2/60s'))).toBe(true);

      const audit = await t.kernel.audit.list({ sessionId });
      const failed = audit.find((event) => event.action === 'session.failed');
      expect(failed).toMatchObject({ actor: 'system', details: expect.objectContaining({ recovered: true, from: 'APPLYING' }) });
      expect(audit.map((event) => event.action)).toContain('session.applying');

      // The orphaned terraform (it outlives its parent) was stopped; the state on disk is intact JSON.
      expect(terraformIn(workingDir)).toEqual([]);
      const statePath = join(workingDir, 'terraform.tfstate');
      if (existsSync(statePath)) expect(() => JSON.parse(readFileSync(statePath, 'utf8'))).not.toThrow();
      expect(existsSync(join(workingDir, 'main.tf.json'))).toBe(true);

      // Nothing is reserved any more; what terraform's state holds counts as used until the deployment is torn
      // down: the finished bucket always, the VM it was still booting only if terraform had recorded it.
      // A resource terraform had begun but not made is in the state file with no instance: it does not exist.
      const held = JSON.parse(readFileSync(statePath, 'utf8')) as { resources: { name: string; instances: unknown[] }[] };
      const names = held.resources.filter((resource) => resource.instances.length > 0).map((resource) => resource.name).sort();
      expect(names).toContain('quick');
      expect([...((failed?.details.resourcesInState as string[] | undefined) ?? [])].sort()).toEqual(names);
      expect(await t.kernel.quotas.usage('crash')).toEqual(
        [
          ...(names.includes('slow') ? [{ quotaKey: 'compute_vm', used: 1, reserved: 0, limit: null, percent: null }] : []),
          { quotaKey: 'storage_bucket', used: 1, reserved: 0, limit: null, percent: null },
        ],
      );
      // A second start finds nothing left to recover.
      expect(await t.kernel.orchestrator.recoverInterrupted()).toEqual([]);
    } finally {
      await t.dispose();
    }
  });
});
