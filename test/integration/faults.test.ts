/**
 * Faults around a real kernel: terraform missing, failing, printing garbage or
 * hanging; the database unwritable, locked or full; a plugin that never
 * answers. Each case checks what the user is told, that the session is left in
 * a state it can leave, and that the kernel goes on serving other sessions.
 *
 * A stand-in terraform (a shell script) is used only for what real terraform
 * cannot be made to do on demand: print garbage, exit without a word, hang,
 * ignore an interrupt, be killed. It runs the real terraform otherwise.
 * `chattr +i` and tmpfs mounts need root; those cases are skipped without it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../src/kernel/errors.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { definePlugin } from '../../src/kernel/plugin/define-plugin.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { rejection } from '../support/rejection.js';

const REAL_TERRAFORM = process.env.CLOUD_ENGINE_TERRAFORM_BIN || 'terraform';

// ---- helpers ----


async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
}

/** A new one-bucket session on `projectId`, planned to PLAN_READY with real terraform. */
async function plansFine(kernel: Kernel, projectId: string): Promise<void> {
  const session = await kernel.orchestrator.startSession('alice', projectId);
  await kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'healthy' });
  const plan = await kernel.orchestrator.runPlan(session.id, 'alice');
  expect(plan.toAdd).toBe(1);
  expect((await kernel.orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
}

function tryRun(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Whether this machine lets the tests make files immutable (root, a filesystem with the flag). */
const CAN_CHATTR = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'ce-chattr-'));
  const file = join(dir, 'probe');
  writeFileSync(file, 'x');
  const ok = tryRun('chattr', ['+i', file]) && tryRun('chattr', ['-i', file]);
  rmSync(dir, { recursive: true, force: true });
  return ok;
})();

/** Whether this machine lets the tests mount a small tmpfs (root with CAP_SYS_ADMIN). */
const CAN_MOUNT = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'ce-mount-'));
  const ok = tryRun('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]) && tryRun('umount', [dir]);
  rmSync(dir, { recursive: true, force: true });
  return ok;
})();

/** Writes until the filesystem is full (ENOSPC), then returns. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [64 * 1024, 512]) {
      const chunk = Buffer.alloc(size, 7);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** SQLite's own files for a data dir, except the -shm index: it is memory-mapped, and an immutable mapping kills the process with SIGBUS. */
function databaseFiles(dataDir: string): string[] {
  return readdirSync(dataDir)
    .filter((name) => name.startsWith('cloud-engine.sqlite') && !name.endsWith('-shm'))
    .map((name) => join(dataDir, name));
}

/** A second connection to a kernel's SQLite file, as another process would have. */
class OtherConnection {
  private readonly db: sqlite3.Database;
  constructor(file: string) {
    this.db = new sqlite3.Database(file);
  }
  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.db.exec(sql, (error) => (error ? reject(error) : resolve())));
  }
  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((error) => (error ? reject(error) : resolve())));
  }
}

// ---- the stand-in terraform ----

/** Faults the stand-in shows, chosen by a resource named `fault_<name>` in the session's main.tf.json. */
const FAKE_TERRAFORM = `#!/bin/sh
# A stand-in for terraform that misbehaves on purpose. It picks its fault from the
# resource names in ./main.tf.json and otherwise runs the real terraform.
fault=""
for name in show_garbage plan_junk plan_exit plan_silent plan_hang plan_stubborn plan_killed; do
  if grep -q "\\"fault_$name\\"" main.tf.json 2>/dev/null; then fault=$name; fi
done
case "$1:$fault" in
  show:show_garbage) printf '<html><body><h1>502 Bad Gateway</h1></body></html>\\n'; exit 0 ;;
  plan:plan_junk) printf 'this is not JSON\\n{"@level":"info","@message":\\n\\001\\002 binary junk\\n' ;;
  plan:plan_exit) printf 'not json {{{\\n'; printf '\\nError: Failed to load plugin schemas\\n\\nThe stand-in terraform failed on purpose.\\n' >&2; exit 1 ;;
  plan:plan_silent) exit 1 ;;
  plan:plan_hang) exec sleep 300 ;;
  plan:plan_stubborn) trap '' INT; sleep 300; exit 0 ;;
  plan:plan_killed) kill -KILL $$ ;;
esac
exec ${JSON.stringify(REAL_TERRAFORM)} "$@"
`;

describe('faults', () => {
  let healthy: TestKernel;
  let scratch: string;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ce-faults-'));
    healthy = await startTestKernel();
    await createProject(healthy.kernel, { id: 'healthy', provider: 'sandbox' });
  });
  afterAll(async () => {
    await healthy?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('terraform missing or not executable', () => {
    it('fails the plan naming CLOUD_ENGINE_TERRAFORM_BIN; the session re-plans once terraform is there', async () => {
      const bin = join(scratch, 'bin', 'terraform');
      const t = await startTestKernel({ terraformBin: bin });
      try {
        await createProject(t.kernel, { id: 'nobin', provider: 'sandbox' });
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'nobin');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });

        const missing = await rejection(orchestrator.runPlan(session.id, 'alice'));
        expect(missing).toBeInstanceOf(CloudEngineError);
        expect(missing).toMatchObject({ code: 'TERRAFORM_FAILED' });
        expect(missing.message).toBe(
          `terraform init could not start: the terraform binary "${bin}" was not found. Install terraform (or OpenTofu) on PATH, or set CLOUD_ENGINE_TERRAFORM_BIN to its full path.`,
        );
        let view = await orchestrator.getSession(session.id);
        expect(view.state).toBe('PLAN_FAILED');
        expect(view.error).toBe(missing.message);

        // There, but not executable.
        mkdirSync(join(scratch, 'bin'), { recursive: true });
        writeFileSync(bin, `#!/bin/sh\nexec ${JSON.stringify(REAL_TERRAFORM)} "$@"\n`, { mode: 0o644 });
        const notExecutable = await rejection(orchestrator.runPlan(session.id, 'alice'));
        expect(notExecutable).toMatchObject({ code: 'TERRAFORM_FAILED' });
        expect(notExecutable.message).toBe(
          `terraform init could not start: "${bin}" is not executable (EACCES). Fix its permissions or set CLOUD_ENGINE_TERRAFORM_BIN to a working binary.`,
        );
        expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_FAILED');

        // Fixed: the same session plans, and the kernel never stopped serving.
        chmodSync(bin, 0o755);
        expect((await orchestrator.runPlan(session.id, 'alice')).toAdd).toBe(1);
        view = await orchestrator.getSession(session.id);
        expect(view.state).toBe('PLAN_READY');
        expect(view.error).toBeNull();
      } finally {
        await t.dispose();
      }
    });
  });

  describe('terraform misbehaving (a stand-in terraform)', () => {
    let t: TestKernel;
    beforeAll(async () => {
      const bin = join(scratch, 'fake-terraform');
      writeFileSync(bin, FAKE_TERRAFORM, { mode: 0o755 });
      t = await startTestKernel({ terraformBin: bin, timeouts: { plan: '2s' } });
      await createProject(t.kernel, { id: 'tf', provider: 'sandbox' });
    });
    afterAll(() => t?.dispose());

    /** Plans a session holding a resource named `fault_<fault>`; returns the error and the session afterwards. */
    async function planWithFault(fault: string) {
      const { orchestrator } = t.kernel;
      const session = await orchestrator.startSession('alice', 'tf');
      await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: `fault_${fault}` });
      const lines: string[] = [];
      const started = Date.now();
      const error = await rejection(orchestrator.runPlan(session.id, 'alice', { onOutput: (line) => lines.push(line) }));
      const ms = Date.now() - started;
      const view = await orchestrator.getSession(session.id);
      // Whatever went wrong, the session is PLAN_FAILED with the reason, and can be fixed and planned again.
      expect(view.state).toBe('PLAN_FAILED');
      expect(view.error).toBe(error.message);
      expect(view.plan).toBeNull();
      return { error, view, lines, ms, sessionId: session.id };
    }

    /** The failed session itself recovers once its resources are fine. */
    async function replansAfterFix(sessionId: string, fault: string): Promise<void> {
      const { orchestrator } = t.kernel;
      await orchestrator.removeResource(sessionId, 'alice', `fault_${fault}`);
      await orchestrator.addResource(sessionId, 'alice', { type: 'sandbox.bucket', name: 'fixed' });
      expect((await orchestrator.runPlan(sessionId, 'alice')).toAdd).toBe(1);
    }

    it('show printing non-JSON: TERRAFORM_FAILED quoting the start of what it printed', async () => {
      const { error, sessionId } = await planWithFault('show_garbage');
      expect(error).toMatchObject({ code: 'TERRAFORM_FAILED' });
      expect(error.message).toBe('terraform show exited 0 but printed output that is not JSON (51 chars, starting "<html><body><h1>502 Bad Gateway</h1></body></html>\\n")');
      await replansAfterFix(sessionId, 'show_garbage');
      await plansFine(t.kernel, 'tf');
    });

    it('plan printing lines that are not JSON among its JSON: shown as text, and the plan still works', async () => {
      const { orchestrator } = t.kernel;
      const session = await orchestrator.startSession('alice', 'tf');
      await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'fault_plan_junk' });
      const lines: string[] = [];
      const plan = await orchestrator.runPlan(session.id, 'alice', { onOutput: (line) => lines.push(line) });
      expect(plan.toAdd).toBe(1);
      expect(lines).toEqual(expect.arrayContaining(['this is not JSON', '{"@level":"info","@message":', 'Plan: 1 to add, 0 to change, 0 to destroy.']));
    });

    it('plan exiting non-zero: TERRAFORM_FAILED with the exit code and terraform\'s error', async () => {
      const { error, sessionId } = await planWithFault('plan_exit');
      expect(error).toMatchObject({ code: 'TERRAFORM_FAILED', details: { command: 'plan', exitCode: 1, timedOut: false } });
      expect(error.message).toBe('terraform plan failed (exit 1): Error: Failed to load plugin schemas: The stand-in terraform failed on purpose.');
      await replansAfterFix(sessionId, 'plan_exit');
    });

    it('plan exiting non-zero without a word: says so rather than inventing a reason', async () => {
      const { error } = await planWithFault('plan_silent');
      expect(error).toMatchObject({ code: 'TERRAFORM_FAILED' });
      expect(error.message).toBe('terraform plan failed (exit 1): no error output');
    });

    it('plan killed by a signal (e.g. the OOM killer): names the signal', async () => {
      const { error } = await planWithFault('plan_killed');
      expect(error).toMatchObject({ code: 'TERRAFORM_FAILED', details: { exitCode: null } });
      expect(error.message).toBe('terraform plan failed (killed by SIGKILL): no error output');
    });

    it('plan hanging: stopped at timeouts.plan (2s), while another session plans meanwhile', async () => {
      const hanging = planWithFault('plan_hang');
      // The kernel keeps serving during the hang: another session plans to PLAN_READY.
      await plansFine(t.kernel, 'tf');
      const { error, ms, sessionId } = await hanging;
      expect(error).toMatchObject({ code: 'TERRAFORM_FAILED', details: { timedOut: true } });
      expect(error.message).toBe('terraform plan timed out after 2s and was stopped');
      expect(ms).toBeLessThan(8_000);
      await replansAfterFix(sessionId, 'plan_hang');
    });

    it('plan hanging and ignoring the interrupt: killed after the 10s grace, saying so', async () => {
      const { error, ms } = await planWithFault('plan_stubborn');
      expect(error).toMatchObject({ code: 'TERRAFORM_FAILED', details: { timedOut: true } });
      expect(error.message).toBe('terraform plan timed out after 2s and was stopped (killed after ignoring an interrupt for 10s)');
      expect(ms).toBeGreaterThanOrEqual(11_000);
      expect(ms).toBeLessThan(20_000);
      await plansFine(t.kernel, 'tf');
    });
  });

  describe('a cost estimator that never answers', () => {
    it('fails the plan after timeouts.plugin naming the plugin; other sessions are priced and planned', async () => {
      const t = await startTestKernel({
        timeouts: { plugin: '1s' },
        extraPlugins: [
          definePlugin({
            id: 'test.hanging-estimator',
            register(ctx) {
              ctx.addCostEstimator({
                id: 'slow-prices',
                estimate: ({ plan }) =>
                  (plan.resource_changes ?? []).some((change) => change.name === 'stuck') ? new Promise<never>(() => {}) : { lines: [], unpriced: [] },
              });
            },
          }),
        ],
      });
      try {
        await createProject(t.kernel, { id: 'est', provider: 'sandbox' });
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'est');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'stuck' });
        const { result: error, ms } = await timed(() => rejection(orchestrator.runPlan(session.id, 'alice')));
        expect(error).toMatchObject({ code: 'PLUGIN_FAILED', details: { pluginId: 'test.hanging-estimator' } });
        expect(error.message).toBe('The cost estimator slow-prices (plugin "test.hanging-estimator") failed: did not answer within 1s. Fix or unload the plugin.');
        expect(ms).toBeLessThan(10_000);
        const view = await orchestrator.getSession(session.id);
        expect(view.state).toBe('PLAN_FAILED');
        expect(view.error).toBe(error.message);
        await plansFine(t.kernel, 'est');
      } finally {
        await t.dispose();
      }
    });
  });

  describe('the database', () => {
    describe.skipIf(!CAN_CHATTR)('unwritable (chattr +i on the SQLite file and its WAL)', () => {
      let t: TestKernel;
      let locked: string[] = [];
      const lock = () => {
        locked = databaseFiles(t.dataDir);
        execFileSync('chattr', ['+i', ...locked]);
      };
      const unlock = () => {
        const present = locked.filter((file) => existsSync(file));
        if (present.length > 0) execFileSync('chattr', ['-i', ...present]);
        locked = [];
      };
      beforeAll(async () => {
        t = await startTestKernel();
        await createProject(t.kernel, { id: 'ro', provider: 'sandbox' });
      });
      afterAll(async () => {
        if (t) unlock();
        await t?.dispose();
      });

      it('a change fails at once with SQLite\'s error, not a hang; reads go on; nothing half-written; writes resume', async () => {
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'ro');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'before' });
        lock();
        try {
          const { result: error, ms } = await timed(() => rejection(orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'during' })));
          expect(error).toMatchObject({ code: 'INTERNAL' });
          expect(error.message).toBe(
            'The database refused a write (SQLITE_IOERR: disk I/O error); nothing was changed. Check that CLOUD_ENGINE_DATA_DIR is writable and try again.',
          );
          expect(ms).toBeLessThan(2_000);
          const plan = await rejection(orchestrator.runPlan(session.id, 'alice'));
          expect(plan.message).toContain('The database refused a write (SQLITE_IOERR: disk I/O error)');
          // Reading still works.
          const view = await orchestrator.getSession(session.id);
          expect(view.state).toBe('DRAFT');
          expect(view.resources.map((resource) => resource.name)).toEqual(['before']);
        } finally {
          unlock();
        }
        // Nothing was half-written: the session is as it was, and it takes changes and plans again.
        let view = await orchestrator.getSession(session.id);
        expect(view.state).toBe('DRAFT');
        expect(view.resources.map((resource) => resource.name)).toEqual(['before']);
        expect(await t.kernel.audit.list({ sessionId: session.id, action: 'resource.added' })).toHaveLength(1);
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'after' });
        expect((await orchestrator.runPlan(session.id, 'alice')).toAdd).toBe(2);
        view = await orchestrator.getSession(session.id);
        expect(view.state).toBe('PLAN_READY');
        await plansFine(healthy.kernel, 'healthy');
      });

      // When the database stops taking writes while terraform runs, the plan's end cannot be recorded and the
      // session stays PLANNING with nothing running for it; cancel resolves it once the database takes writes.
      it('the database failing during a plan: a plain error, and the session can be cancelled once writes work again', async () => {
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'ro');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
        try {
          const error = await rejection(
            orchestrator.runPlan(session.id, 'alice', {
              onOutput: () => {
                if (locked.length === 0) lock();
              },
            }),
          );
          expect(error.message).toBe(
            'The database refused a write (SQLITE_IOERR: disk I/O error); nothing was changed. Check that CLOUD_ENGINE_DATA_DIR is writable and try again.',
          );
        } finally {
          unlock();
        }
        // Once the database takes writes again, the session must be usable.
        await orchestrator.cancelSession(session.id, 'alice');
        expect((await orchestrator.getSession(session.id)).state).toBe('CANCELLED');
      });

      it('a kernel cannot start on an unwritable database: CONFIG_INVALID saying what to check', async () => {
        const dataDir = mkdtempSync(join(scratch, 'ro-start-'));
        const first = await startTestKernel({ dataDir });
        await first.kernel.close();
        const files = [dataDir, ...readdirSync(dataDir).map((name) => join(dataDir, name))];
        execFileSync('chattr', ['+i', ...files]);
        try {
          const error = await rejection(startTestKernel({ dataDir }));
          expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
          expect(error.message).toBe(
            `Could not open the database (sqlite at ${join(dataDir, 'cloud-engine.sqlite')}): SQLITE_CANTOPEN: unable to open database file. Check that the data directory is writable, or fix the database options.`,
          );
        } finally {
          execFileSync('chattr', ['-i', ...files]);
        }
      });
    });

    it('a directory where the SQLite file should be: the kernel refuses to start with CONFIG_INVALID', async () => {
      const dataDir = mkdtempSync(join(scratch, 'dir-db-'));
      mkdirSync(join(dataDir, 'cloud-engine.sqlite'));
      const error = await rejection(startTestKernel({ dataDir }));
      expect(error).toMatchObject({ code: 'CONFIG_INVALID' });
      expect(error.message).toBe(
        `Could not open the database (sqlite at ${join(dataDir, 'cloud-engine.sqlite')}): SQLITE_CANTOPEN: unable to open database file. Check that the data directory is writable, or fix the database options.`,
      );
    });

    describe('locked by another connection (BEGIN EXCLUSIVE)', () => {
      const BUSY_MS = 1_500;
      let t: TestKernel;
      let other: OtherConnection;
      beforeAll(async () => {
        const dataDir = mkdtempSync(join(scratch, 'locked-'));
        // The kernel's own SQLite options, with a shorter busy timeout than the default 15 s to keep the test quick.
        t = await startTestKernel({ dataDir, database: { type: 'sqlite', database: join(dataDir, 'cloud-engine.sqlite'), enableWAL: true, busyTimeout: BUSY_MS, logging: false } });
        await createProject(t.kernel, { id: 'busy', provider: 'sandbox' });
        other = new OtherConnection(join(dataDir, 'cloud-engine.sqlite'));
        // It waits for the kernel as long as needed; the kernel waits for it only its busy timeout.
        await other.exec('PRAGMA busy_timeout = 10000');
      });
      afterAll(async () => {
        await other?.exec('ROLLBACK').catch(() => undefined);
        await other?.close();
        await t?.dispose();
      });

      it('a write waits the busy timeout, then fails with LOCKED in plain words; reads go on; after the lock is released it works', async () => {
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'busy');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'before' });
        await other.exec('BEGIN EXCLUSIVE');
        try {
          const { result: error, ms } = await timed(() => rejection(orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'during' })));
          expect(error).toMatchObject({ code: 'LOCKED' });
          expect(error.message).toBe(
            'The database is locked by another program (SQLITE_BUSY: database is locked); nothing was changed. Try again in a moment; if it persists, find what holds the database.',
          );
          expect(ms).toBeGreaterThanOrEqual(BUSY_MS - 100);
          expect(ms).toBeLessThan(BUSY_MS + 3_000);
          // A plan cannot start either, and the session stays as it was.
          expect(await rejection(orchestrator.runPlan(session.id, 'alice'))).toMatchObject({ code: 'LOCKED' });
          const view = await orchestrator.getSession(session.id);
          expect(view.state).toBe('DRAFT');
          expect(view.resources.map((resource) => resource.name)).toEqual(['before']);
        } finally {
          await other.exec('COMMIT');
        }
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'after' });
        expect((await orchestrator.runPlan(session.id, 'alice')).toAdd).toBe(2);
      });

      it('a lock held for less than the busy timeout while terraform runs only delays the plan', async () => {
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'busy');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
        let held: Promise<void> | undefined;
        const plan = await orchestrator.runPlan(session.id, 'alice', {
          onOutput: () => {
            held ??= other.exec('BEGIN EXCLUSIVE').then(() => new Promise<void>((resolve) => setTimeout(() => resolve(other.exec('COMMIT')), BUSY_MS / 3)));
          },
        });
        await held;
        expect(plan.toAdd).toBe(1);
        expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
      });

      // The same with a lock held longer than the busy timeout while terraform runs (a long write by another program).
      it('a lock outlasting the busy timeout during a plan: LOCKED in plain words, and cancel resolves the session afterwards', async () => {
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'busy');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
        let held: Promise<void> | undefined;
        try {
          const error = await rejection(
            orchestrator.runPlan(session.id, 'alice', {
              onOutput: () => {
                held ??= other.exec('BEGIN EXCLUSIVE');
              },
            }),
          );
          expect(error).toMatchObject({ code: 'LOCKED' });
          expect(error.message).toBe(
            'The database is locked by another program (SQLITE_BUSY: database is locked); nothing was changed. Try again in a moment; if it persists, find what holds the database.',
          );
        } finally {
          await held;
          await other.exec('COMMIT');
        }
        await orchestrator.cancelSession(session.id, 'alice');
        expect((await orchestrator.getSession(session.id)).state).toBe('CANCELLED');
      });
    });


  });

  describe.skipIf(!CAN_MOUNT)('the data dir full (a 2 MB tmpfs)', () => {
    const mounts: string[] = [];
    function mountSmall(dir: string): void {
      mkdirSync(dir, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
      mounts.push(dir);
    }
    afterAll(() => {
      for (const dir of mounts.reverse()) if (!tryRun('umount', [dir])) tryRun('umount', ['-l', dir]);
    });

    it('working dirs full: the plan fails PLAN_FAILED naming ENOSPC; the kernel serves on; freeing space lets the session plan', async () => {
      const t = await startTestKernel();
      try {
        // Only the deployments' working dirs are on the small filesystem; the database has room.
        const sessions = join(t.dataDir, 'deployments');
        mountSmall(sessions);
        await createProject(t.kernel, { id: 'full', provider: 'sandbox' });
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'full');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
        fillUp(join(sessions, 'filler'));

        const error = await rejection(orchestrator.runPlan(session.id, 'alice'));
        // What the user sees today (writing main.tf.json failed):
        expect(error).toMatchObject({ code: 'INTERNAL' });
        expect(error.message).toBe(
          `Planning session ${session.id} failed: no space left in the data directory (ENOSPC: no space left on device, write). Free space in CLOUD_ENGINE_DATA_DIR, then plan again.`,
        );
        const view = await orchestrator.getSession(session.id);
        expect(view.state).toBe('PLAN_FAILED');
        expect(view.error).toBe(error.message);
        // The kernel serves on: new sessions, changes, quotas.
        const other = await orchestrator.startSession('bob', 'full');
        await orchestrator.addResource(other.id, 'bob', { type: 'sandbox.bucket', name: 'b' });
        expect(await t.kernel.quotas.usage('full')).toEqual([]);

        rmSync(join(sessions, 'filler'));
        expect((await orchestrator.runPlan(session.id, 'alice')).toAdd).toBe(1);
        expect((await orchestrator.runPlan(other.id, 'bob')).toAdd).toBe(1);
      } finally {
        await t.kernel.close();
        const sessions = join(t.dataDir, 'deployments');
        if (mounts.includes(sessions) && tryRun('umount', [sessions])) mounts.splice(mounts.indexOf(sessions), 1);
        await t.dispose();
      }
    });

    it('the whole data dir full: nothing starts (SQLite says the disk is full), the session is unchanged, another data dir serves on', async () => {
      const dataDir = join(scratch, 'full-data');
      mountSmall(dataDir);
      const t = await startTestKernel({ dataDir });
      try {
        await createProject(t.kernel, { id: 'full', provider: 'sandbox' });
        const { orchestrator } = t.kernel;
        const session = await orchestrator.startSession('alice', 'full');
        await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'b' });
        fillUp(join(dataDir, 'filler'));

        const { result: error, ms } = await timed(() => rejection(orchestrator.runPlan(session.id, 'alice')));
        expect(error.message).toBe(
          'The data directory is full (SQLITE_FULL: database or disk is full); nothing was changed. Free space in CLOUD_ENGINE_DATA_DIR and try again.',
        );
        expect(ms).toBeLessThan(2_000);
        expect((await rejection(orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'c' }))).message).toContain('The data directory is full');
        const view = await orchestrator.getSession(session.id);
        expect(view.state).toBe('DRAFT');
        expect(view.resources.map((resource) => resource.name)).toEqual(['b']);
        // Another kernel, on another data dir, is not affected.
        await plansFine(healthy.kernel, 'healthy');

        rmSync(join(dataDir, 'filler'));
        expect((await orchestrator.runPlan(session.id, 'alice')).toAdd).toBe(1);
      } finally {
        await t.kernel.close();
        rmSync(join(dataDir, 'filler'), { force: true });
      }
    });
  });
});
