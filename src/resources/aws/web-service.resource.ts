import { DataAwsAmi } from '@cdktf/provider-aws/lib/data-aws-ami/index.js';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { Fn, Token } from 'cdktf';
import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { hasEntries, tagsSchema } from '../tags.schema.js';
import { buildInstance, buildRole, buildSecurityGroup, buildSubnet, buildVpc } from './aws-parts.js';

const INSTANCE_TYPE_MESSAGE = 'instanceType must be an EC2 instance type: family.size in lowercase, e.g. t3.micro';
const PORT_MESSAGE = 'port must be a whole number from 1 to 65535';

/** Amazon Linux 2, the newest Amazon publishes; the instance keeps the one it started with (see buildInstance). */
const AMI_NAME = 'amzn2-ami-hvm-*-x86_64-gp2';
const VPC_CIDR = '10.0.0.0/16';
const SUBNET_CIDR = '10.0.1.0/24';

/** Input of an `aws.web_service`. */
export const awsWebServiceSchema = z.strictObject({
  instanceType: z
    .string({ error: INSTANCE_TYPE_MESSAGE })
    .regex(/^[a-z][a-z0-9-]{0,15}\.[a-z0-9]{1,16}$/, INSTANCE_TYPE_MESSAGE)
    .default('t3.micro')
    .describe('Instance type'),
  port: z.int({ error: PORT_MESSAGE }).min(1, PORT_MESSAGE).max(65_535, PORT_MESSAGE).default(80).describe('Port open to the internet (tcp)'),
  assetsBucket: z.boolean({ error: 'assetsBucket must be true or false' }).default(false).describe('S3 bucket for assets (the VM may read it)'),
  tags: tagsSchema('Tags (on every part)'),
});

/** Validated config of an `aws.web_service`. */
export type AwsWebServiceConfig = z.output<typeof awsWebServiceSchema>;

/**
 * A blueprint: a web server in a network of its own, as one resource. It
 * makes a VPC with an internet gateway (`<name>-Network`), a public subnet
 * in the region's first available zone (`<name>-Subnet`), a security group
 * open on `port` to everyone (`<name>-Firewall`) and an Amazon Linux 2
 * instance (`<name>`, the AMI found by `data.aws_ami`); with `assetsBucket`,
 * an S3 bucket (`<name>-Assets`) and a role the instance may read it with
 * (`<name>-Role`, through an instance profile). Each part counts against its
 * own quota key.
 */
export const awsWebServiceResource = defineResourceType({
  type: 'aws.web_service',
  provider: 'aws',
  description: 'A web server in a network of its own (VPC, public subnet, firewall, VM), optionally with an S3 bucket it may read.',
  quotaKey: 'compute_vm',
  quotas: (config) => ({
    compute_vm: 1,
    network: 1,
    subnet: 1,
    security_group: 1,
    ...(config.assetsBucket ? { storage_bucket: 1, iam_role: 1 } : {}),
  }),
  schema: awsWebServiceSchema,
  synthesize(scope, { name, config }) {
    const tags = hasEntries(config.tags) ? config.tags : undefined;
    // Every part's id is the name and a capitalized word, so it never takes another resource's name.
    const ami = new DataAwsAmi(scope, `${name}-Ami`, {
      mostRecent: true,
      owners: ['amazon'],
      filter: [{ name: 'name', values: [AMI_NAME] }],
    });
    const zones = new DataAwsAvailabilityZones(scope, `${name}-Zones`, { state: 'available' });
    const { vpc, gateway } = buildVpc(scope, `${name}-Network`, { cidr: VPC_CIDR, internetGateway: true, tags });
    const subnet = buildSubnet(scope, `${name}-Subnet`, {
      vpcId: vpc.id,
      cidr: SUBNET_CIDR,
      internetGatewayId: gateway!.id,
      availabilityZone: Token.asString(Fn.element(zones.names, 0)),
      tags,
    });
    // A fixed prefix: AWS refuses group names starting with "sg-", which a resource name may.
    const firewall = buildSecurityGroup(scope, `${name}-Firewall`, {
      name: `web-service-${name}`,
      vpcId: vpc.id,
      ingress: [{ port: config.port, protocol: 'tcp', cidr: '0.0.0.0/0' }],
      tags,
    });
    const assets = config.assetsBucket ? assetsBucket(scope, name, tags) : undefined;
    const instance = buildInstance(scope, name, {
      ami: ami.id,
      instanceType: config.instanceType,
      subnetId: subnet.id,
      securityGroupIds: [firewall.id],
      ...(assets === undefined ? {} : { roleName: assets.role.name }),
      // The newest AMI moves monthly; a change of the deployment must not replace the server for it.
      keepWhenAmiChanges: true,
      tags,
    });
    return {
      id: instance.id,
      url: `http://${instance.publicIp}:${config.port}`,
      public_ip: instance.publicIp,
      private_ip: instance.privateIp,
      vpc_id: vpc.id,
      subnet_id: subnet.id,
      security_group_id: firewall.id,
      ...(assets === undefined ? {} : { assets_bucket: assets.bucket.bucket, assets_bucket_arn: assets.bucket.arn, role_arn: assets.role.arn }),
    };
  },
});

/**
 * The assets bucket and a role that may read it. Both names are generated
 * from the resource's (bucket names are global, role names per account), so
 * two deployments' web services never collide.
 */
function assetsBucket(scope: Parameters<typeof buildRole>[0], name: string, tags: Readonly<Record<string, string>> | undefined) {
  // Bucket names take no underscores and a prefix at most 37 characters.
  const bucket = new S3Bucket(scope, `${name}-Assets`, { bucketPrefix: `assets-${name.replace(/_/g, '-').slice(0, 29)}-`, ...(tags ? { tags: { ...tags } } : {}) });
  const role = buildRole(scope, `${name}-Role`, { namePrefix: `${name.slice(0, 37)}-`, servicePrincipal: 'ec2.amazonaws.com', tags });
  new IamRolePolicy(scope, `${name}-Role-AssetsRead`, {
    role: role.id,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket.arn] },
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${bucket.arn}/*`] },
      ],
    }),
  });
  return { bucket, role };
}
