import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/server.js';
import { useEmulatorAwsEnv } from '../support/aws-emulators.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, type MotoServer } from '../support/moto.js';
import { createProject, HAS_AWS_MIRROR, startTestKernel, TF_PLUGIN_DIR, type TestKernel } from '../support/test-kernel.js';

const CHROMIUM = '/usr/bin/chromium';
const DOCS = join(import.meta.dirname, '..', '..', 'docs');
/** DASHBOARD_SCREENSHOTS=1 writes the deployment page (graph, cost per resource, drift) to docs/dashboard-deployment.png. */
const SCREENSHOTS = process.env.DASHBOARD_SCREENSHOTS === '1';
const MOTO_AMI_NAME = 'amzn2-ami-hvm-2.0.20180810-x86_64-gp2';

const CAN_RUN = HAS_AWS_MIRROR && HAS_MOTO && existsSync(CHROMIUM);
if (!HAS_AWS_MIRROR) console.warn(`Skipping the dashboard's drift on moto: no offline provider mirror at ${TF_PLUGIN_DIR}.`);
if (!HAS_MOTO) console.warn(NO_MOTO_REASON);
if (!existsSync(CHROMIUM)) console.warn(`Skipping the dashboard's drift on moto: no ${CHROMIUM} (.ci/run installs Debian's chromium).`);

// (Every resource has tags and the VPC no internet gateway: moto reports an untagged resource's tags as {} where
// the state holds null, and a public subnet's route table differently from the state, both seen as drift.)
// A VPC, a subnet, a security group, an instance on them and a bucket, deployed for real on moto; the bucket's
// tags then changed behind Terraform's back with the AWS SDK. In the browser: the graph of their references,
// each resource's price, Check drift now finding the tag, Dismiss, and Reconcile opening the change that puts it back.
describe.skipIf(!CAN_RUN)('drift on the deployment page, in a real browser, on moto', () => {
  let moto: MotoServer;
  let t: TestKernel;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let s3: S3Client;
  let restoreEnv: (() => void) | undefined;

  async function signedIn(userId: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto((await t.kernel.signIns.issueLink(userId, dashboard.url)).url);
    await page.waitForURL(`${dashboard.url}/`, { timeout: 10_000 });
    return page;
  }

  beforeAll(async () => {
    restoreEnv = useEmulatorAwsEnv();
    [moto, t] = await Promise.all([startMoto(), startTestKernel()]);
    s3 = new S3Client({ endpoint: moto.url, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, forcePathStyle: true, maxAttempts: 1 });
    await createProject(t.kernel, { id: 'shop', provider: 'aws', settings: { region: 'us-east-1', endpoint: moto.url, skipCredentialsValidation: true } }, { alice: 'deploy', bob: 'deploy' });
    dashboard = (await startDashboard(t.kernel, { port: 0, host: '127.0.0.1' }, {}))!;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    s3?.destroy();
    await t?.dispose().catch((error: unknown) => console.warn('kernel dispose failed', error));
    await moto?.stop().catch((error: unknown) => console.warn('moto stop failed', error));
    restoreEnv?.();
  }, 30_000);

  it('draws the references, prices each resource, finds the changed tag from the page, dismisses it, and Reconcile opens the change that puts it back', async () => {
    const { orchestrator } = t.kernel;
    const ec2 = new EC2Client({ endpoint: moto.url, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    const ami = (await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: [MOTO_AMI_NAME] }] }))).Images![0]!.ImageId!;
    ec2.destroy();
    const session = await orchestrator.startSession('alice', 'shop', undefined, { deployment: 'storefront' });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.vpc', name: 'main', config: { cidr: '10.0.0.0/16', internetGateway: false, tags: { env: 'prod' } } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.subnet', name: 'public', config: { vpc: 'main', cidr: '10.0.1.0/24', tags: { env: 'prod' } } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.security_group', name: 'web', config: { vpc: 'main', ingress: '443/tcp/0.0.0.0/0', tags: { env: 'prod' } } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.instance', name: 'app', config: { ami, instanceType: 't3.micro', subnet: 'public', securityGroups: 'web', tags: { env: 'prod' } } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'assets', config: { bucket: 'storefront-assets', tags: { env: 'prod' } } });
    const plan = await orchestrator.runPlan(session.id, 'alice');
    expect((await orchestrator.approveAndApply(session.id, 'bob', { planId: plan.id })).state).toBe('APPLIED');
    const deploymentId = session.deploymentId;

    const alice = await signedIn('alice');
    await alice.goto(`${dashboard.url}/deployments/${deploymentId}`);
    const nodes = await alice.locator('#graph g.node').evaluateAll((groups) => groups.map((group) => `${group.getAttribute('data-resource')}@${group.getAttribute('data-layer')}`));
    expect(nodes).toEqual(['app@2', 'assets@0', 'main@0', 'public@1', 'web@1']);
    const edges = await alice.locator('#graph path.edge').evaluateAll((paths) => paths.map((path) => `${path.getAttribute('data-from')}→${path.getAttribute('data-to')}`));
    expect(edges).toEqual(['app→web', 'app→public', 'public→main', 'web→main']);
    // The graph is drawn: its nodes have a size on the page.
    expect((await alice.locator('#graph g.node[data-resource="app"] rect').boundingBox())?.width).toBeGreaterThan(100);
    // The instance is priced from the price book (t3.micro on demand), the VPC costs nothing by itself.
    expect(await alice.locator('tr[data-resource="app"] td.cost').textContent()).toMatch(/^\$([1-9]\d*)\.\d\d\/mo/);
    expect(await alice.locator('tr[data-resource="main"] td.cost').textContent()).toContain('$0.00/mo');

    await alice.locator('#drift-check').click();
    await alice.waitForURL(/#drift$/, { timeout: 120_000 });
    expect(await alice.locator('#drift-status').textContent()).toBe('NONE');

    // Someone edits the bucket's tags in the console.
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'storefront-assets', Tagging: { TagSet: [{ Key: 'env', Value: 'staging' }] } }));
    await alice.locator('#drift-check').click();
    await expect.poll(() => alice.locator('#drift-status').textContent(), { timeout: 120_000 }).toBe('DRIFTED');
    const row = alice.locator('#drifted tr', { hasText: 'tags.env' });
    expect(await row.locator('td').allTextContents()).toEqual(['assets', 'aws_s3_bucket.storefront-assets', 'tags.env', 'prod', 'staging'].map((text, index) => (index === 1 ? expect.stringContaining('aws_s3_bucket.') : text)));
    if (SCREENSHOTS) await alice.screenshot({ path: join(DOCS, 'dashboard-deployment.png'), fullPage: true });

    await alice.locator('#drift-dismiss').click();
    await expect.poll(() => alice.locator('#drift-dismissed').count(), { timeout: 10_000 }).toBe(1);
    expect(await alice.locator('#drift-dismissed').textContent()).toContain('dismissed by alice');
    expect(await alice.locator('#drift-dismiss').count()).toBe(0);

    await alice.locator('#drift-reconcile').click();
    await alice.waitForURL(/\/sessions\/[A-Za-z0-9_-]+$/, { timeout: 30_000 });
    const changeId = new URL(alice.url()).pathname.split('/').pop()!;
    expect((await orchestrator.getSession(changeId)).deploymentId).toBe(deploymentId);
    await expect.poll(() => alice.locator('#session-state').textContent(), { timeout: 120_000 }).toBe('PLAN_READY');
    await alice.reload();
    expect(await alice.locator('#plan-summary').textContent()).toContain('0 to add, 1 to change, 0 to destroy');
    expect(await alice.locator('#policies .policy-passed').count()).toBe(1);
    await alice.context().close();
  }, 420_000);
});
