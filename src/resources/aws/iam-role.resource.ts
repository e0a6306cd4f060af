import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { hasEntries, tagsSchema } from '../tags.schema.js';
import { digestOf, textList } from './aws-fields.js';

const PRINCIPAL_MESSAGE = 'servicePrincipal must be an AWS service principal such as ec2.amazonaws.com or lambda.amazonaws.com';
const POLICY_MESSAGE =
  'managedPolicyArns must be managed policy ARNs such as arn:aws:iam::aws:policy/ReadOnlyAccess or arn:aws:iam::123456789012:policy/my-policy';
const ROLE_NAME_MESSAGE = 'roleName must be 1-64 letters, digits and +=,.@_-';

/** Input of an `aws.iam_role`. */
export const awsIamRoleSchema = z.strictObject({
  servicePrincipal: z
    .string({ error: PRINCIPAL_MESSAGE })
    .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/, PRINCIPAL_MESSAGE)
    .max(128, PRINCIPAL_MESSAGE)
    .default('ec2.amazonaws.com')
    .describe('Service that assumes it'),
  managedPolicyArns: textList(
    z.string({ error: POLICY_MESSAGE }).regex(/^arn:aws(-cn|-us-gov)?:iam::(aws|\d{12}):policy\/[\w+=,.@/-]{1,512}$/, POLICY_MESSAGE),
    { field: 'managedPolicyArns', max: 20 },
  )
    .refine((arns) => new Set(arns).size === arns.length, 'each managed policy may be attached once')
    .default([])
    .describe('Managed policy ARNs, comma-separated'),
  roleName: z
    .string({ error: ROLE_NAME_MESSAGE })
    .regex(/^[\w+=,.@-]{1,64}$/, ROLE_NAME_MESSAGE)
    .optional()
    .describe('Role name (defaults to the resource name)'),
  tags: tagsSchema(),
});

/** Validated config of an `aws.iam_role`. */
export type AwsIamRoleConfig = z.output<typeof awsIamRoleSchema>;

/**
 * An IAM role one AWS service may assume (`aws_iam_role`), with managed
 * policies attached (one `aws_iam_role_policy_attachment` each, keyed by the
 * policy, so attaching or detaching one leaves the others alone).
 */
export const awsIamRoleResource = defineResourceType({
  type: 'aws.iam_role',
  provider: 'aws',
  description: 'An IAM role for an AWS service (e.g. EC2 instances), with managed policies.',
  quotaKey: 'iam_role',
  schema: awsIamRoleSchema,
  synthesize(scope, { name, config }) {
    const role = new IamRole(scope, name, {
      name: config.roleName ?? name,
      // The principal is restricted to [a-z0-9.-] by the schema, so the policy text is exactly this JSON.
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: config.servicePrincipal }, Action: 'sts:AssumeRole' }],
      }),
      ...(hasEntries(config.tags) ? { tags: config.tags } : {}),
    });
    for (const arn of config.managedPolicyArns) {
      new IamRolePolicyAttachment(scope, `${name}-Policy-${digestOf(arn)}`, { role: role.name, policyArn: arn });
    }
    return { arn: role.arn, name: role.name, unique_id: role.uniqueId };
  },
});
