import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, createProject, HAS_AWS_MIRROR, TF_PLUGIN_DIR, startTestKernel, type TestKernel } from '../support/test-kernel.js';

if (!HAS_AWS_MIRROR) {
  console.warn(`Skipping the real AWS plan: no offline provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
}

// A real `terraform plan` with the real AWS provider, offline: fake keys and the skip_* flags.
describe.skipIf(!HAS_AWS_MIRROR)('an aws session planned for real from the offline mirror', () => {
  let t: TestKernel;
  const saved = { ...process.env };
  beforeAll(async () => {
    // Credentials come from the standard AWS environment, as in production.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-plans', AWS_EC2_METADATA_DISABLED: 'true' });
    t = await startTestKernel();
    await createProject(t.kernel, {
      id: 'aws-dev',
      provider: 'aws',
      createdBy: ADMIN,
      settings: { region: 'eu-west-1', skipCredentialsValidation: true },
    });
  });
  afterAll(async () => {
    await t?.dispose();
    process.env = saved;
  });

  it('plans an instance, a bucket and a table with the provider binary and reports the changes', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'aws-dev', 'aws');
    await orchestrator.addResource(session.id, 'alice', {
      type: 'aws.instance',
      name: 'web',
      config: { ami: 'ami-0123456789abcdef0', instanceType: 't3.micro', tags: { team: 'web', note: '${not.a.reference}' } },
    });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'assets', config: { bucket: 'cloud-engine-test-assets' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.dynamodb_table', name: 'orders', config: { hashKey: 'id' } });

    const plan = await orchestrator.runPlan(session.id, 'alice');

    expect(plan.summary).toBe('Plan: 3 to add, 0 to change, 0 to destroy.');
    expect(plan.changes.map((change) => change.address).sort()).toEqual(['aws_dynamodb_table.orders', 'aws_instance.web', 'aws_s3_bucket.assets']);
    const instance = plan.planJson.resource_changes?.find((change) => change.address === 'aws_instance.web');
    expect(instance?.provider_name).toBe('registry.terraform.io/hashicorp/aws');
    expect(instance?.change.after).toMatchObject({ ami: 'ami-0123456789abcdef0', instance_type: 't3.micro', tags: { team: 'web', note: '${not.a.reference}' } });
    expect(plan.planJson.terraform_version).toMatch(/^1\./);
    expect((await orchestrator.getSession(session.id)).state).toBe('PLAN_READY');
  });

  it('a re-plan of an initialized working dir skips init and still plans', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'aws-dev');
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'logs', config: { bucket: 'cloud-engine-test-logs' } });
    await orchestrator.runPlan(session.id, 'alice');
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'logs2', config: { bucket: 'cloud-engine-test-logs2' } });
    expect((await orchestrator.getSession(session.id)).state).toBe('DRAFT');
    const again = await orchestrator.runPlan(session.id, 'alice');
    expect(again.toAdd).toBe(2);
  });
});
