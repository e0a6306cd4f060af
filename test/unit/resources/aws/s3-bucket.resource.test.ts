import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsS3BucketResource, awsS3BucketSchema } from '../../../../src/resources/aws/s3-bucket.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown) {
  return synthSession({
    provider: awsProvider,
    settings: { region: 'eu-west-1' },
    resources: [{ type: awsS3BucketResource, name: 'assets', config }],
  });
}

describe('aws.s3_bucket schema', () => {
  it.each(['abc', 'my.bucket-1', 'a'.repeat(63)])('accepts the bucket name %s', (bucket) => {
    expect(issuesOf(awsS3BucketSchema, { bucket })).toEqual([]);
  });

  it.each([
    ['ab', /3-63 characters/],
    ['a'.repeat(64), /3-63 characters/],
    ['My-Bucket', /lowercase letters, digits, dots and dashes/],
    ['-bucket', /starting and ending with a letter or digit/],
    ['bucket.', /starting and ending with a letter or digit/],
    ['my_bucket', /3-63 characters/],
    ['my..bucket', /two dots in a row/],
    ['192.168.5.4', /IP address/],
    ['xn--bucket', /reserved by AWS/],
    ['data-s3alias', /reserved by AWS/],
  ])('rejects the bucket name %s with what is expected', (bucket, message) => {
    const issues = issuesOf(awsS3BucketSchema, { bucket });
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.every((issue) => issue.path === 'bucket')).toBe(true);
    expect(issues.map((issue) => issue.message).join(' ')).toMatch(message);
  });

  it('rejects a non-boolean forceDestroy at its field', () => {
    expect(issuesOf(awsS3BucketSchema, { bucket: 'abc', forceDestroy: 'yes' })).toEqual([
      { path: 'forceDestroy', message: 'forceDestroy must be true or false' },
    ]);
  });
});

describe('aws.s3_bucket synthesis', () => {
  it('emits no tags attribute at all when none are given, for emulators without tagging', () => {
    const bucket = synth({ bucket: 'my-assets' }).resource!.aws_s3_bucket!.assets!;
    expect(bucket).toEqual({ bucket: 'my-assets' });
    expect(bucket).not.toHaveProperty('tags');
    expect(bucket).not.toHaveProperty('tags_all');
  });

  it('emits no tags attribute for an empty tag map either', () => {
    expect(synth({ bucket: 'my-assets', tags: {} }).resource!.aws_s3_bucket!.assets!).not.toHaveProperty('tags');
  });

  it('passes tags and force_destroy through when given', () => {
    const bucket = synth({ bucket: 'my-assets', forceDestroy: true, tags: { env: 'dev' } }).resource!.aws_s3_bucket!
      .assets!;
    expect(bucket).toEqual({ bucket: 'my-assets', force_destroy: true, tags: { env: 'dev' } });
  });

  it('outputs the id and ARN under ids derived from the resource name', () => {
    const json = synth({ bucket: 'my-assets' });
    expect(json.output!.assets!.value.id).toBe('${aws_s3_bucket.assets.id}');
    expect(json.output!.assets!.value.arn).toBe('${aws_s3_bucket.assets.arn}');
  });
});
