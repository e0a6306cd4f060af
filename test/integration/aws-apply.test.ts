import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HAS_AWS_EMULATORS,
  NO_AWS_EMULATORS_REASON,
  startAwsEmulators,
  useEmulatorAwsEnv,
  type AwsEmulators,
} from '../support/aws-emulators.js';
import { runTerraform, sessionTerraformEnv } from '../support/terraform-cli.js';
import { createProject, HAS_AWS_MIRROR, startTestKernel, TF_PLUGIN_DIR, type TestKernel } from '../support/test-kernel.js';

const CAN_RUN = HAS_AWS_MIRROR && HAS_AWS_EMULATORS;
if (!HAS_AWS_MIRROR) console.warn(`Skipping AWS applies on emulators: no offline provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
if (!HAS_AWS_EMULATORS) console.warn(NO_AWS_EMULATORS_REASON);

// Whole sessions through the kernel with the real AWS provider, against s3rver (S3) and dynalite
// (DynamoDB) on 127.0.0.1. The endpoints reach terraform as AWS_ENDPOINT_URL_S3 / _DYNAMODB.
describe.skipIf(!CAN_RUN)('aws sessions applied for real on local S3 and DynamoDB emulators', () => {
  let emulators: AwsEmulators | undefined;
  let t: TestKernel | undefined;
  let restoreEnv: (() => void) | undefined;
  let settings: Record<string, unknown>;

  beforeAll(async () => {
    // Credentials come from the standard AWS environment, as in production: s3rver's own key pair.
    restoreEnv = useEmulatorAwsEnv();
    emulators = await startAwsEmulators();
    settings = {
      region: 'us-east-1',
      skipCredentialsValidation: true,
      endpoints: { s3: emulators.s3.url, dynamodb: emulators.dynamodb.url },
    };
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'aws-local', provider: 'aws', settings });
  }, 30_000);

  afterAll(async () => {
    // Each step runs even when an earlier one failed.
    await t?.dispose().catch((error: unknown) => console.warn('kernel dispose failed', error));
    await emulators?.stop().catch((error: unknown) => console.warn('emulator stop failed', error));
    restoreEnv?.();
  }, 30_000);

  it('plans and applies a bucket and a table, which then exist in the services and re-plan with no changes', async () => {
    const { orchestrator } = t!.kernel;
    const session = await orchestrator.startSession('alice', 'aws-local', 'aws');
    // No tags on the bucket: s3rver does not implement bucket tagging.
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'assets', config: { bucket: 'ce-assets' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.dynamodb_table', name: 'orders', config: { tableName: 'ce-orders', hashKey: 'id' } });

    const plan = await orchestrator.runPlan(session.id, 'alice');
    expect(plan.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(await emulators!.s3.bucketNames()).toEqual([]);

    const lines: string[] = [];
    const applied = await orchestrator.approveAndApply(session.id, 'bob', { onOutput: (line) => lines.push(line) });
    expect(applied.state, `${applied.error}\n${lines.join('\n')}`).toBe('APPLIED');
    expect(applied.outputs).toMatchObject({ assets: { id: 'ce-assets' }, orders: { id: 'ce-orders' } });

    // Seen with the services' own APIs.
    expect(await emulators!.s3.bucketNames()).toEqual(['ce-assets']);
    expect(await emulators!.s3.bucketExists('ce-assets')).toBe(true);
    const table = await emulators!.dynamodb.describeTable('ce-orders');
    expect(table).toMatchObject({
      TableName: 'ce-orders',
      TableStatus: 'ACTIVE',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    });

    // APPLIED is final in the kernel, so the re-plan runs terraform itself in the session's working dir,
    // with the environment the kernel uses. First, the configuration there is what the session's resources
    // synthesize to now, so this re-plans the session and not a stale file.
    const synthesized = await orchestrator.synthesize(session.id, 'alice');
    expect(synthesized.hash).toBe(plan.configHash);
    expect(JSON.parse(readFileSync(join(applied.workingDir, 'main.tf.json'), 'utf8'))).toEqual(synthesized.config);
    // The kernel's environment for the session: the endpoints as AWS_ENDPOINT_URL_S3 / _DYNAMODB.
    const env = await sessionTerraformEnv(t!.kernel, session.id);
    expect(env).toEqual({ AWS_ENDPOINT_URL_S3: emulators!.s3.url, AWS_ENDPOINT_URL_DYNAMODB: emulators!.dynamodb.url });
    const replan = await runTerraform(['plan', '-input=false', '-no-color', '-detailed-exitcode', '-lock-timeout=0s'], {
      cwd: applied.workingDir,
      env,
      timeoutMs: 40_000,
    });
    // -detailed-exitcode: 0 = no changes, 1 = error, 2 = changes.
    expect(replan.code, replan.output).toBe(0);
    expect(replan.stdout).toContain('No changes.');
  }, 90_000);

  it('gives a second session its own state: it plans only its own resources and leaves the first session\'s alone', async () => {
    const { orchestrator } = t!.kernel;
    const session = await orchestrator.startSession('bob', 'aws-local');
    await orchestrator.addResource(session.id, 'bob', { type: 'aws.s3_bucket', name: 'logs', config: { bucket: 'ce-logs' } });

    const plan = await orchestrator.runPlan(session.id, 'bob');
    // Nothing of the first session's to destroy: its state is not this session's.
    expect(plan.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(plan.changes.map((change) => change.address)).toEqual(['aws_s3_bucket.logs']);

    const applied = await orchestrator.approveAndApply(session.id, 'alice');
    expect(applied.state, applied.error ?? '').toBe('APPLIED');
    expect(await emulators!.s3.bucketNames()).toEqual(['ce-assets', 'ce-logs']);
    expect(await emulators!.dynamodb.tableNames()).toEqual(['ce-orders']);
  }, 60_000);

  it('destroys each session through destroySession + approveAndApply; the buckets and the table are gone from the services', async () => {
    const { orchestrator } = t!.kernel;
    const deployed = await orchestrator.listSessions({ projectId: 'aws-local', states: ['APPLIED'] });
    expect(deployed).toHaveLength(2);
    for (const session of deployed) {
      const plan = await orchestrator.destroySession(session.id, session.userId);
      expect(plan.toAdd).toBe(0);
      expect(plan.toDestroy).toBe(session.resources.length);
      const approver = session.userId === 'alice' ? 'bob' : 'alice';
      const final = await orchestrator.approveAndApply(session.id, approver);
      expect(final.state, final.error ?? '').toBe('DESTROYED');
    }
    expect(await emulators!.s3.bucketNames()).toEqual([]);
    expect(await emulators!.dynamodb.describeTable('ce-orders')).toBeUndefined();
    expect(await emulators!.dynamodb.tableNames()).toEqual([]);
  }, 90_000);
});
