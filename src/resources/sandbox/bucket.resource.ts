import { DataResource } from 'cdktf';
import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { tagsSchema } from '../tags.schema.js';

/** Input of a `sandbox.bucket`. */
export const sandboxBucketSchema = z.strictObject({
  tags: tagsSchema(),
});

/** Validated config of a `sandbox.bucket`. */
export type SandboxBucketConfig = z.output<typeof sandboxBucketSchema>;

/** A pretend storage bucket made of `terraform_data`, addressed as `sandbox://<name>`. */
export const sandboxBucketResource = defineResourceType({
  type: 'sandbox.bucket',
  provider: 'sandbox',
  description: 'A simulated storage bucket (no cloud needed).',
  quotaKey: 'storage_bucket',
  schema: sandboxBucketSchema,
  synthesize(scope, { name, config }) {
    const url = `sandbox://${name}`;
    const bucket = new DataResource(scope, name, {
      input: { kind: 'sandbox.bucket', name, url, tags: config.tags ?? {} },
    });
    return { id: bucket.id, url };
  },
});
