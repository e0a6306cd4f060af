import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { hasEntries, tagsSchema } from '../tags.schema.js';

const BUCKET_SHAPE_MESSAGE =
  'bucket must be 3-63 characters: lowercase letters, digits, dots and dashes, starting and ending with a letter or digit';

/** Input of an `aws.s3_bucket`. */
export const awsS3BucketSchema = z.strictObject({
  bucket: z
    .string({ error: `bucket is required; ${BUCKET_SHAPE_MESSAGE}` })
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, BUCKET_SHAPE_MESSAGE)
    .refine((name) => !name.includes('..'), 'bucket must not contain two dots in a row')
    .refine(
      (name) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(name),
      'bucket must not look like an IP address (e.g. 192.168.5.4)',
    )
    .refine(
      (name) => !/^(xn--|sthree-|amzn-s3-demo-)/.test(name) && !/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name),
      'bucket must not start with xn--, sthree- or amzn-s3-demo-, nor end with -s3alias, --ol-s3, --x-s3 or --table-s3 (reserved by AWS)',
    )
    .describe('Bucket name (globally unique)'),
  forceDestroy: z
    .boolean({ error: 'forceDestroy must be true or false' })
    .optional()
    .describe('Delete even when not empty'),
  tags: tagsSchema(),
});

/** Validated config of an `aws.s3_bucket`. */
export type AwsS3BucketConfig = z.output<typeof awsS3BucketSchema>;

/** An S3 bucket (`aws_s3_bucket`). */
export const awsS3BucketResource = defineResourceType({
  type: 'aws.s3_bucket',
  provider: 'aws',
  description: 'An S3 storage bucket.',
  quotaKey: 'storage_bucket',
  schema: awsS3BucketSchema,
  synthesize(scope, { name, config }) {
    const bucket = new S3Bucket(scope, name, {
      bucket: config.bucket,
      ...(config.forceDestroy === undefined ? {} : { forceDestroy: config.forceDestroy }),
      // Without tags the attribute stays out entirely: some S3 emulators do not implement tagging calls.
      ...(hasEntries(config.tags) ? { tags: config.tags } : {}),
    });
    return { id: bucket.id, arn: bucket.arn };
  },
});
