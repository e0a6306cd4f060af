import { DataResource } from 'cdktf';
import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { tagsSchema } from '../tags.schema.js';

const CIDR_MESSAGE = 'cidr must be an IPv4 network such as 10.0.0.0/16 (prefix 8 to 28)';

/** An IPv4 network in CIDR notation, prefix /8 to /28. */
const cidr = z
  .string({ error: CIDR_MESSAGE })
  .regex(/^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(?:[89]|1\d|2[0-8])$/, CIDR_MESSAGE);

/** Input of a `sandbox.network`. */
export const sandboxNetworkSchema = z.strictObject({
  cidr: cidr.default('10.0.0.0/16').describe('CIDR block'),
  tags: tagsSchema(),
});

/** A pretend private network made of `terraform_data`; VMs join it by referring to it. */
export const sandboxNetworkResource = defineResourceType({
  type: 'sandbox.network',
  provider: 'sandbox',
  description: 'A simulated private network (no cloud needed); VMs can be placed in it.',
  quotaKey: 'network',
  schema: sandboxNetworkSchema,
  synthesize(scope, { name, config }) {
    const network = new DataResource(scope, name, {
      input: { kind: 'sandbox.network', name, cidr: config.cidr, tags: config.tags ?? {} },
    });
    return { id: network.id, cidr: config.cidr };
  },
});
