import { CreateTagsCommand, DescribeImagesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetBucketTaggingCommand, PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelEventMap } from '../../src/kernel/events/kernel-events.js';
import { useEmulatorAwsEnv } from '../support/aws-emulators.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, type MotoServer } from '../support/moto.js';
import { createProject, HAS_AWS_MIRROR, startTestKernel, TF_PLUGIN_DIR, type TestKernel } from '../support/test-kernel.js';

const CAN_RUN = HAS_AWS_MIRROR && HAS_MOTO;
if (!HAS_AWS_MIRROR) console.warn(`Skipping drift on moto: no offline provider mirror at ${TF_PLUGIN_DIR}.`);
if (!HAS_MOTO) console.warn(NO_MOTO_REASON);

const MOTO_AMI_NAME = 'amzn2-ami-hvm-2.0.20180810-x86_64-gp2';

// A bucket and an instance deployed for real on moto, their tags then changed behind Terraform's back
// with the AWS SDK: the drift check names both and the tags that differ, a second check of the same
// drift is not announced again, Reconcile's plan puts the tags back, and after its apply a check says NONE.
describe.skipIf(!CAN_RUN)('drift found and reconciled on moto', () => {
  let moto: MotoServer;
  let t: TestKernel;
  let ec2: EC2Client;
  let s3: S3Client;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    restoreEnv = useEmulatorAwsEnv();
    [moto, t] = await Promise.all([startMoto(), startTestKernel()]);
    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    ec2 = new EC2Client({ endpoint: moto.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    s3 = new S3Client({ endpoint: moto.url, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
    await createProject(t.kernel, { id: 'drift', provider: 'aws', settings: { region: 'us-east-1', endpoint: moto.url, skipCredentialsValidation: true } });
  }, 60_000);

  afterAll(async () => {
    ec2?.destroy();
    s3?.destroy();
    await t?.dispose().catch((error: unknown) => console.warn('kernel dispose failed', error));
    await moto?.stop().catch((error: unknown) => console.warn('moto stop failed', error));
    restoreEnv?.();
  }, 30_000);

  it('names the drifted bucket and instance with their tags, announces it once, and Reconcile puts the cloud back', async () => {
    const { orchestrator, deployments, events, audit } = t.kernel;
    const images = await ec2.send(new DescribeImagesCommand({ Filters: [{ Name: 'name', Values: [MOTO_AMI_NAME] }] }));
    const ami = images.Images![0]!.ImageId!;
    const session = await orchestrator.startSession('alice', 'drift', undefined, { deployment: 'assets' });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'files', config: { bucket: 'drift-files', tags: { env: 'prod' } } });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.instance', name: 'vm', config: { ami, instanceType: 't3.micro', tags: { env: 'prod', team: 'web' } } });
    await orchestrator.runPlan(session.id, 'alice');
    expect((await orchestrator.approveAndApply(session.id, 'bob')).state).toBe('APPLIED');
    const deploymentId = session.deploymentId;

    // Nothing changed yet.
    const clean = await orchestrator.checkDrift(deploymentId, 'alice');
    expect(clean).toMatchObject({ status: 'NONE', resources: [], error: null, checkedBy: 'alice' });

    // Someone edits the tags in the console.
    await s3.send(new PutBucketTaggingCommand({ Bucket: 'drift-files', Tagging: { TagSet: [{ Key: 'env', Value: 'staging' }] } }));
    const reservations = (await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:team', Values: ['web'] }, { Name: 'instance-state-name', Values: ['running'] }] }))).Reservations!;
    const instanceId = reservations[0]!.Instances![0]!.InstanceId!;
    await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: 'team', Value: 'data' }, { Key: 'owner', Value: 'mallory' }] }));

    const announced: KernelEventMap['deployment.drifted'][] = [];
    events.on('deployment.drifted', (event) => announced.push(event));
    const drift = await orchestrator.checkDrift(deploymentId, 'alice');
    expect(drift.status).toBe('DRIFTED');
    expect(drift.resources.map((resource) => [resource.address, resource.resource, resource.action])).toEqual([
      ['aws_instance.vm', 'vm', 'update'],
      ['aws_s3_bucket.files', 'files', 'update'],
    ]);
    const attributes = (address: string) => drift.resources.find((resource) => resource.address === address)!.attributes;
    expect(attributes('aws_s3_bucket.files')).toEqual(expect.arrayContaining([{ path: 'tags.env', before: 'prod', after: 'staging' }]));
    expect(attributes('aws_instance.vm')).toEqual(expect.arrayContaining([{ path: 'tags.team', before: 'web', after: 'data' }, { path: 'tags.owner', after: 'mallory' }]));
    expect(announced).toHaveLength(1);
    expect(announced[0]).toMatchObject({ deploymentId, name: 'assets', drift: { status: 'DRIFTED', fingerprint: drift.fingerprint } });

    // Kept on the deployment and in the audit trail; the same drift found again is not announced again.
    expect((await deployments.get(deploymentId)).drift).toMatchObject({ status: 'DRIFTED', fingerprint: drift.fingerprint });
    const again = await orchestrator.checkDrift(deploymentId, 'bob');
    expect(again.fingerprint).toBe(drift.fingerprint);
    expect(announced).toHaveLength(1);
    const trail = await audit.list({ projectId: 'drift', action: 'deployment.driftChecked' });
    expect(trail.map((event) => event.details.status)).toEqual(expect.arrayContaining(['NONE', 'DRIFTED', 'DRIFTED']));

    // The declared config is untouched by a drift.
    expect((await deployments.get(deploymentId)).resources.find((resource) => resource.name === 'files')!.config).toMatchObject({ tags: { env: 'prod' } });

    // Reconcile: a change of the deployment as declared, planned at once; its plan restores the tags.
    const change = await orchestrator.reconcileDrift(deploymentId, 'alice');
    expect(change.state).toBe('PLAN_READY');
    expect(change.plan!.changes.map((planned) => [planned.address, planned.actions.join(',')]).sort()).toEqual([
      ['aws_instance.vm', 'update'],
      ['aws_s3_bucket.files', 'update'],
    ]);
    expect((await orchestrator.approveAndApply(change.id, 'bob', { planId: change.plan!.id })).state).toBe('APPLIED');
    const tagging = await s3.send(new GetBucketTaggingCommand({ Bucket: 'drift-files' }));
    expect(tagging.TagSet).toEqual([{ Key: 'env', Value: 'prod' }]);

    const after = await orchestrator.checkDrift(deploymentId, 'alice');
    expect(after).toMatchObject({ status: 'NONE', resources: [], fingerprint: null });
  }, 240_000);
});
