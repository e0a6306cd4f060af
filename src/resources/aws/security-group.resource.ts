import { z } from 'zod';
import { CloudEngineError, ErrorCode } from '../../kernel/errors.js';
import { ref } from '../../kernel/plugin/resource-ref.js';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { tagsSchema } from '../tags.schema.js';
import { IPV4_CIDR, isNetworkAddress } from './aws-fields.js';
import { buildSecurityGroup } from './aws-parts.js';

const MAX_RULES = 50;
const PORT_MESSAGE = 'port must be a whole number from 0 to 65535';
const RULE_TEXT = /^(\d{1,5})(?:-(\d{1,5}))?\/(tcp|udp)\/(.+)$/;
const RULE_TEXT_MESSAGE = 'write each rule as port/protocol/cidr, e.g. 22/tcp/10.0.0.0/8 or 8000-8080/tcp/0.0.0.0/0';
const DESCRIPTION = /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

const port = z.int({ error: PORT_MESSAGE }).min(0, PORT_MESSAGE).max(65_535, PORT_MESSAGE);

/** One inbound rule: a port (or a range up to `toPort`), a protocol and the source network. */
export const ingressRuleSchema = z
  .strictObject({
    port,
    toPort: port.optional(),
    protocol: z.enum(['tcp', 'udp'], { error: 'protocol must be tcp or udp' }),
    cidr: z
      .string({ error: 'cidr must be an IPv4 network such as 0.0.0.0/0 or 10.0.0.0/8' })
      .regex(IPV4_CIDR, 'cidr must be an IPv4 network such as 0.0.0.0/0 or 10.0.0.0/8')
      .refine(isNetworkAddress, 'cidr must start at its network\'s first address (e.g. 10.0.0.0/8, not 10.0.0.1/8): AWS refuses host bits'),
  })
  .refine((rule) => rule.toPort === undefined || rule.toPort >= rule.port, { path: ['toPort'], message: 'toPort must be at least port' });

/** An inbound rule as stored. */
export type IngressRule = z.output<typeof ingressRuleSchema>;

/** `22/tcp/0.0.0.0/0` → { port: 22, protocol: 'tcp', cidr: '0.0.0.0/0' }; text that is not a rule is left for the schema to refuse. */
export function ruleFromText(text: string): unknown {
  const match = RULE_TEXT.exec(text.trim());
  if (match === null) return text;
  const [, from, to, protocol, cidr] = match;
  return { port: Number(from), ...(to === undefined ? {} : { toPort: Number(to) }), protocol, cidr };
}

/** `22/tcp/0.0.0.0/0` for a stored rule: what a chat user types. */
export function ruleText(rule: IngressRule): string {
  return `${rule.port}${rule.toPort === undefined ? '' : `-${rule.toPort}`}/${rule.protocol}/${rule.cidr}`;
}

/**
 * Inbound rules: a list of rule objects, or text for chat forms —
 * `22/tcp/0.0.0.0/0, 443/tcp/0.0.0.0/0` (a JSON list is read too, which is how
 * an edit form shows the stored rules).
 */
const ingressSchema = z.preprocess(
  (value) => {
    let list = value;
    if (typeof value === 'string') {
      const text = value.trim();
      try {
        list = text.startsWith('[') ? (JSON.parse(text) as unknown) : text === '' ? [] : text.split(/\s*,\s*/);
      } catch {
        return value;
      }
    }
    return Array.isArray(list) ? list.map((item) => (typeof item === 'string' ? ruleFromText(item) : item)) : list;
  },
  z
    .array(
      z.unknown().check((ctx) => {
        // A rule typed as text that did not parse gets the syntax, not "expected object".
        if (typeof ctx.value === 'string') ctx.issues.push({ code: 'custom', input: ctx.value, message: `${JSON.stringify(ctx.value)} is not a rule; ${RULE_TEXT_MESSAGE}` });
      }).pipe(ingressRuleSchema),
      { error: `ingress must be a list of rules; ${RULE_TEXT_MESSAGE}` },
    )
    .max(MAX_RULES, `ingress may hold at most ${MAX_RULES} rules (AWS allows 60 per group)`)
    .refine((rules) => new Set(rules.map((rule) => ruleText(rule))).size === rules.length, 'each ingress rule may appear once'),
);

/** Input of an `aws.security_group`. */
export const awsSecurityGroupSchema = z.strictObject({
  vpc: ref('aws.vpc').describe('VPC (an aws.vpc of this deployment)'),
  ingress: ingressSchema.default([]).describe('Inbound: port/protocol/cidr, comma-separated'),
  description: z
    .string({ error: 'description must be text' })
    .regex(DESCRIPTION, 'description must be at most 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*')
    .optional()
    .describe('Description (changing it replaces the group)'),
  tags: tagsSchema(),
});

/** Validated config of an `aws.security_group`. */
export type AwsSecurityGroupConfig = z.output<typeof awsSecurityGroupSchema>;

/**
 * A security group of an `aws.vpc` (`aws_security_group`) with its inbound
 * rules inline — a rule added or removed updates the group in place — and
 * all outbound traffic allowed, as AWS does for a new group.
 */
export const awsSecurityGroupResource = defineResourceType({
  type: 'aws.security_group',
  provider: 'aws',
  description: 'A security group (firewall) of a VPC: which ports are open to which networks.',
  quotaKey: 'security_group',
  schema: awsSecurityGroupSchema,
  synthesize(scope, { name, config, reference }) {
    // AWS reserves the sg- prefix for group ids.
    if (name.startsWith('sg-')) {
      throw new CloudEngineError(
        ErrorCode.INVALID_INPUT,
        `Security group ${name}: AWS refuses group names starting with "sg-"; remove it and add it again under another name (e.g. ${name.slice(3) || 'web'}).`,
        { field: 'name', value: name },
      );
    }
    const group = buildSecurityGroup(scope, name, {
      name,
      vpcId: reference(config.vpc).id as string,
      ingress: config.ingress,
      ...(config.description === undefined ? {} : { description: config.description }),
      tags: config.tags,
    });
    return { id: group.id, arn: group.arn, name: group.name };
  },
});
