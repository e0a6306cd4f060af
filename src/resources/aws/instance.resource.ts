import { z } from 'zod';
import { ref, refs } from '../../kernel/plugin/resource-ref.js';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { tagsSchema } from '../tags.schema.js';
import { buildInstance } from './aws-parts.js';

/** Input of an `aws.instance`; the references come right after the required fields, so chat forms offer them. */
export const awsInstanceSchema = z
  .strictObject({
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
    subnet: ref('aws.subnet').optional().describe('Subnet (an aws.subnet of this deployment)'),
    securityGroups: refs('aws.security_group').optional().describe('Security groups (aws.security_group names)'),
    role: ref('aws.iam_role').optional().describe('IAM role (an aws.iam_role of this deployment)'),
    subnetId: z
      .string()
      .regex(/^subnet-[0-9a-f]{8,17}$/, 'subnetId must be a subnet id: "subnet-" followed by 8-17 lowercase hex digits')
      .optional()
      .describe('Subnet id outside this deployment'),
    tags: tagsSchema(),
  })
  .superRefine((instance, ctx) => {
    if (instance.subnet !== undefined && instance.subnetId !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['subnetId'], message: 'subnetId must be empty when subnet names a subnet of this deployment; set one of them' });
    }
    // Groups belong to a VPC; without a subnet the instance lands in the default VPC, where they cannot apply.
    if ((instance.securityGroups?.length ?? 0) > 0 && instance.subnet === undefined && instance.subnetId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['securityGroups'], message: 'securityGroups need a subnet of the same VPC: set subnet too' });
    }
  });

/** Validated config of an `aws.instance`. */
export type AwsInstanceConfig = z.output<typeof awsInstanceSchema>;

/**
 * An EC2 instance (`aws_instance`), optionally in a subnet with security
 * groups and an IAM role of the same deployment. A role reaches the instance
 * through an instance profile made for it (`aws_iam_instance_profile`).
 */
export const awsInstanceResource = defineResourceType({
  type: 'aws.instance',
  provider: 'aws',
  description: 'An EC2 virtual machine.',
  quotaKey: 'compute_vm',
  schema: awsInstanceSchema,
  synthesize(scope, { name, config, reference }) {
    const subnetId = config.subnet === undefined ? config.subnetId : (reference(config.subnet).id as string);
    const instance = buildInstance(scope, name, {
      ami: config.ami,
      instanceType: config.instanceType,
      ...(subnetId === undefined ? {} : { subnetId }),
      securityGroupIds: (config.securityGroups ?? []).map((group) => reference(group).id as string),
      ...(config.role === undefined ? {} : { roleName: reference(config.role).name as string }),
      tags: config.tags,
    });
    return { id: instance.id, private_ip: instance.privateIp, ...(config.subnet === undefined ? {} : { public_ip: instance.publicIp }) };
  },
});
