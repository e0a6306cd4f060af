import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestKernel, synthResource, synthSession, TEST_ADMIN, type TestKernel } from 'cloud-engine/testing';
import acmeSqsPlugin, { sqsQueueResource } from '../../examples/acme-sqs-plugin/index.js';
import { HAS_AWS_MIRROR, TF_PLUGIN_DIR } from '../support/test-kernel.js';
import { rejection } from '../support/rejection.js';

const PACKAGE = '@acme/cloud-engine-sqs';
const PLUGIN_ID = 'acme.sqs';
const AWS_SETTINGS = { region: 'eu-west-1', skipCredentialsValidation: true };
const FOUR_DAYS = 345_600;

/** What a synchronous call throws, as the kernel's error. */
function thrown(work: () => unknown) {
  try {
    work();
  } catch (error) {
    return error as { code: string; field?: string; message: string };
  }
  throw new Error('expected an error');
}

// The example's own tests, written the way docs/plugins.md tells plugin authors to: with cloud-engine/testing.
// How users load it (by path from a clone, by package name) is test/integration/plugin-loading.test.ts.
describe(`the example plugin ${PACKAGE}, tested with cloud-engine/testing`, () => {
  it('synthesizes a queue under its resource name with the defaults, verbatim tags and one output named after it', () => {
    const json = synthSession({
      project: { settings: AWS_SETTINGS },
      resources: [
        { type: sqsQueueResource, name: 'inbox', config: { tags: { team: 'mail', note: '${not.a.reference}' } } },
        { type: sqsQueueResource, name: 'orders', config: { fifo: true } },
      ],
    });
    expect(json.resource?.aws_sqs_queue).toEqual({
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
    expect(json.output).toEqual({
      inbox: { value: { url: '${aws_sqs_queue.inbox.url}', arn: '${aws_sqs_queue.inbox.arn}' } },
      orders: { value: { url: '${aws_sqs_queue.orders.url}', arn: '${aws_sqs_queue.orders.arn}' } },
    });
    expect(json.provider?.aws).toEqual([expect.objectContaining({ region: 'eu-west-1' })]);
  });

  it('refuses a FIFO queue whose name lacks .fifo, and the reverse, with INVALID_INPUT naming config.queueName', () => {
    const project = { settings: AWS_SETTINGS };
    const fifo = thrown(() => synthResource(sqsQueueResource, { name: 'orders', config: { fifo: true, queueName: 'orders' }, project }));
    expect(fifo).toMatchObject({ code: 'INVALID_INPUT', field: 'config.queueName' });
    expect(fifo.message).toContain('queueName must end with .fifo because fifo is true (e.g. "orders.fifo")');

    const standard = thrown(() => synthResource(sqsQueueResource, { name: 'jobs', config: { queueName: 'jobs.fifo' }, project }));
    expect(standard).toMatchObject({ code: 'INVALID_INPUT', field: 'config.queueName' });
    expect(standard.message).toContain('set fifo to true or drop the suffix');

    expect(thrown(() => synthResource(sqsQueueResource, { name: 'slow', config: { visibilityTimeoutSeconds: 43_201 }, project }))).toMatchObject({
      code: 'INVALID_INPUT',
      field: 'config.visibilityTimeoutSeconds',
    });
  });

  describe('in a test kernel', () => {
    let t: TestKernel;
    const saved = { ...process.env };
    beforeAll(async () => {
      // Terraform inherits the process's environment: fake keys for an offline plan.
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-plans', AWS_EC2_METADATA_DISABLED: 'true' });
      t = await startTestKernel({ plugins: [acmeSqsPlugin], tfPluginDir: HAS_AWS_MIRROR ? TF_PLUGIN_DIR : undefined });
      await t.kernel.projects.create({ id: 'queues', provider: 'aws', createdBy: TEST_ADMIN, settings: AWS_SETTINGS });
      await t.kernel.projects.create({
        id: 'short-retention',
        provider: 'aws',
        createdBy: TEST_ADMIN,
        settings: { ...AWS_SETTINGS, policies: { 'acme.sqs-retention': { maxRetentionDays: 1 } } },
      });
    });
    afterAll(async () => {
      await t?.dispose();
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
      expect(type.schema).toBeInstanceOf(z.ZodObject);
      expect(Object.keys(type.schema.shape)).toEqual(['queueName', 'fifo', 'visibilityTimeoutSeconds', 'messageRetentionSeconds', 'tags']);
    });

    it('a project allowing 1 day of retention refuses a queue keeping messages 4 days, naming the queue', async () => {
      const { orchestrator } = t.kernel;
      const session = await orchestrator.startSession(TEST_ADMIN, 'short-retention');
      await orchestrator.addResource(session.id, TEST_ADMIN, { type: 'aws.sqs_queue', name: 'audit-log', config: { messageRetentionSeconds: FOUR_DAYS } });
      await orchestrator.addResource(session.id, TEST_ADMIN, { type: 'aws.sqs_queue', name: 'scratch', config: { messageRetentionSeconds: 3_600 } });

      // Refused before terraform runs: session policies are checked first.
      const error = await rejection(orchestrator.runPlan(session.id, TEST_ADMIN));

      expect(error.code).toBe('POLICY_VIOLATION');
      expect(error.message).toContain('audit-log: aws.sqs_queue "audit-log" keeps messages for 4 days (messageRetentionSeconds 345600), longer than project short-retention allows (1 day)');
      expect(error.message).toContain('settings.policies["acme.sqs-retention"].maxRetentionDays');
      expect(error.details?.violations).toEqual([expect.objectContaining({ code: 'SQS_RETENTION', address: 'audit-log' })]);
      expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_FAILED');

      await orchestrator.removeResource(session.id, TEST_ADMIN, 'audit-log');
      expect(await orchestrator.validateSession(session.id, TEST_ADMIN)).toEqual({ ok: true, violations: [] });
    });

    it("validates the policy's settings when a project is created, naming the field", async () => {
      const error = await rejection(
        t.kernel.projects.create({ id: 'bad-retention', provider: 'aws', createdBy: TEST_ADMIN, settings: { ...AWS_SETTINGS, policies: { 'acme.sqs-retention': { maxRetentionDays: 30 } } } }),
      );
      expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.policies.acme.sqs-retention.maxRetentionDays' });
      expect(error.message).toContain('at most 14 days');
    });

    // A real `terraform plan` with the real AWS provider, offline: fake keys and the skip_* flags.
    it.skipIf(!HAS_AWS_MIRROR)('plans both queues for real and prices them with the example estimator, leaving nothing unpriced', async () => {
      const { orchestrator } = t.kernel;
      const session = await orchestrator.startSession(TEST_ADMIN, 'queues');
      await orchestrator.addResource(session.id, TEST_ADMIN, { type: 'aws.sqs_queue', name: 'inbox', config: { visibilityTimeoutSeconds: 120, tags: { note: '${not.a.reference}' } } });
      await orchestrator.addResource(session.id, TEST_ADMIN, { type: 'aws.sqs_queue', name: 'orders', config: { queueName: 'acme-orders.fifo', fifo: true, messageRetentionSeconds: 86_400 } });

      const plan = await orchestrator.runPlan(session.id, TEST_ADMIN);

      expect(plan.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
      const change = (address: string) => plan.planJson.resource_changes?.find((item) => item.address === address)?.change;
      const after = (address: string) => change(address)?.after;
      expect(change('aws_sqs_queue.inbox')?.actions).toEqual(['create']);
      expect(after('aws_sqs_queue.inbox')).toMatchObject({ name: 'inbox', fifo_queue: false, visibility_timeout_seconds: 120, message_retention_seconds: FOUR_DAYS, tags: { note: '${not.a.reference}' } });
      expect(after('aws_sqs_queue.orders')).toMatchObject({ name: 'acme-orders.fifo', fifo_queue: true, visibility_timeout_seconds: 30, message_retention_seconds: 86_400 });
      expect(plan.planJson.output_changes?.inbox?.actions).toEqual(['create']);
      expect(plan.cost?.unpriced).toEqual([]);
      expect(plan.cost?.lines).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ address: 'aws_sqs_queue.inbox', type: 'aws_sqs_queue', action: 'create', monthly: 0.4, monthlyDelta: 0.4 }),
          expect.objectContaining({ address: 'aws_sqs_queue.orders', action: 'create', monthly: 0.5 }),
        ]),
      );
      expect(plan.cost?.lines.find((line) => line.address === 'aws_sqs_queue.inbox')?.assumption).toBe(
        '1M requests a month at $0.40 per million (standard queue, us-east-1 list price; free tier and data transfer not included)',
      );
      expect(plan.cost?.monthly).toBe(0.9);
      expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
    });
  });
});

if (!HAS_AWS_MIRROR) {
  console.warn(`Skipping the real plan of the example plugin's SQS queues: no offline AWS provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
}
