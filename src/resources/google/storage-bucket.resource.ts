import { StorageBucket } from '@cdktf/provider-google/lib/storage-bucket/index.js';
import { z } from 'zod';
import { CloudEngineError, ErrorCode } from '../../kernel/errors.js';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { gcpLabelsSchema, hasEntries } from '../tags.schema.js';

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;
const BUCKET_NAME_MESSAGE =
  'bucketName must be 3-63 characters: lowercase letters, digits, dots, dashes and underscores, starting and ending with a letter or digit';

/** Input of a `google.storage_bucket`. */
export const googleStorageBucketSchema = z.strictObject({
  bucketName: z
    .string()
    .regex(BUCKET_NAME, BUCKET_NAME_MESSAGE)
    .refine(
      (name) => !name.startsWith('goog') && !name.includes('google'),
      'bucketName must not start with "goog" or contain "google" (reserved by Google)',
    )
    .optional()
    .describe('Bucket name (defaults to the resource name)'),
  location: z
    .string({ error: 'location must be text, e.g. US or europe-west4' })
    .regex(
      /^[A-Za-z][A-Za-z0-9-]{1,29}$/,
      'location must be a multi-region (US, EU, ASIA), dual-region (NAM4) or region (europe-west4)',
    )
    .default('US')
    .describe('Location'),
  labels: gcpLabelsSchema(),
});

/** Validated config of a `google.storage_bucket`. */
export type GoogleStorageBucketConfig = z.output<typeof googleStorageBucketSchema>;

/** A Cloud Storage bucket with uniform access (`google_storage_bucket`). */
export const googleStorageBucketResource = defineResourceType({
  type: 'google.storage_bucket',
  provider: 'google',
  description: 'A Cloud Storage bucket.',
  quotaKey: 'storage_bucket',
  schema: googleStorageBucketSchema,
  synthesize(scope, { name, config }) {
    const bucketName = config.bucketName ?? name.replaceAll('_', '-');
    // A defaulted name comes from the resource name, which the schema never saw.
    if (!BUCKET_NAME.test(bucketName)) {
      throw new CloudEngineError(
        ErrorCode.INVALID_INPUT,
        `Bucket name ${JSON.stringify(bucketName)} (from the resource name) is not a valid Cloud Storage name; set bucketName: ${BUCKET_NAME_MESSAGE.replace('bucketName must be ', '')}.`,
        { field: 'bucketName', value: bucketName },
      );
    }
    const bucket = new StorageBucket(scope, name, {
      name: bucketName,
      location: config.location,
      // Per-object ACLs are a common source of accidental public data; uniform access is Google's recommendation.
      uniformBucketLevelAccess: true,
      ...(hasEntries(config.labels) ? { labels: config.labels } : {}),
    });
    return { url: bucket.url };
  },
});
