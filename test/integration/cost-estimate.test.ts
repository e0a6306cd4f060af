import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCost } from '../../src/kernel/sessions/cost.js';
import { createProject, HAS_AWS_MIRROR, TF_PLUGIN_DIR, startTestKernel, type TestKernel } from '../support/test-kernel.js';

if (!HAS_AWS_MIRROR) {
  console.warn(`Skipping the real AWS cost estimate: no offline provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
}

// The built-in price-table estimator reading a real `terraform show -json`, offline: fake keys and the skip_* flags.
describe.skipIf(!HAS_AWS_MIRROR)('the cost of a real AWS plan from the built-in price book', () => {
  let t: TestKernel;
  const saved = { ...process.env };
  beforeAll(async () => {
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAFAKEFAKEFAKEFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret-for-offline-plans', AWS_EC2_METADATA_DISABLED: 'true' });
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'aws-cost', provider: 'aws', settings: { region: 'us-east-1', skipCredentialsValidation: true } });
  });
  afterAll(async () => {
    await t?.dispose();
    process.env = saved;
  });

  it('prices a t3.micro and a bucket in us-east-1, line by line and in total', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'aws-cost', 'aws');
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.instance', name: 'web', config: { ami: 'ami-0123456789abcdef0', instanceType: 't3.micro' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'assets', config: { bucket: 'cloud-engine-cost-assets' } });

    const plan = await orchestrator.runPlan(session.id, 'alice');

    expect(plan.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
    // The estimator's fallback for projects without a region reads this path; keep it honest against a real plan.
    expect(plan.planJson.configuration).toMatchObject({ provider_config: { aws: { expressions: { region: { constant_value: 'us-east-1' } } } } });
    const cost = plan.cost!;
    expect(cost.currency).toBe('USD');
    expect(cost.unpriced).toEqual([]);
    const byAddress = Object.fromEntries(cost.lines.map((line) => [line.address, line]));
    // t3.micro: 0.0104 + 8 × 0.08 / 730 = 0.011276712… an hour → 0.011277; 0.0104 × 730 + 8 × 0.08 = 7.592 + 0.64 = 8.232 → 8.23 a month
    expect(byAddress['aws_instance.web']).toEqual({
      address: 'aws_instance.web',
      type: 'aws_instance',
      action: 'create',
      hourly: 0.011277,
      monthly: 8.23,
      monthlyDelta: 8.23,
      assumption: 't3.micro on-demand Linux in us-east-1 + 8 GB gp3 root volume',
    });
    // Bucket: 50 GB × 0.023 = 1.15 a month; 1.15 / 730 = 0.001575342… → 0.001575 an hour
    expect(byAddress['aws_s3_bucket.assets']).toEqual({
      address: 'aws_s3_bucket.assets',
      type: 'aws_s3_bucket',
      action: 'create',
      hourly: 0.001575,
      monthly: 1.15,
      monthlyDelta: 1.15,
      assumption: '50 GB stored in S3 Standard in us-east-1 (requests and transfer not included)',
    });
    // Totals: 0.011277 + 0.001575 = 0.012852 → 0.0129 an hour (the kernel keeps 4 places); 8.23 + 1.15 = 9.38 a month
    expect(cost).toMatchObject({ hourly: 0.0129, monthly: 9.38, monthlyDelta: 9.38 });
    expect(formatCost(cost)).toBe('$0.01/hour | $9.38/month');
  });
});

describe('the cost of a sandbox plan', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'dev', provider: 'sandbox' });
  });
  afterAll(() => t?.dispose());

  it('is $0.00, with the sandbox assumption on every line and nothing unpriced', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'dev', 'sandbox');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web', config: { size: 'medium' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets', config: {} });

    const plan = await orchestrator.runPlan(session.id, 'alice');

    const cost = plan.cost!;
    expect(cost).toMatchObject({ currency: 'USD', hourly: 0, monthly: 0, monthlyDelta: 0, unpriced: [] });
    expect(cost.lines.map((line) => line.address).sort()).toEqual(['terraform_data.assets', 'terraform_data.web']);
    for (const line of cost.lines) {
      expect(line).toMatchObject({ type: 'terraform_data', action: 'create', hourly: 0, monthly: 0, assumption: 'sandbox resource: runs locally, no cloud cost' });
    }
    expect(formatCost(cost)).toBe('$0.00/hour | $0.00/month');
  });
});
