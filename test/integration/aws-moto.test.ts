import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { PlanResult } from '../../src/kernel/sessions/session-view.js';
import { useEmulatorAwsEnv } from '../support/aws-emulators.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, xmlValues, type MotoServer } from '../support/moto.js';
import { rejection } from '../support/rejection.js';
import { sessionTerraformEnv } from '../support/terraform-cli.js';
import { createProject, HAS_AWS_MIRROR, startTestKernel, TF_PLUGIN_DIR, type TestKernel } from '../support/test-kernel.js';

const CAN_RUN = HAS_AWS_MIRROR && HAS_MOTO;
if (!HAS_AWS_MIRROR) console.warn(`Skipping AWS applies on moto: no offline provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
if (!HAS_MOTO) console.warn(NO_MOTO_REASON);

/** The AMI moto ships (its id differs between moto releases, so it is looked up by name). */
const MOTO_AMI_NAME = 'amzn2-ami-hvm-2.0.20180810-x86_64-gp2';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

type Outputs = Record<string, Record<string, string>>;

/** What one deployment's changes go through: plan, approve by the other person, applied. */
async function applyChange(kernel: Kernel, sessionId: string): Promise<{ plan: PlanResult; outputs: Outputs }> {
  const plan = await kernel.orchestrator.runPlan(sessionId, 'alice');
  const lines: string[] = [];
  const applied = await kernel.orchestrator.approveAndApply(sessionId, 'bob', { onOutput: (line) => lines.push(line) });
  expect(applied.state, `${applied.error}\n${lines.slice(-30).join('\n')}`).toBe('APPLIED');
  return { plan, outputs: applied.outputs as Outputs };
}

/** Tears a deployment down the way users do (destroyDeployment, then an approval) and says it is DESTROYED. */
async function tearDown(kernel: Kernel, deploymentId: string): Promise<PlanResult> {
  const plan = await kernel.orchestrator.destroyDeployment(deploymentId, 'alice');
  const openId = (await kernel.deployments.get(deploymentId)).openSessionId!;
  const final = await kernel.orchestrator.approveAndApply(openId, 'bob');
  expect(final.state, final.error ?? '').toBe('APPLIED');
  expect((await kernel.deployments.get(deploymentId)).state).toBe('DESTROYED');
  return plan;
}

const actionsOf = (plan: PlanResult) => Object.fromEntries(plan.changes.map((change) => [change.address, change.actions.join(',')]));

// Whole deployments through the kernel with the real AWS provider against one moto server, the
// endpoint given as settings.endpoint (AWS_ENDPOINT_URL for terraform). The two deployments run
// side by side: SQS alone waits ~26 s per create or update for its attributes to settle.
describe.skipIf(!CAN_RUN)('aws networks, compute, IAM and queues applied for real on moto', () => {
  let moto: MotoServer;
  let t: TestKernel;
  let ec2: EC2Client;
  let restoreEnv: (() => void) | undefined;
  let ami: string;

  beforeAll(async () => {
    // Credentials come from the standard AWS environment, as in production; moto takes any.
    restoreEnv = useEmulatorAwsEnv();
    [moto, t] = await Promise.all([startMoto(), startTestKernel()]);
    ec2 = new EC2Client({ endpoint: moto.url, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    const images = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: [MOTO_AMI_NAME] }] }));
    ami = images.Images![0]!.ImageId!;
    await createProject(t.kernel, { id: 'moto', provider: 'aws', settings: { region: 'us-east-1', endpoint: moto.url, skipCredentialsValidation: true } });
  }, 60_000);

  afterAll(async () => {
    ec2?.destroy();
    await t?.dispose().catch((error: unknown) => console.warn('kernel dispose failed', error));
    await moto?.stop().catch((error: unknown) => console.warn('moto stop failed', error));
    restoreEnv?.();
  }, 30_000);

  it.concurrent('a VPC, a public subnet, a security group, a role and an instance referring to them: applied, changed in place, destroyed', async () => {
    const { kernel } = t;
    const { orchestrator } = kernel;
    const session = await orchestrator.startSession('alice', 'moto', undefined, { deployment: 'web' });
    // The instance comes first: synthesis orders everything after what it refers to.
    const instance = { ami, instanceType: 't3.micro', subnet: 'public', securityGroups: 'web', role: 'reader', tags: { team: 'web' } };
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.vpc', name: 'main', config: { cidr: '10.0.0.0/16' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.subnet', name: 'public', config: { vpc: 'main', cidr: '10.0.1.0/24', public: true } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.security_group', name: 'web', config: { vpc: 'main', ingress: '22/tcp/10.0.0.0/8' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.iam_role', name: 'reader', config: { managedPolicyArns: READ_ONLY } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.instance', name: 'vm', config: instance });
    // Terraform reaches moto through the environment only: the URL is nowhere in the configuration.
    expect(await sessionTerraformEnv(kernel, session.id)).toEqual({ AWS_ENDPOINT_URL: moto.url });

    const created = await applyChange(kernel, session.id);
    expect(created.plan.summary).toBe('Plan: 11 to add, 0 to change, 0 to destroy.');
    // The instance is priced; every other part is one AWS does not bill, and says so: nothing is unpriced.
    expect(created.plan.cost?.unpriced).toEqual([]);
    expect(created.plan.cost?.lines.find((line) => line.address === 'aws_vpc.main')).toMatchObject({ monthly: 0, assumption: expect.stringMatching(/^no charge for a VPC/) });
    expect(created.plan.cost?.monthly).toBe(8.23);
    const { main, public: subnet, web, reader, vm } = created.outputs;
    expect(main!.id).toMatch(/^vpc-/);
    expect(subnet!.id).toMatch(/^subnet-/);
    expect(web!.id).toMatch(/^sg-/);
    expect(vm!.id).toMatch(/^i-/);
    expect(reader).toMatchObject({ name: 'reader', arn: 'arn:aws:iam::123456789012:role/reader' });

    // Asked of moto through the AWS SDK: the instance really is in that subnet, with that group and role.
    const described = async (): Promise<Instance> => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [vm!.id!] }))).Reservations![0]!.Instances![0]!;
    expect(await described()).toMatchObject({
      InstanceType: 't3.micro',
      SubnetId: subnet!.id,
      VpcId: main!.id,
      ImageId: ami,
      PrivateIpAddress: vm!.private_ip,
      SecurityGroups: [{ GroupId: web!.id, GroupName: 'web' }],
      IamInstanceProfile: { Arn: expect.stringMatching(/^arn:aws:iam::123456789012:instance-profile\/vm-/) },
      State: { Name: 'running' },
    });
    const subnets = await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnet!.id!] }));
    expect(subnets.Subnets![0]).toMatchObject({ VpcId: main!.id, CidrBlock: '10.0.1.0/24', MapPublicIpOnLaunch: true });
    const routes = await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnet!.id!] }] }));
    expect(routes.RouteTables![0]!.Routes).toContainEqual(expect.objectContaining({ DestinationCidrBlock: '0.0.0.0/0', GatewayId: main!.internet_gateway_id }));
    expect(xmlValues(await moto.query('iam', 'ListAttachedRolePolicies', { RoleName: 'reader' }), 'PolicyArn')).toEqual([READ_ONLY]);

    // A bigger instance and one more inbound rule: both change in place, nothing is replaced.
    const change = await orchestrator.startSession('alice', 'moto', undefined, { deployment: 'web' });
    await orchestrator.updateResource(change.id, 'alice', { name: 'vm', config: { ...instance, instanceType: 't3.small' } });
    await orchestrator.updateResource(change.id, 'alice', { name: 'web', config: { vpc: 'main', ingress: '22/tcp/10.0.0.0/8, 443/tcp/0.0.0.0/0' } });
    const changed = await applyChange(kernel, change.id);
    expect(changed.plan.summary).toBe('Plan: 0 to add, 2 to change, 0 to destroy.');
    expect(actionsOf(changed.plan)).toEqual({ 'aws_instance.vm': 'update', 'aws_security_group.web': 'update' });
    expect(changed.plan.cost?.lines.find((line) => line.address === 'aws_instance.vm')).toMatchObject({ action: 'update', monthlyDelta: 7.59 });
    expect(changed.outputs.vm!.id).toBe(vm!.id);
    expect(await described()).toMatchObject({ InstanceType: 't3.small', SecurityGroups: [{ GroupId: web!.id }] });
    const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [web!.id!] }))).SecurityGroups![0]!;
    expect(group.IpPermissions!.map((rule) => `${rule.FromPort}/${rule.IpProtocol}/${rule.IpRanges!.map((range) => range.CidrIp).join()}`).sort()).toEqual([
      '22/tcp/10.0.0.0/8',
      '443/tcp/0.0.0.0/0',
    ]);

    const deploymentId = (await orchestrator.getSession(session.id)).deploymentId;
    const teardown = await tearDown(kernel, deploymentId);
    expect(teardown.summary).toBe('Plan: 0 to add, 0 to change, 11 to destroy.');
    // Nothing of it is left in moto: only the default VPC's own parts remain, and the instance is terminated.
    expect((await described()).State?.Name).toBe('terminated');
    expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.filter((vpc) => !vpc.IsDefault)).toEqual([]);
    expect((await ec2.send(new DescribeSubnetsCommand({}))).Subnets!.filter((item) => !item.DefaultForAz)).toEqual([]);
    expect((await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups!.filter((item) => item.GroupName !== 'default')).toEqual([]);
    expect((await ec2.send(new DescribeInternetGatewaysCommand({}))).InternetGateways!.map((gateway) => gateway.InternetGatewayId)).not.toContain(main!.internet_gateway_id);
    expect((await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [main!.id!] }] }))).RouteTables).toEqual([]);
    expect(xmlValues(await moto.query('iam', 'ListRoles'), 'RoleName')).toEqual([]);
    expect(xmlValues(await moto.query('iam', 'ListInstanceProfiles'), 'InstanceProfileName')).toEqual([]);
  }, 240_000);

  it.concurrent('an SQS queue and an SNS topic: applied, retention and tags changed in place, destroyed', async () => {
    const { kernel } = t;
    const { orchestrator } = kernel;
    const session = await orchestrator.startSession('alice', 'moto', undefined, { deployment: 'events' });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.queue', name: 'jobs', config: { retentionSeconds: 86_400 } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.sns_topic', name: 'alerts', config: { tags: { team: 'ops' } } });

    const created = await applyChange(kernel, session.id);
    expect(created.plan.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
    // Billed by use, which the price book cannot know: listed as unpriced with why, never as $0.
    expect(created.plan.cost).toMatchObject({ monthly: 0, lines: [] });
    expect(created.plan.cost?.unpriced.map((item) => `${item.address}: ${item.reason.slice(0, 30)}`).sort()).toEqual([
      'aws_sns_topic.alerts: SNS bills publishes and delive',
      'aws_sqs_queue.jobs: SQS bills requests, not time, ',
    ]);
    const { jobs, alerts } = created.outputs;
    expect(jobs).toEqual({ url: `${moto.url}/123456789012/jobs`, arn: 'arn:aws:sqs:us-east-1:123456789012:jobs' });
    expect(alerts).toEqual({ arn: 'arn:aws:sns:us-east-1:123456789012:alerts', name: 'alerts' });
    const retention = async () => {
      const answer = await moto.query('sqs', 'GetQueueAttributes', { QueueUrl: jobs!.url!, 'AttributeName.1': 'MessageRetentionPeriod' });
      return xmlValues(answer, 'Value')[0];
    };
    const topicTags = async () => {
      const answer = await moto.query('sns', 'ListTagsForResource', { ResourceArn: alerts!.arn! });
      const keys = xmlValues(answer, 'Key');
      return Object.fromEntries(keys.map((key, index) => [key, xmlValues(answer, 'Value')[index]]));
    };
    expect(await retention()).toBe('86400');
    expect(await topicTags()).toEqual({ team: 'ops' });

    const change = await orchestrator.startSession('alice', 'moto', undefined, { deployment: 'events' });
    await orchestrator.updateResource(change.id, 'alice', { name: 'jobs', config: { retentionSeconds: 172_800 } });
    await orchestrator.updateResource(change.id, 'alice', { name: 'alerts', config: { tags: { team: 'ops', tier: 'gold' } } });
    const changed = await applyChange(kernel, change.id);
    expect(actionsOf(changed.plan)).toEqual({ 'aws_sqs_queue.jobs': 'update', 'aws_sns_topic.alerts': 'update' });
    expect(changed.outputs).toEqual(created.outputs);
    expect(await retention()).toBe('172800');
    expect(await topicTags()).toEqual({ team: 'ops', tier: 'gold' });

    const deploymentId = (await orchestrator.getSession(session.id)).deploymentId;
    expect((await tearDown(kernel, deploymentId)).summary).toBe('Plan: 0 to add, 0 to change, 2 to destroy.');
    expect(xmlValues(await moto.query('sqs', 'ListQueues'), 'QueueUrl')).toEqual([]);
    expect(xmlValues(await moto.query('sns', 'ListTopics'), 'TopicArn')).toEqual([]);
  }, 240_000);

  it.concurrent('a reference to a resource of the wrong type is refused naming the field, and adds nothing', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'moto', undefined, { deployment: 'wrong' });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.vpc', name: 'main', config: {} });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.security_group', name: 'ssh', config: { vpc: 'main', ingress: '22/tcp/10.0.0.0/8' } });
    const asSubnet = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'aws.instance', name: 'vm', config: { ami, instanceType: 't3.micro', subnet: 'ssh' } }));
    expect(asSubnet).toMatchObject({ code: 'INVALID_INPUT', field: 'config.subnet' });
    expect(asSubnet.message).toContain('refers to ssh, a aws.security_group, but needs a aws.subnet');
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.subnet', name: 'app', config: { vpc: 'main', cidr: '10.0.2.0/24' } });
    const inList = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'aws.instance', name: 'vm', config: { ami, instanceType: 't3.micro', subnet: 'app', securityGroups: 'ssh, main' } }));
    expect(inList).toMatchObject({ code: 'INVALID_INPUT', field: 'config.securityGroups' });
    expect(inList.message).toContain('refers to main, a aws.vpc, but needs a aws.security_group');
    const subnetOfGroup = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'aws.subnet', name: 'odd', config: { vpc: 'ssh', cidr: '10.0.3.0/24' } }));
    expect(subnetOfGroup).toMatchObject({ code: 'INVALID_INPUT', field: 'config.vpc' });
    expect((await orchestrator.getSession(session.id)).resources.map((resource) => resource.name)).toEqual(['main', 'ssh', 'app']);
    await orchestrator.cancelSession(session.id, 'alice');
  });

  it('ran every plan, show and apply above on pooled providers: none fell back to a normal launch', async () => {
    const { pool } = (await t.kernel.orchestrator.stats()).terraform;
    expect(pool).toMatchObject({ fallbacks: 0, crashes: 0 });
    // 6 plans, 6 shows and 6 applies; a miss starts a process, so together they count every command.
    expect(pool!.hits + pool!.misses).toBeGreaterThanOrEqual(18);
  });
});
