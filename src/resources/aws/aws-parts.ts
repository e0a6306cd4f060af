import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import { Instance } from '@cdktf/provider-aws/lib/instance/index.js';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway/index.js';
import { Route } from '@cdktf/provider-aws/lib/route/index.js';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table/index.js';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { Subnet } from '@cdktf/provider-aws/lib/subnet/index.js';
import { Vpc } from '@cdktf/provider-aws/lib/vpc/index.js';
import type { Construct } from 'constructs';
import { hasEntries } from '../tags.schema.js';
import { digestOf } from './aws-fields.js';

/*
 * The constructs the AWS types are made of, shared by each type and by the
 * blueprints that combine them (`aws.web_service`). Each builder takes the id
 * of its main construct and derives its other parts' ids from it with a
 * capital letter (`${id}-Gateway`), so the same call makes the same addresses
 * wherever it is made, and no part can take a resource name (names are lowercase).
 */

type Tags = Readonly<Record<string, string>> | undefined;

function tagged(tags: Tags): { tags?: Record<string, string> } {
  return hasEntries(tags as Record<string, string> | undefined) ? { tags: { ...tags } } : {};
}

/** A VPC and, when asked for, its internet gateway (`${id}-Gateway`). */
export function buildVpc(scope: Construct, id: string, options: { cidr: string; internetGateway: boolean; tags?: Tags }): { vpc: Vpc; gateway?: InternetGateway } {
  const vpc = new Vpc(scope, id, { cidrBlock: options.cidr, ...tagged(options.tags) });
  const gateway = options.internetGateway ? new InternetGateway(scope, `${id}-Gateway`, { vpcId: vpc.id, ...tagged(options.tags) }) : undefined;
  return { vpc, ...(gateway === undefined ? {} : { gateway }) };
}

/**
 * A subnet; with `internetGatewayId`, a public one: it gives instances public
 * IPv4 addresses and gets its own route table (`${id}-Routes`) with a default
 * route to the gateway (`${id}-Internet`) and the association (`${id}-Association`).
 */
export function buildSubnet(
  scope: Construct,
  id: string,
  options: { vpcId: string; cidr: string; internetGatewayId?: string; availabilityZone?: string; tags?: Tags },
): Subnet {
  const isPublic = options.internetGatewayId !== undefined;
  const subnet = new Subnet(scope, id, {
    vpcId: options.vpcId,
    cidrBlock: options.cidr,
    mapPublicIpOnLaunch: isPublic,
    ...(options.availabilityZone === undefined ? {} : { availabilityZone: options.availabilityZone }),
    ...tagged(options.tags),
  });
  if (isPublic) {
    const routes = new RouteTable(scope, `${id}-Routes`, { vpcId: options.vpcId, ...tagged(options.tags) });
    new Route(scope, `${id}-Internet`, { routeTableId: routes.id, destinationCidrBlock: '0.0.0.0/0', gatewayId: options.internetGatewayId });
    new RouteTableAssociation(scope, `${id}-Association`, { subnetId: subnet.id, routeTableId: routes.id });
  }
  return subnet;
}

/** One inbound rule of a security group: a port or a range up to `toPort`, a protocol and the source network. */
export interface InboundRule {
  readonly port: number;
  readonly toPort?: number;
  readonly protocol: 'tcp' | 'udp';
  readonly cidr: string;
}

// An inline rule must state every attribute, or terraform refuses the JSON form.
function noOtherSources() {
  return { ipv6CidrBlocks: [], prefixListIds: [], securityGroups: [], selfAttribute: false };
}

/**
 * A security group with its inbound rules inline — a rule added or removed
 * updates the group in place — and all outbound traffic allowed, as AWS
 * does for a new group.
 */
export function buildSecurityGroup(
  scope: Construct,
  id: string,
  options: { name: string; vpcId: string; ingress: readonly InboundRule[]; description?: string; tags?: Tags },
): SecurityGroup {
  return new SecurityGroup(scope, id, {
    name: options.name,
    vpcId: options.vpcId,
    ...(options.description === undefined ? {} : { description: options.description }),
    ingress: options.ingress.map((rule) => ({
      fromPort: rule.port,
      toPort: rule.toPort ?? rule.port,
      protocol: rule.protocol,
      cidrBlocks: [rule.cidr],
      description: '',
      ...noOtherSources(),
    })),
    egress: [{ fromPort: 0, toPort: 0, protocol: '-1', cidrBlocks: ['0.0.0.0/0'], description: '', ...noOtherSources() }],
    ...tagged(options.tags),
  });
}

/**
 * An IAM role one AWS service may assume, named `name` or generated from
 * `namePrefix` (role names are per account), with managed policies attached
 * (`${id}-Policy-<digest of the ARN>`, so attaching or detaching one leaves
 * the others alone).
 */
export function buildRole(
  scope: Construct,
  id: string,
  options: { name?: string; namePrefix?: string; servicePrincipal: string; managedPolicyArns?: readonly string[]; tags?: Tags },
): IamRole {
  const role = new IamRole(scope, id, {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.namePrefix === undefined ? {} : { namePrefix: options.namePrefix }),
    // Callers restrict the principal to [a-z0-9.-], so the policy text is exactly this JSON.
    assumeRolePolicy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: options.servicePrincipal }, Action: 'sts:AssumeRole' }],
    }),
    ...tagged(options.tags),
  });
  for (const arn of options.managedPolicyArns ?? []) {
    new IamRolePolicyAttachment(scope, `${id}-Policy-${digestOf(arn)}`, { role: role.name, policyArn: arn });
  }
  return role;
}

/**
 * An EC2 instance, optionally in a subnet with security groups; with
 * `roleName`, the role reaches it through an instance profile made for it
 * (`${id}-Profile`, named `${id}-…`: profile names are per account).
 */
export function buildInstance(
  scope: Construct,
  id: string,
  options: {
    ami: string;
    instanceType: string;
    subnetId?: string;
    securityGroupIds?: readonly string[];
    roleName?: string;
    /** Keep the instance when its AMI changes (an AMI looked up as "the most recent" moves monthly). */
    keepWhenAmiChanges?: boolean;
    tags?: Tags;
  },
): Instance {
  const groups = options.securityGroupIds ?? [];
  const profile = options.roleName === undefined ? undefined : new IamInstanceProfile(scope, `${id}-Profile`, { namePrefix: `${id}-`, role: options.roleName });
  return new Instance(scope, id, {
    ami: options.ami,
    instanceType: options.instanceType,
    ...(options.subnetId === undefined ? {} : { subnetId: options.subnetId }),
    ...(groups.length === 0 ? {} : { vpcSecurityGroupIds: [...groups] }),
    ...(profile === undefined ? {} : { iamInstanceProfile: profile.name }),
    ...(options.keepWhenAmiChanges ? { lifecycle: { ignoreChanges: ['ami'] } } : {}),
    ...tagged(options.tags),
  });
}
