import { z } from 'zod';
import { CloudEngineError, ErrorCode } from '../../kernel/errors.js';
import { ref } from '../../kernel/plugin/resource-ref.js';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { tagsSchema } from '../tags.schema.js';
import { ipv4Cidr } from './aws-fields.js';
import { buildSubnet } from './aws-parts.js';

const ZONE_MESSAGE = 'availabilityZone must be a zone of the project\'s region, e.g. us-east-1a';

/** Input of an `aws.subnet`. */
export const awsSubnetSchema = z.strictObject({
  vpc: ref('aws.vpc').describe('VPC (an aws.vpc of this deployment)'),
  cidr: ipv4Cidr('cidr', 16, 28, '10.0.1.0/24').describe('CIDR block (inside the VPC\'s)'),
  public: z
    .boolean({ error: 'public must be true or false' })
    .default(false)
    .describe('Public (route to the internet, public IPs)'),
  availabilityZone: z
    .string({ error: ZONE_MESSAGE })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}[a-z]$/, ZONE_MESSAGE)
    .optional()
    .describe('Availability zone (AWS picks when empty)'),
  tags: tagsSchema(),
});

/** Validated config of an `aws.subnet`. */
export type AwsSubnetConfig = z.output<typeof awsSubnetSchema>;

/**
 * A subnet of an `aws.vpc` (`aws_subnet`). A public one gets its own route
 * table with a default route to the VPC's internet gateway, and gives the
 * instances launched in it a public IPv4 address.
 */
export const awsSubnetResource = defineResourceType({
  type: 'aws.subnet',
  provider: 'aws',
  description: 'A subnet of a VPC, private or public.',
  quotaKey: 'subnet',
  schema: awsSubnetSchema,
  synthesize(scope, { name, config, reference }) {
    const vpc = reference(config.vpc);
    if (config.public && vpc.internet_gateway_id === undefined) {
      throw new CloudEngineError(
        ErrorCode.INVALID_INPUT,
        `Subnet ${name} is public, but its VPC ${config.vpc} has no internet gateway; set internetGateway to true on ${config.vpc}, or make ${name} private (public: false).`,
        { field: 'config.public', value: true },
      );
    }
    const subnet = buildSubnet(scope, name, {
      vpcId: vpc.id as string,
      cidr: config.cidr,
      ...(config.public ? { internetGatewayId: vpc.internet_gateway_id as string } : {}),
      ...(config.availabilityZone === undefined ? {} : { availabilityZone: config.availabilityZone }),
      tags: config.tags,
    });
    return { id: subnet.id, arn: subnet.arn, cidr: subnet.cidrBlock, availability_zone: subnet.availabilityZone, vpc_id: subnet.vpcId };
  },
});
