import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { tagsSchema } from '../tags.schema.js';
import { textList } from './aws-fields.js';
import { buildRole } from './aws-parts.js';

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
    // The schema restricts the principal to [a-z0-9.-], as buildRole needs.
    const role = buildRole(scope, name, {
      name: config.roleName ?? name,
      servicePrincipal: config.servicePrincipal,
      managedPolicyArns: config.managedPolicyArns,
      tags: config.tags,
    });
    return { arn: role.arn, name: role.name, unique_id: role.uniqueId };
  },
});
