import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdtemp, readFile, readlink, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizePlan } from '../../../../src/kernel/terraform/plan-json.js';
import type { TerraformEvent } from '../../../../src/kernel/terraform/terraform-events.js';
import {
  INIT_STAMP_FILE,
  TerraformError,
  TerraformRunner,
  type TerraformRunnerOptions,
} from '../../../../src/kernel/terraform/terraform-runner.js';

const PLUGIN_DIR = '/opt/tf-plugins';
const TIMEOUTS = { init: 60_000, plan: 60_000, apply: 60_000, show: 30_000, output: 30_000 };

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function workdir(config?: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ce-tf-runner-'));
  dirs.push(dir);
  if (config !== undefined) await writeConfig(dir, config);
  return dir;
}

async function writeConfig(dir: string, config: unknown): Promise<void> {
  await writeFile(path.join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));
}

function runner(overrides: Partial<TerraformRunnerOptions> = {}): TerraformRunner {
  return new TerraformRunner({ binary: 'terraform', maxConcurrent: 2, timeouts: TIMEOUTS, ...overrides });
}

function localExec(name: string, command: string): unknown {
  return {
    resource: { terraform_data: { [name]: { input: 'x', provisioner: [{ 'local-exec': { command } }] } } },
    output: { echoed: { value: `\${terraform_data.${name}.output}` } },
  };
}

/** Runs the promise and returns the TerraformError it must reject with. */
async function failure(promise: Promise<unknown>): Promise<TerraformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TerraformError);
  return error as TerraformError;
}

/** Whether any process runs with exactly this command line fragment (proves no orphans were left). */
function processRunning(fragment: string): boolean {
  try {
    execFileSync('pgrep', ['-f', fragment], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function fakeTerraform(dir: string, body: string): Promise<string> {
  const file = path.join(dir, 'fake-terraform.sh');
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('TerraformRunner with real terraform', () => {
  it('runs init, plan, show, apply and output of a local-exec config and streams the echoed lines in order', async () => {
    const cwd = await workdir(localExec('echo', 'for i in 1 2 3; do echo line-$i; done'));
    const tf = runner();
    const events: TerraformEvent[] = [];
    const onEvent = (e: TerraformEvent) => events.push(e);

    expect(await tf.init({ cwd, onEvent })).toEqual({ skipped: false });
    expect(events.some((e) => e.command === 'init' && e.type === 'stdout' && /successfully initialized/.test(e.message))).toBe(true);

    const planned = await tf.plan({ cwd, onEvent, planFile: 'session.tfplan' });
    expect(planned.changeSummary).toEqual({ add: 1, change: 0, remove: 0 });
    const planEvents = events.filter((e) => e.command === 'plan').map((e) => e.type);
    expect(planEvents).toEqual(expect.arrayContaining(['version', 'planned_change', 'change_summary']));
    expect(events.find((e) => e.type === 'change_summary')?.message).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');

    const plan = await tf.show({ cwd, planFile: 'session.tfplan' });
    expect(plan.format_version).toMatch(/^1\./);
    const summary = summarizePlan(plan);
    expect(summary.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(summary.changes).toEqual([{ address: 'terraform_data.echo', type: 'terraform_data', actions: ['create'] }]);

    const applied = await tf.apply({ cwd, onEvent, planFile: 'session.tfplan' });
    expect(applied.changeSummary).toEqual({ add: 1, change: 0, remove: 0 });
    const applyEvents = events.filter((e) => e.command === 'apply');
    const echoed = applyEvents
      .filter((e) => e.type === 'provision_progress')
      .map((e) => (e.raw?.hook as { output?: string }).output)
      .filter((line) => line?.startsWith('line-'));
    expect(echoed).toEqual(['line-1', 'line-2', 'line-3']);
    const types = applyEvents.map((e) => e.type);
    expect(types.indexOf('apply_start')).toBeLessThan(types.indexOf('provision_progress'));
    expect(types.lastIndexOf('provision_progress')).toBeLessThan(types.indexOf('apply_complete'));
    expect(applyEvents.some((e) => e.message === 'terraform_data.echo: (local-exec): line-2')).toBe(true);

    expect(await tf.output({ cwd })).toEqual({ echoed: { value: 'x', type: 'string', sensitive: false } });
    expect(tf.running).toBe(0);
  });

  it('skips init when the terraform block is unchanged and re-runs it when the block changes', async () => {
    const config = { terraform: { required_version: '>= 1.0' }, resource: { terraform_data: { a: { input: 1 } } } };
    const cwd = await workdir(config);
    const tf = runner();

    expect(await tf.init({ cwd })).toEqual({ skipped: false });
    expect(JSON.parse(await readFile(path.join(cwd, '.terraform', INIT_STAMP_FILE), 'utf8')).key).toMatch(/^[0-9a-f]{64}$/);
    expect(await tf.init({ cwd })).toEqual({ skipped: true });

    // Resources are not init's business: changing them must not force a re-init.
    await writeConfig(cwd, { ...config, resource: { terraform_data: { b: { input: 2 } } } });
    expect(await tf.init({ cwd })).toEqual({ skipped: true });

    await writeConfig(cwd, { ...config, terraform: { required_version: '>= 1.1' } });
    expect(await tf.init({ cwd })).toEqual({ skipped: false });
    expect(await tf.init({ cwd })).toEqual({ skipped: true });

    // A runner with another plugin dir must not trust an init done without it.
    const tfWithMirror = runner({ pluginDir: await workdir() });
    expect(await tfWithMirror.init({ cwd })).toEqual({ skipped: false });
  });

  it('rejects a plan of a config with an undeclared reference with the diagnostic text', async () => {
    const cwd = await workdir({ resource: { terraform_data: { x: { input: '${terraform_data.nope.id}' } } } });
    const events: TerraformEvent[] = [];
    const error = await failure(runner().plan({ cwd, planFile: 'p.tfplan', onEvent: (e) => events.push(e) }));

    expect(error.command).toBe('plan');
    expect(error.exitCode).toBe(1);
    expect(error.timedOut).toBe(false);
    expect(error.cancelled).toBe(false);
    expect(error.diagnostics).toHaveLength(1);
    expect(error.diagnostics[0]).toContain('Error: Reference to undeclared resource: A managed resource "terraform_data" "nope"');
    expect(error.message).toMatch(/^terraform plan failed \(exit 1\): Error: Reference to undeclared resource: /);
    expect(events.some((e) => e.type === 'diagnostic' && e.level === 'error')).toBe(true);
  });

  it('rejects an init that cannot find a provider with the error text from stderr', async () => {
    const cwd = await workdir({ terraform: { required_providers: { nothere: { source: 'example/nothere' } } } });
    const error = await failure(runner({ pluginDir: await workdir() }).init({ cwd }));

    expect(error.command).toBe('init');
    expect(error.exitCode).toBe(1);
    expect(error.diagnostics[0]).toMatch(/^Error: Failed to query available provider packages: .*example\/nothere/);
    expect(error.message).toMatch(/^terraform init failed \(exit 1\): Error: Failed to query available provider packages/);
    expect(existsSync(path.join(cwd, '.terraform', INIT_STAMP_FILE))).toBe(false);
  });

  it('runs at most two terraform processes at once when five plans arrive together, and all succeed', async () => {
    const tf = runner({ maxConcurrent: 2 });
    const cwds = await Promise.all(
      Array.from({ length: 5 }, (_, i) => workdir({ resource: { terraform_data: { [`r${i}`]: { input: i } } } })),
    );
    const positions: number[][] = cwds.map(() => []);
    const results = await Promise.all(
      cwds.map((cwd, i) => tf.plan({ cwd, planFile: 'p.tfplan', onQueued: (p) => positions[i]!.push(p) })),
    );

    expect(results.map((r) => r.changeSummary?.add)).toEqual([1, 1, 1, 1, 1]);
    expect(tf.peakRunning).toBe(2);
    expect(positions).toEqual([[], [], [1], [2, 1], [3, 2, 1]]);
    expect(tf.running).toBe(0);
    expect(tf.queued).toBe(0);
  });

  it('runs a queued apply before plans that were queued earlier, and its output before the plans still waiting', async () => {
    const tf = runner({ maxConcurrent: 1 });
    const [applyDir, ...planDirs] = await Promise.all([workdir(localExec('deploy', 'true')), ...[0, 1, 2].map((i) => workdir(localExec(`p${i}`, 'true')))]);
    await tf.plan({ cwd: applyDir, planFile: 'p.tfplan' });
    const finished: string[] = [];
    const note = <T>(name: string, promise: Promise<T>) => promise.then((value) => (finished.push(name), value));
    // One plan holds the slot; two more wait; then the approved apply arrives.
    const plans = planDirs.map((cwd, i) => note(`plan${i}`, tf.plan({ cwd, planFile: 'p.tfplan' })));
    const applied = note('apply', tf.apply({ cwd: applyDir, planFile: 'p.tfplan' })).then(() => note('output', tf.output({ cwd: applyDir })));
    expect(tf.queued).toBe(3);
    await Promise.all([...plans, applied]);
    // The freed slot passes on as the apply ends, before `output` is asked for: output still overtakes plan2.
    expect(finished).toEqual(['plan0', 'apply', 'plan1', 'output', 'plan2']);
    expect((await applied).echoed?.value).toBe('x');
    expect(tf.peakRunning).toBe(1);
  });

  it('takes an aborted plan out of the queue without running it while another plan holds the only slot', async () => {
    const tf = runner({ maxConcurrent: 1 });
    const [first, second] = await Promise.all([workdir(localExec('a', 'true')), workdir(localExec('b', 'true'))]);
    const controller = new AbortController();
    const running = tf.plan({ cwd: first, planFile: 'p.tfplan' });
    const queued = tf.plan({ cwd: second, planFile: 'p.tfplan', signal: controller.signal });
    expect(tf.queued).toBe(1);
    controller.abort();

    const error = await failure(queued);
    expect(error.cancelled).toBe(true);
    expect(error.message).toBe('terraform plan was cancelled while queued for a free slot');
    expect((await running).changeSummary?.add).toBe(1);
    expect(existsSync(path.join(second, 'p.tfplan'))).toBe(false);
    expect(tf.peakRunning).toBe(1);
  });

  it('cancels a slow apply on abort: SIGINT stops terraform, no local-exec process is left, and the error says cancelled', async () => {
    const marker = `sleep 29.${process.pid % 1000}`;
    const cwd = await workdir(localExec('slow', `echo started; ${marker}; echo finished`));
    const tf = runner();
    await tf.plan({ cwd, planFile: 'p.tfplan' });

    const controller = new AbortController();
    const events: TerraformEvent[] = [];
    const startedAt = Date.now();
    const error = await failure(
      tf.apply({
        cwd,
        planFile: 'p.tfplan',
        signal: controller.signal,
        onEvent: (e) => {
          events.push(e);
          if ((e.raw?.hook as { output?: string } | undefined)?.output === 'started') controller.abort();
        },
      }),
    );

    expect(error.cancelled).toBe(true);
    expect(error.timedOut).toBe(false);
    expect(error.message).toBe('terraform apply was cancelled and stopped');
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(events.some((e) => e.message.includes('Interrupt received'))).toBe(true);
    expect(processRunning(marker)).toBe(false);
    // Stopped cleanly, terraform recorded the half-made resource in state instead of losing it.
    expect(existsSync(path.join(cwd, 'terraform.tfstate'))).toBe(true);
  });

  it('rejects as cancelled without starting terraform when the signal is already aborted', async () => {
    const cwd = await workdir(localExec('never', 'echo never'));
    const tf = runner();
    const error = await failure(tf.plan({ cwd, planFile: 'p.tfplan', signal: AbortSignal.abort() }));
    expect(error.cancelled).toBe(true);
    expect(error.message).toBe('terraform plan was cancelled before it started');
    expect(tf.peakRunning).toBe(0);
  });

  it('reports a missing binary as not found and names CLOUD_ENGINE_TERRAFORM_BIN', async () => {
    const cwd = await workdir(localExec('x', 'true'));
    const tf = runner({ binary: '/nonexistent/bin/terraform' });
    const error = await failure(tf.plan({ cwd, planFile: 'p.tfplan' }));

    expect(error.message).toContain('"/nonexistent/bin/terraform" was not found');
    expect(error.message).toContain('CLOUD_ENGINE_TERRAFORM_BIN');
    expect(error.exitCode).toBeNull();
    expect(tf.running).toBe(0);
  });
});

// The scripts get a full second before the interrupt so that even a loaded machine has run their `trap` line.
describe('TerraformRunner timeouts (fake terraform scripts)', () => {
  it('kills a command that ignores SIGINT with SIGKILL after the grace period and says it timed out', async () => {
    const dir = await workdir();
    const marker = `sleep 31.${process.pid % 1000}`;
    const binary = await fakeTerraform(
      dir,
      `trap '' INT\necho '{"@level":"info","@message":"fake terraform is stuck","type":"log"}'\n${marker}`,
    );
    const tf = runner({ binary, timeouts: { ...TIMEOUTS, plan: 1000 }, killGraceMs: 300 });
    const events: TerraformEvent[] = [];
    const startedAt = Date.now();
    const error = await failure(tf.plan({ cwd: dir, planFile: 'p.tfplan', onEvent: (e) => events.push(e) }));

    expect(error.timedOut).toBe(true);
    expect(error.signal).toBe('SIGKILL');
    expect(error.exitCode).toBeNull();
    expect(error.message).toBe('terraform plan timed out after 1s and was stopped (killed after ignoring an interrupt for 0.3s)');
    expect(events.map((e) => e.message)).toEqual(['fake terraform is stuck']);
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(processRunning(marker)).toBe(false);
    expect(tf.running).toBe(0);
  });

  it('stops a command that exits on SIGINT without waiting for the kill grace period', async () => {
    const dir = await workdir();
    const binary = await fakeTerraform(dir, `trap 'echo "stopped on interrupt" >&2; exit 130' INT\nwhile :; do sleep 0.1; done`);
    const tf = runner({ binary, timeouts: { ...TIMEOUTS, apply: 1000 }, killGraceMs: 20_000 });
    const startedAt = Date.now();
    const error = await failure(tf.apply({ cwd: dir, planFile: 'p.tfplan' }));

    expect(error.timedOut).toBe(true);
    expect(error.exitCode).toBe(130);
    expect(error.signal).toBeNull();
    expect(error.message).toBe('terraform apply timed out after 1s and was stopped');
    expect(error.stderrTail).toContain('stopped on interrupt');
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});

describe('TerraformRunner with the AWS provider from the offline plugin dir', () => {
  it.skipIf(!existsSync(PLUGIN_DIR))(
    'inits offline through /opt/tf-plugins by linking, not copying, the AWS provider and plans one S3 bucket to add (skipped when that mirror is absent)',
    async () => {
      const cwd = await workdir({
        terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } } },
        provider: {
          aws: {
            region: 'us-east-1',
            skip_credentials_validation: true,
            skip_requesting_account_id: true,
            skip_metadata_api_check: true,
            skip_region_validation: true,
          },
        },
        resource: { aws_s3_bucket: { logs: { bucket: 'cloud-engine-offline-test' } } },
      });
      const env = {
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      const tf = runner({ pluginDir: PLUGIN_DIR });

      expect(await tf.init({ cwd, env })).toEqual({ skipped: false });
      const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
      const installed = path.join(cwd, '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0', platform);
      expect((await lstat(installed)).isSymbolicLink()).toBe(true);

      const planned = await tf.plan({ cwd, env, planFile: 'p.tfplan' });
      expect(planned.changeSummary).toEqual({ add: 1, change: 0, remove: 0 });
      const summary = summarizePlan(await tf.show({ cwd, env, planFile: 'p.tfplan' }));
      expect(summary.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
      expect(summary.changes).toEqual([{ address: 'aws_s3_bucket.logs', type: 'aws_s3_bucket', actions: ['create'] }]);
    },
  );

  it.skipIf(!existsSync(PLUGIN_DIR))(
    'sets a new directory up from the init template of the same terraform block: no init process, the same provider link, and a real plan works',
    async () => {
      const terraform = { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } }, backend: { local: { path: 'terraform.tfstate' } } };
      const provider = { aws: { region: 'us-east-1', skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, skip_region_validation: true } };
      const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true' };
      const cache = await workdir();
      const tf = runner({ pluginDir: PLUGIN_DIR, initCacheDir: cache });
      const first = await workdir({ terraform, provider, resource: { aws_s3_bucket: { a: { bucket: 'first-bucket' } } } });
      const second = await workdir({ terraform, provider, resource: { aws_s3_bucket: { b: { bucket: 'second-bucket' }, c: { bucket: 'third-bucket' } } } });

      expect(await tf.init({ cwd: first, env })).toEqual({ skipped: false });
      const events: TerraformEvent[] = [];
      expect(await tf.init({ cwd: second, env, onEvent: (e) => events.push(e) })).toEqual({ skipped: true, fromTemplate: true });
      expect(events).toEqual([]);
      expect(tf.peakRunning).toBe(1);

      const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
      const installed = (cwd: string) => path.join(cwd, '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0', platform);
      expect(await readlink(installed(second))).toBe(await readlink(installed(first)));
      expect(await readFile(path.join(second, '.terraform.lock.hcl'), 'utf8')).toBe(await readFile(path.join(first, '.terraform.lock.hcl'), 'utf8'));
      // Small files are copies: terraform rewriting one in this directory cannot reach the template.
      const stamp = path.join(second, '.terraform', INIT_STAMP_FILE);
      const [template] = (await import('node:fs')).readdirSync(cache);
      expect((await stat(stamp)).ino).not.toBe((await stat(path.join(cache, template!, '.terraform', INIT_STAMP_FILE))).ino);

      const planned = await tf.plan({ cwd: second, env, planFile: 'p.tfplan' });
      expect(planned.changeSummary).toEqual({ add: 2, change: 0, remove: 0 });
      // Initialized for this key now: the next init is the ordinary stamp skip.
      expect(await tf.init({ cwd: second, env })).toEqual({ skipped: true });
    },
  );

  it.skipIf(!existsSync(PLUGIN_DIR))('runs a real init when the template points at a provider that is gone, and replaces the template', async () => {
    const terraform = { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } } };
    const cache = await workdir();
    const tf = runner({ pluginDir: PLUGIN_DIR, initCacheDir: cache });
    expect(await tf.init({ cwd: await workdir({ terraform }) })).toEqual({ skipped: false });
    const [template] = (await import('node:fs')).readdirSync(cache);
    const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
    const link = path.join(cache, template!, '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0', platform);
    await unlink(link);
    await symlink(path.join(cache, 'moved-away'), link);

    const cwd = await workdir({ terraform });
    expect(await tf.init({ cwd })).toEqual({ skipped: false });
    expect(existsSync(path.join(cwd, '.terraform', INIT_STAMP_FILE))).toBe(true);
    expect((await stat(path.join(cwd, '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0', platform))).isDirectory()).toBe(true);
    // The stale template was dropped; the next directory is set up from the fresh one.
    expect(await tf.init({ cwd: await workdir({ terraform }) })).toEqual({ skipped: true, fromTemplate: true });
  });
});

describe('TerraformRunner init templates (fake terraform)', () => {
  async function countingTerraform(): Promise<{ binary: string; count: () => Promise<number> }> {
    const dir = await workdir();
    const log = path.join(dir, 'calls.log');
    const binary = await fakeTerraform(dir, `echo "$1" >> '${log}'\nmkdir -p .terraform\necho 'provider "x" {}' > .terraform.lock.hcl`);
    return { binary, count: async () => (existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n').length : 0) };
  }

  it('shares init only between directories with the local backend; a remote backend or modules always run their own init', async () => {
    const cases: Array<[string, Record<string, unknown>, boolean]> = [
      ['no backend', { terraform: { required_version: '>= 1.0' } }, true],
      ['local backend', { terraform: { backend: { local: { path: 'terraform.tfstate' } } } }, true],
      ['s3 backend', { terraform: { backend: { s3: { bucket: 'b', key: 'k' } } } }, false],
      ['cloud block', { terraform: { cloud: { organization: 'o' } } }, false],
      ['a module', { terraform: {}, module: { net: { source: './net' } } }, false],
    ];
    for (const [what, config, shared] of cases) {
      const { binary, count } = await countingTerraform();
      const tf = runner({ binary, initCacheDir: await workdir() });
      const a = await workdir(config);
      const b = await workdir(config);
      expect(await tf.init({ cwd: a }), what).toEqual({ skipped: false });
      expect(await tf.init({ cwd: b }), what).toEqual(shared ? { skipped: true, fromTemplate: true } : { skipped: false });
      expect(await count(), what).toBe(shared ? 1 : 2);
      if (shared) expect(await readFile(path.join(b, '.terraform.lock.hcl'), 'utf8'), what).toBe('provider "x" {}\n');
    }
  });

  it('never uses a template without an init cache dir, or for a directory that was initialized before', async () => {
    const { binary, count } = await countingTerraform();
    const config = { terraform: { required_version: '>= 1.0' } };
    const plain = runner({ binary });
    await plain.init({ cwd: await workdir(config) });
    expect(await plain.init({ cwd: await workdir(config) })).toEqual({ skipped: false });
    expect(await count()).toBe(2);

    const tf = runner({ binary, initCacheDir: await workdir() });
    const reinit = await workdir({ terraform: { required_version: '>= 0.1' } });
    await tf.init({ cwd: reinit });
    await tf.init({ cwd: await workdir(config) }); // Saves the template for `config`.
    await writeConfig(reinit, config);
    // An existing .terraform is re-initialized by terraform (-reconfigure -upgrade), never overlaid.
    expect(await tf.init({ cwd: reinit })).toEqual({ skipped: false });
    expect(await count()).toBe(5);
  });
});
