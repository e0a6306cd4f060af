import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { hasEntries, tagsSchema } from '../tags.schema.js';

/** Input of an `aws.instance`. */
export const awsInstanceSchema = z.strictObject({
  ami: z
    .string({ error: 'ami is required, e.g. ami-0abcdef1234567890' })
    .regex(/^ami-[0-9a-f]{8,17}$/, 'ami must be an AMI id: "ami-" followed by 8-17 lowercase hex digits')
    .describe('AMI id'),
  instanceType: z
    .string({ error: 'instanceType is required, e.g. t3.micro' })
    .regex(
      /^[a-z][a-z0-9-]{0,15}\.[a-z0-9]{1,16}$/,
      'instanceType must be an EC2 instance type: family.size in lowercase, e.g. t3.micro',
    )
    .describe('Instance type'),
  subnetId: z
    .string()
    .regex(/^subnet-[0-9a-f]{8,17}$/, 'subnetId must be a subnet id: "subnet-" followed by 8-17 lowercase hex digits')
    .optional()
    .describe('Subnet id (default VPC when empty)'),
  tags: tagsSchema(),
});

/** Validated config of an `aws.instance`. */
export type AwsInstanceConfig = z.output<typeof awsInstanceSchema>;

/** An EC2 instance (`aws_instance`). */
export const awsInstanceResource = defineResourceType({
  type: 'aws.instance',
  provider: 'aws',
  description: 'An EC2 virtual machine.',
  quotaKey: 'compute_vm',
  schema: awsInstanceSchema,
  synthesize(scope, { name, config }) {
    const instance = new Instance(scope, name, {
      ami: config.ami,
      instanceType: config.instanceType,
      ...(config.subnetId === undefined ? {} : { subnetId: config.subnetId }),
      ...(hasEntries(config.tags) ? { tags: config.tags } : {}),
    });
    return { id: instance.id, private_ip: instance.privateIp };
  },
});
