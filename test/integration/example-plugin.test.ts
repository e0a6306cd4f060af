import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { KernelOptions } from '../../src/kernel/config/engine-config.js';
import { ADMIN, createProject, HAS_AWS_MIRROR, TF_PLUGIN_DIR, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { rejection } from '../support/rejection.js';

const REPO = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(REPO, 'examples/acme-sqs-plugin');
/** What a user writes in CLOUD_ENGINE_PLUGINS (or `plugins`) once the package is installed. */
const PACKAGE = '@acme/cloud-engine-sqs';
const PLUGIN_ID = 'acme.sqs';
/** The example's peers (and cdktf's constructs), which npm puts at the top of the user's node_modules. */
const PEERS = ['zod', 'cdktf', 'constructs', '@cdktf/provider-aws'];

const FAKE_AWS = { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-plans', AWS_EC2_METADATA_DISABLED: 'true' };
const AWS_SETTINGS = { region: 'eu-west-1', skipCredentialsValidation: true };
const FOUR_DAYS = 345_600;



/**
 * A user's project with cloud-engine and the example installed the way npm
 * lays them out: cloud-engine (this repo, which resolves to dist/) and the
 * peers at the top of node_modules, and the plugin as a copy — what a registry
 * install, a tarball or `npm install --install-links <dir>` produce. A symlink
 * would not do: Node follows it back into examples/, where no node_modules
 * holds cloud-engine.
 */
function installUserProject({ linkPlugin = false } = {}): string {
  const project = mkdtempSync(join(tmpdir(), 'cloud-engine-user-'));
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'acme-infra', private: true, type: 'module', dependencies: { 'cloud-engine': '^0.1.0', [PACKAGE]: '^0.1.0' } }, null, 2),
  );
  const modules = join(project, 'node_modules');
  const link = (name: string, target: string) => {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(target, join(modules, name), 'dir');
  };
  link('cloud-engine', REPO);
  for (const peer of PEERS) link(peer, join(REPO, 'node_modules', peer));
  if (linkPlugin) link(PACKAGE, EXAMPLE);
  // A node_modules left in the example by a local `npm install` would shadow the host's peers.
  else cpSync(EXAMPLE, join(modules, PACKAGE), { recursive: true, filter: (source) => basename(source) !== 'node_modules' });
  return project;
}

/** Boots a test kernel as if started from `cwd`, where plugin specifiers resolve (as `cloud-engine start` there would). */
async function startKernelIn(cwd: string, options: KernelOptions): Promise<TestKernel> {
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    return await startTestKernel(options);
  } finally {
    process.chdir(previous);
  }
}

if (!HAS_AWS_MIRROR) {
  console.warn(`Skipping the real plan of the example plugin's SQS queues: no offline AWS provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
}

describe(`the example plugin ${PACKAGE}, installed in a user's project and loaded by package name`, () => {
  let project: string;
  let t: TestKernel;
  const saved = { ...process.env };

  beforeAll(async () => {
    if (!existsSync(join(REPO, 'dist/index.js'))) {
      throw new Error('dist/index.js is missing: the example imports "cloud-engine", which resolves to the build. Run `npm run build` first (`npm test` does).');
    }
    project = installUserProject();
    Object.assign(process.env, FAKE_AWS);
    t = await startKernelIn(project, { plugins: [PACKAGE] });
    await createProject(t.kernel, { id: 'queues', provider: 'aws', settings: AWS_SETTINGS });
    await createProject(t.kernel, {
      id: 'short-retention',
      provider: 'aws',
      settings: { ...AWS_SETTINGS, policies: { 'acme.sqs-retention': { maxRetentionDays: 1 } } },
    });
  });
  afterAll(async () => {
    await t?.dispose();
    if (project) rmSync(project, { recursive: true, force: true });
    process.env = saved;
  });

  it('registers the queue type, the retention policy and the cost estimator under the plugin id acme.sqs', () => {
    const { registries, plugins } = t.kernel;
    expect(plugins.at(-1)).toBe(PLUGIN_ID);
    expect(registries.resourceTypes.pluginOf('aws.sqs_queue')).toBe(PLUGIN_ID);
    expect(registries.policyValidators.pluginOf('acme.sqs-retention')).toBe(PLUGIN_ID);
    expect(registries.costEstimators.pluginOf('acme.sqs-requests')).toBe(PLUGIN_ID);
    const type = registries.resourceTypes.get('aws.sqs_queue')!;
    expect(type).toMatchObject({ provider: 'aws', quotaKey: 'queue' });
    // Peers resolve to the host's copies, so the schema is the kernel's zod and chat forms can read it.
    expect(type.schema).toBeInstanceOf(z.ZodObject);
    expect(Object.keys(type.schema.shape)).toEqual(['queueName', 'fifo', 'visibilityTimeoutSeconds', 'messageRetentionSeconds', 'tags']);
  });

  it('loads the same way from CLOUD_ENGINE_PLUGINS', async () => {
    const other = await startKernelIn(project, { env: { CLOUD_ENGINE_PLUGINS: PACKAGE } });
    try {
      expect(other.kernel.plugins).toContain(PLUGIN_ID);
      expect(other.kernel.registries.resourceTypes.pluginOf('aws.sqs_queue')).toBe(PLUGIN_ID);
    } finally {
      await other.dispose();
    }
  });

  it('fails to load, naming the specifier, when the plugin is only symlinked in (npm link), as the README warns', async () => {
    const linked = installUserProject({ linkPlugin: true });
    try {
      const error = await rejection(startKernelIn(linked, { plugins: [PACKAGE], dataDir: join(linked, 'data') }));
      expect(error.code).toBe('PLUGIN_FAILED');
      expect(error.message).toContain(`Could not load plugin module "${PACKAGE}"`);
      expect(error.message).toContain("Cannot find package 'cloud-engine'");
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
  });

  it('synthesizes a queue under its resource name with the defaults, verbatim tags and one output named after it', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'queues', 'aws');
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.sqs_queue', name: 'inbox', config: { tags: { team: 'mail', note: '${not.a.reference}' } } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.sqs_queue', name: 'orders', config: { fifo: true } });

    const { config } = await orchestrator.synthesize(session.id, 'alice');

    const queues = (config.resource as Record<string, Record<string, unknown>>).aws_sqs_queue;
    expect(queues).toEqual({
      inbox: {
        name: 'inbox',
        fifo_queue: false,
        visibility_timeout_seconds: 30,
        message_retention_seconds: FOUR_DAYS,
        // Escaped by the kernel, passed through by the plugin: terraform reads it back as the literal text.
        tags: { team: 'mail', note: '$${not.a.reference}' },
      },
      // A FIFO queue named after its resource gets the suffix SQS requires.
      orders: { name: 'orders.fifo', fifo_queue: true, visibility_timeout_seconds: 30, message_retention_seconds: FOUR_DAYS },
    });
    expect(config.output).toEqual({
      inbox: { value: { url: '${aws_sqs_queue.inbox.url}', arn: '${aws_sqs_queue.inbox.arn}' } },
      orders: { value: { url: '${aws_sqs_queue.orders.url}', arn: '${aws_sqs_queue.orders.arn}' } },
    });
  });

  it('refuses a FIFO queue whose name lacks .fifo with INVALID_INPUT naming config.queueName', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'queues');

    const fifo = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'aws.sqs_queue', name: 'orders', config: { fifo: true, queueName: 'orders' } }));
    expect(fifo).toMatchObject({ code: 'INVALID_INPUT', field: 'config.queueName' });
    expect(fifo.message).toContain('queueName must end with .fifo because fifo is true (e.g. "orders.fifo")');

    const standard = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'aws.sqs_queue', name: 'jobs', config: { queueName: 'jobs.fifo' } }));
    expect(standard).toMatchObject({ code: 'INVALID_INPUT', field: 'config.queueName' });
    expect(standard.message).toContain('set fifo to true or drop the suffix');

    const tooLong = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'aws.sqs_queue', name: 'slow', config: { visibilityTimeoutSeconds: 43_201 } }));
    expect(tooLong).toMatchObject({ code: 'INVALID_INPUT', field: 'config.visibilityTimeoutSeconds' });
    expect((await orchestrator.getSession(session.id)).resources).toEqual([]);
  });

  it('a project allowing 1 day of retention refuses a queue keeping messages 4 days, naming the queue', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'short-retention');
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.sqs_queue', name: 'audit-log', config: { messageRetentionSeconds: FOUR_DAYS } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.sqs_queue', name: 'scratch', config: { messageRetentionSeconds: 3_600 } });

    // Refused before terraform runs: session policies are checked first.
    const error = await rejection(orchestrator.runPlan(session.id, 'alice'));

    expect(error.code).toBe('POLICY_VIOLATION');
    expect(error.message).toContain('audit-log: aws.sqs_queue "audit-log" keeps messages for 4 days (messageRetentionSeconds 345600), longer than project short-retention allows (1 day)');
    expect(error.message).toContain('settings.policies["acme.sqs-retention"].maxRetentionDays');
    expect(error.details?.violations).toEqual([expect.objectContaining({ code: 'SQS_RETENTION', address: 'audit-log' })]);
    expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_FAILED');

    await orchestrator.removeResource(session.id, 'alice', 'audit-log');
    expect(await orchestrator.validateSession(session.id, 'alice')).toEqual({ ok: true, violations: [] });
  });

  it("validates the policy's settings when a project is created, naming the field", async () => {
    const error = await rejection(
      createProject(t.kernel, { id: 'bad-retention', provider: 'aws', settings: { ...AWS_SETTINGS, policies: { 'acme.sqs-retention': { maxRetentionDays: 30 } } } }),
    );
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.policies.acme.sqs-retention.maxRetentionDays' });
    expect(error.message).toContain('at most 14 days');
  });

  // A real `terraform plan` with the real AWS provider, offline: fake keys and the skip_* flags.
  describe.skipIf(!HAS_AWS_MIRROR)('planned for real from the offline AWS mirror', () => {
    it('plans both queues with their attributes and prices them with the example estimator, leaving nothing unpriced', async () => {
      const { orchestrator } = t.kernel;
      const session = await orchestrator.startSession('alice', 'queues');
      await orchestrator.addResource(session.id, 'alice', { type: 'aws.sqs_queue', name: 'inbox', config: { visibilityTimeoutSeconds: 120, tags: { note: '${not.a.reference}' } } });
      await orchestrator.addResource(session.id, 'alice', {
        type: 'aws.sqs_queue',
        name: 'orders',
        config: { queueName: 'acme-orders.fifo', fifo: true, messageRetentionSeconds: 86_400 },
      });

      const plan = await orchestrator.runPlan(session.id, 'alice');

      expect(plan.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
      const change = (address: string) => plan.planJson.resource_changes?.find((item) => item.address === address);
      expect(change('aws_sqs_queue.inbox')?.change.actions).toEqual(['create']);
      expect(change('aws_sqs_queue.inbox')?.change.after).toMatchObject({
        name: 'inbox',
        fifo_queue: false,
        visibility_timeout_seconds: 120,
        message_retention_seconds: FOUR_DAYS,
        tags: { note: '${not.a.reference}' },
      });
      expect(change('aws_sqs_queue.orders')?.change.after).toMatchObject({
        name: 'acme-orders.fifo',
        fifo_queue: true,
        visibility_timeout_seconds: 30,
        message_retention_seconds: 86_400,
      });
      expect(plan.planJson.output_changes?.inbox?.actions).toEqual(['create']);

      expect(plan.cost?.unpriced).toEqual([]);
      expect(plan.cost?.lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ address: 'aws_sqs_queue.inbox', type: 'aws_sqs_queue', action: 'create', monthly: 0.4, monthlyDelta: 0.4 }),
          expect.objectContaining({ address: 'aws_sqs_queue.orders', action: 'create', monthly: 0.5 }),
        ]),
      );
      const inbox = plan.cost?.lines.find((line) => line.address === 'aws_sqs_queue.inbox');
      expect(inbox?.assumption).toBe('1M requests a month at $0.40 per million (standard queue, us-east-1 list price; free tier and data transfer not included)');
      expect(plan.cost?.monthly).toBe(0.9);
      expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
    });
  });
});
