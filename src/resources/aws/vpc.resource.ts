import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { tagsSchema } from '../tags.schema.js';
import { ipv4Cidr } from './aws-fields.js';
import { buildVpc } from './aws-parts.js';

/** Input of an `aws.vpc`. */
export const awsVpcSchema = z.strictObject({
  cidr: ipv4Cidr('cidr', 16, 28, '10.0.0.0/16').default('10.0.0.0/16').describe('CIDR block (/16 to /28)'),
  internetGateway: z
    .boolean({ error: 'internetGateway must be true or false' })
    .default(true)
    .describe('Internet gateway (for public subnets)'),
  tags: tagsSchema(),
});

/** Validated config of an `aws.vpc`. */
export type AwsVpcConfig = z.output<typeof awsVpcSchema>;

/**
 * A VPC (`aws_vpc`) and, unless turned off, its internet gateway: free, and
 * reached only by the routes of public subnets (`aws.subnet` with `public`).
 */
export const awsVpcResource = defineResourceType({
  type: 'aws.vpc',
  provider: 'aws',
  description: 'A VPC: a private network for subnets, security groups and instances.',
  quotaKey: 'network',
  schema: awsVpcSchema,
  synthesize(scope, { name, config }) {
    // The gateway is `${name}-Gateway`: parts' ids carry a capital letter, which no resource name has.
    const { vpc, gateway } = buildVpc(scope, name, { cidr: config.cidr, internetGateway: config.internetGateway, tags: config.tags });
    return { id: vpc.id, arn: vpc.arn, cidr: vpc.cidrBlock, ...(gateway === undefined ? {} : { internet_gateway_id: gateway.id }) };
  },
});
