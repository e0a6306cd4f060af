import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { summarizePlan } from '../../../../src/kernel/terraform/plan-json.js';
import { ProviderPool } from '../../../../src/kernel/terraform/provider-pool.js';
import type { TerraformEvent } from '../../../../src/kernel/terraform/terraform-events.js';
import { TerraformError, TerraformRunner } from '../../../../src/kernel/terraform/terraform-runner.js';
import { FAKE_PROVIDER, workingDir } from './provider.fixture.js';
import { failure, localExec, PLUGIN_DIR, removeWorkdirs, runner, workdir } from './terraform-runner.fixture.js';

afterAll(removeWorkdirs);

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

  it('rejects as cancelled without starting terraform when the signal is already aborted', async () => {
    const cwd = await workdir(localExec('never', 'echo never'));
    const tf = runner();
    const error = await failure(tf.plan({ cwd, planFile: 'p.tfplan', signal: AbortSignal.abort() }));
    expect(error.cancelled).toBe(true);
    expect(error.message).toBe('terraform plan was cancelled before it started');
    expect(tf.peakRunning).toBe(0);
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
});

// The runner with a pool, and a stand-in terraform that kills the provider it was attached to,
// as a provider crash (or kill -9) in the middle of a command would.
describe('TerraformRunner with a provider pool whose provider dies mid-command', () => {
  let root: string;
  let pool: ProviderPool;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'pool-runner-'));
  });
  afterEach(async () => {
    await pool?.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** A stand-in terraform; attached to the pool it kills the provider (or not) and fails with `error`. */
  function setup(attached: { kill: boolean; error: string } = { kill: true, error: 'Error: Plugin did not respond' }): { runner: TerraformRunner; cwd: string; calls: () => string[] } {
    const cwd = workingDir(root, 'session', FAKE_PROVIDER);
    const log = join(root, 'calls.log');
    const terraform = join(root, 'fake-terraform');
    writeFileSync(
      terraform,
      [
        '#!/bin/sh',
        `echo "$1 \${TF_REATTACH_PROVIDERS:+attached}" >> '${log}'`,
        'if [ -n "$TF_REATTACH_PROVIDERS" ]; then',
        ...(attached.kill ? ['  kill -9 "$(echo "$TF_REATTACH_PROVIDERS" | sed \'s/.*"Pid":\\([0-9]*\\).*/\\1/\')"'] : []),
        `  echo '${attached.error}' >&2`,
        '  exit 1',
        'fi',
        'echo \'{"@level":"info","@message":"Apply complete!","type":"change_summary","changes":{"add":1,"change":0,"remove":0,"operation":"apply"}}\'',
      ].join('\n'),
    );
    chmodSync(terraform, 0o755);
    pool = new ProviderPool({ maxProcesses: 3 });
    const runner = new TerraformRunner({
      binary: terraform,
      maxConcurrent: 1,
      timeouts: { init: 10_000, plan: 10_000, apply: 10_000, show: 10_000, output: 10_000 },
      providerPool: pool,
    });
    return { runner, cwd, calls: () => readFileSync(log, 'utf8').trim().split('\n').map((line) => line.trim()) };
  }

  it('fails the apply with a clear error and does not run it again: it may have changed things first', async () => {
    const { runner, cwd, calls } = setup();
    const error = await runner.apply({ cwd, planFile: 'p.tfplan' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TerraformError);
    expect((error as TerraformError).message).toMatch(
      /^terraform apply failed \(exit 1\): .*\(a pooled provider process, pid \d+, (exited|stopped answering) during the apply; it was not re-run because it may have changed resources first: plan again to see what the state holds\)$/,
    );
    expect(calls()).toEqual(['apply attached']);
  });

  it('re-runs a plan with a normal provider launch, which succeeds; the next plan attaches to a fresh process', async () => {
    const { runner, cwd, calls } = setup();
    const events: string[] = [];
    const planned = await runner.plan({ cwd, planFile: 'p.tfplan', onEvent: (e) => events.push(e.message) });
    expect(planned.changeSummary).toEqual({ add: 1, change: 0, remove: 0 });
    expect(calls()).toEqual(['plan attached', 'plan']);
    expect(events.some((line) => /^A pooled provider process (exited|failed); running terraform plan again with its own provider\.$/.test(line))).toBe(true);
    expect(pool.metrics.fallbacks).toBe(1);
    await pool.settled();
    // The dead process is gone; the spare is fresh and is what the next plan gets.
    expect(pool.list().every((p) => p.configures === 0 && p.state === 'idle')).toBe(true);
    await runner.plan({ cwd, planFile: 'p.tfplan' });
    expect(calls().at(-2)).toBe('plan attached');
  });

  it('a plan the cloud endpoint refused (dial tcp … connection refused) fails as it is: the pool is not blamed, nothing runs again', async () => {
    const refused = 'Error: reading EC2 VPC (vpc-1): operation error EC2: DescribeVpcs, exceeded maximum number of attempts, 9, request send failed, Post "http://127.0.0.1:9/": dial tcp 127.0.0.1:9: connect: connection refused';
    const { runner, cwd, calls } = setup({ kill: false, error: refused });
    const error = await runner.plan({ cwd, planFile: 'p.tfplan' }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as TerraformError).message).toContain('dial tcp 127.0.0.1:9: connect: connection refused');
    expect(calls()).toEqual(['plan attached']);
    expect(pool.metrics.fallbacks).toBe(0);
  });

  it('a plan whose plugin socket refused the connection (dial unix) is the pool\'s fault: it runs again with a normal launch', async () => {
    const refused = 'Error: failed to instantiate provider: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial unix /tmp/plugin1: connect: connection refused"';
    const { runner, cwd, calls } = setup({ kill: false, error: refused });
    await runner.plan({ cwd, planFile: 'p.tfplan' });
    expect(calls()).toEqual(['plan attached', 'plan']);
    expect(pool.metrics.fallbacks).toBe(1);
  });
});
