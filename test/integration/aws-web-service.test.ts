import {
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { HeadBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLobby, renderLobbyText } from '../../src/chat/lobby.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';
import type { PlanResult } from '../../src/kernel/sessions/session-view.js';
import { useEmulatorAwsEnv } from '../support/aws-emulators.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, xmlValues, type MotoServer } from '../support/moto.js';
import { rejection } from '../support/rejection.js';
import { ADMIN, createProject, HAS_AWS_MIRROR, startTestKernel, TF_PLUGIN_DIR, type TestKernel } from '../support/test-kernel.js';

const CAN_RUN = HAS_AWS_MIRROR && HAS_MOTO;
if (!HAS_AWS_MIRROR) console.warn(`Skipping the web service blueprint on moto: no offline provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
if (!HAS_MOTO) console.warn(NO_MOTO_REASON);

type Outputs = Record<string, Record<string, string>>;
const CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

async function applyChange(kernel: Kernel, sessionId: string): Promise<{ plan: PlanResult; outputs: Outputs }> {
  const plan = await kernel.orchestrator.runPlan(sessionId, 'alice');
  const applied = await kernel.orchestrator.approveAndApply(sessionId, 'bob');
  expect(applied.state, applied.error ?? '').toBe('APPLIED');
  return { plan, outputs: applied.outputs as Outputs };
}

async function tearDown(kernel: Kernel, sessionId: string): Promise<PlanResult> {
  const deploymentId = (await kernel.orchestrator.getSession(sessionId)).deploymentId;
  const plan = await kernel.orchestrator.destroyDeployment(deploymentId, 'alice');
  const final = await kernel.orchestrator.approveAndApply((await kernel.deployments.get(deploymentId)).openSessionId!, 'bob');
  expect(final.state, final.error ?? '').toBe('APPLIED');
  expect((await kernel.deployments.get(deploymentId)).state).toBe('DESTROYED');
  return plan;
}

// The aws.web_service blueprint through the kernel with the real AWS provider on one moto server
// (its own: RDS runs on another, in aws-rds.test.ts). Two projects' deployments run side by side.
describe.skipIf(!CAN_RUN)('aws.web_service (a blueprint) applied for real on moto', () => {
  let moto: MotoServer;
  let t: TestKernel;
  let ec2: EC2Client;
  let s3: S3Client;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    restoreEnv = useEmulatorAwsEnv();
    [moto, t] = await Promise.all([startMoto(), startTestKernel()]);
    ec2 = new EC2Client({ endpoint: moto.url, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    s3 = new S3Client({ endpoint: moto.url, region: 'us-east-1', credentials: CREDENTIALS, forcePathStyle: true, maxAttempts: 1 });
    const settings = { region: 'us-east-1', endpoint: moto.url, skipCredentialsValidation: true };
    await createProject(t.kernel, { id: 'web', provider: 'aws', settings });
    await createProject(t.kernel, { id: 'limited', provider: 'aws', settings: { ...settings, policies: { 'allowed-values': { instanceTypes: ['t3.micro'] } } } });
  }, 60_000);

  afterAll(async () => {
    ec2?.destroy();
    s3?.destroy();
    await t?.dispose().catch((error: unknown) => console.warn('kernel dispose failed', error));
    await moto?.stop().catch((error: unknown) => console.warn('moto stop failed', error));
    restoreEnv?.();
  }, 30_000);

  it.concurrent('with an assets bucket: every part priced, counted, shown in the lobby under the one resource, applied and destroyed', async () => {
    const { kernel } = t;
    const { orchestrator } = kernel;
    const session = await orchestrator.startSession('alice', 'web', undefined, { deployment: 'shop' });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.web_service', name: 'shop', config: { port: 8080, assetsBucket: true, tags: { team: 'shop' } } });

    const plan = await orchestrator.runPlan(session.id, 'alice');
    expect(plan.summary).toBe('Plan: 12 to add, 0 to change, 0 to destroy.');
    // Every planned part knows it is the blueprint's.
    expect(new Set(plan.changes.map((change) => change.resource))).toEqual(new Set(['shop']));
    // Cost comes from the plan, so every part has a line: the VM and the bucket priced, the rest free and saying so.
    expect(plan.cost?.unpriced).toEqual([]);
    expect(plan.cost?.lines.map((line) => line.address).sort()).toEqual(plan.changes.map((change) => change.address).sort());
    expect(plan.cost?.lines.find((line) => line.address === 'aws_instance.shop')).toMatchObject({ monthly: 8.23 });
    expect(plan.cost?.lines.find((line) => line.address === 'aws_s3_bucket.shop-Assets')).toMatchObject({ monthly: 1.15 });
    expect(plan.cost?.monthly).toBe(9.38);

    // The lobby shows one resource, with its parts' addresses.
    const lobby = await buildLobby(chatApiOf(kernel), await orchestrator.getSession(session.id));
    expect(lobby.resources).toHaveLength(1);
    expect(lobby.resources[0]!.parts).toHaveLength(12);
    expect(lobby.resources[0]!.parts).toEqual(expect.arrayContaining(['aws_vpc.shop-Network', 'aws_subnet.shop-Subnet', 'aws_security_group.shop-Firewall', 'aws_instance.shop', 'aws_s3_bucket.shop-Assets', 'aws_iam_role.shop-Role']));
    const text = renderLobbyText(lobby);
    expect(text).toContain('  • shop — aws.web_service (instanceType=t3.micro, port=8080, assetsBucket=true, tags={"team":"shop"})');
    expect(text).toContain(
      '      parts: aws_iam_instance_profile.shop-Profile, aws_iam_role.shop-Role, aws_iam_role_policy.shop-Role-AssetsRead, aws_instance.shop, aws_internet_gateway.shop-Network-Gateway, aws_route.shop-Subnet-Internet, aws_route_table.shop-Subnet-Routes, aws_route_table_association.shop-Subnet-Association, aws_s3_bucket.shop-Assets, aws_security_group.shop-Firewall, aws_subnet.shop-Subnet, aws_vpc.shop-Network',
    );

    const applied = await orchestrator.approveAndApply(session.id, 'bob');
    expect(applied.state, applied.error ?? '').toBe('APPLIED');
    const shop = (applied.outputs as Outputs).shop!;
    expect(shop).toMatchObject({ id: expect.stringMatching(/^i-/), vpc_id: expect.stringMatching(/^vpc-/), url: `http://${shop.public_ip}:8080`, assets_bucket: expect.stringMatching(/^assets-shop-/) });

    // Asked of moto: the VM is in the blueprint's subnet and group, which is open on the port, with the role's profile.
    const described = async (): Promise<Instance> => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [shop.id!] }))).Reservations![0]!.Instances![0]!;
    expect(await described()).toMatchObject({
      SubnetId: shop.subnet_id,
      VpcId: shop.vpc_id,
      SecurityGroups: [{ GroupId: shop.security_group_id }],
      IamInstanceProfile: { Arn: expect.stringMatching(/instance-profile\/shop-/) },
      Tags: [{ Key: 'team', Value: 'shop' }],
    });
    const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [shop.security_group_id!] }))).SecurityGroups![0]!;
    expect(group.IpPermissions).toEqual([expect.objectContaining({ FromPort: 8080, ToPort: 8080, IpProtocol: 'tcp', IpRanges: [expect.objectContaining({ CidrIp: '0.0.0.0/0' })] })]);
    await s3.send(new HeadBucketCommand({ Bucket: shop.assets_bucket }));
    const roleName = shop.role_arn!.slice(shop.role_arn!.lastIndexOf('/') + 1);
    expect(xmlValues(await moto.query('iam', 'ListRolePolicies', { RoleName: roleName }), 'member')).toEqual([expect.stringMatching(/^terraform-/)]);

    // Quotas count every part, not one resource.
    const usage = Object.fromEntries((await kernel.quotas.usage('web')).map((row) => [row.quotaKey, row.used]));
    expect(usage).toEqual({ compute_vm: 1, network: 1, subnet: 1, security_group: 1, storage_bucket: 1, iam_role: 1 });

    const teardown = await tearDown(kernel, session.id);
    expect(teardown.summary).toBe('Plan: 0 to add, 0 to change, 12 to destroy.');
    expect((await described()).State?.Name).toBe('terminated');
    expect((await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [shop.vpc_id!] }] }))).Vpcs).toEqual([]);
    await expect(s3.send(new HeadBucketCommand({ Bucket: shop.assets_bucket }))).rejects.toMatchObject({ name: 'NotFound' });
    expect(Object.fromEntries((await kernel.quotas.usage('web')).map((row) => [row.quotaKey, row.used]))).toEqual({});
  }, 300_000);

  it.concurrent('counted against quotas: compute_vm 1 refuses a second web service, and so does network 1 alone; policies see its VM in the plan', async () => {
    const { kernel } = t;
    const { orchestrator } = kernel;
    await kernel.quotas.set({ projectId: 'limited', quotaKey: 'compute_vm', limit: 1, setBy: ADMIN });
    await kernel.quotas.set({ projectId: 'limited', quotaKey: 'network', limit: 1, setBy: ADMIN });

    const first = await orchestrator.startSession('alice', 'limited', undefined, { deployment: 'api' });
    await orchestrator.addResource(first.id, 'alice', { type: 'aws.web_service', name: 'api', config: { instanceType: 't3.small' } });
    // allowed-values knows nothing of aws.web_service; it sees the blueprint's instance in the plan.
    const refused = await rejection(orchestrator.runPlan(first.id, 'alice'));
    expect(refused.code).toBe('POLICY_VIOLATION');
    expect(refused.details?.violations).toEqual([expect.objectContaining({ address: 'aws_instance.api', message: expect.stringContaining('instance_type "t3.small"') })]);
    await orchestrator.updateResource(first.id, 'alice', { name: 'api', config: { instanceType: 't3.micro' } });
    const { outputs } = await applyChange(kernel, first.id);
    expect(outputs.api).toMatchObject({ id: expect.stringMatching(/^i-/), url: expect.stringMatching(/^http:\/\/.+:80$/) });

    const second = await orchestrator.startSession('alice', 'limited', undefined, { deployment: 'blog' });
    await orchestrator.addResource(second.id, 'alice', { type: 'aws.web_service', name: 'blog', config: {} });
    const bothFull = await rejection(orchestrator.runPlan(second.id, 'alice'));
    expect(bothFull.code).toBe('QUOTA_EXCEEDED');
    expect(bothFull.details?.violations?.map((violation) => violation.message)).toEqual(['quota compute_vm: requested 1, used 1, limit 1', 'quota network: requested 1, used 1, limit 1']);
    // Room for another VM is not enough: its network counts too.
    await kernel.quotas.set({ projectId: 'limited', quotaKey: 'compute_vm', limit: 2, setBy: ADMIN });
    const networkFull = await rejection(orchestrator.runPlan(second.id, 'alice'));
    expect(networkFull.details?.violations?.map((violation) => violation.message)).toEqual(['quota network: requested 1, used 1, limit 1']);
    await orchestrator.cancelSession(second.id, 'alice');

    expect((await tearDown(kernel, first.id)).summary).toBe('Plan: 0 to add, 0 to change, 8 to destroy.');
  }, 300_000);

  it('left nothing in moto once both deployments were destroyed, and ran every terraform command on pooled providers', async () => {
    expect((await t.kernel.orchestrator.stats()).terraform.pool).toMatchObject({ fallbacks: 0, crashes: 0 });
    const reservations = (await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [];
    expect(reservations.flatMap((reservation) => reservation.Instances ?? []).filter((instance) => instance.State?.Name !== 'terminated')).toEqual([]);
    expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.filter((vpc) => !vpc.IsDefault)).toEqual([]);
    expect((await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.filter((subnet) => !subnet.DefaultForAz)).toEqual([]);
    expect((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.filter((group) => group.GroupName !== 'default')).toEqual([]);
    expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    expect(xmlValues(await moto.query('iam', 'ListRoles'), 'RoleName')).toEqual([]);
    expect(xmlValues(await moto.query('iam', 'ListInstanceProfiles'), 'InstanceProfileName')).toEqual([]);
  });
});
