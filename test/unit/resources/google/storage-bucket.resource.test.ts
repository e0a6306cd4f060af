import { describe, expect, it } from 'vitest';
import { googleProvider } from '../../../../src/providers/google.provider.js';
import {
  googleStorageBucketResource,
  googleStorageBucketSchema,
} from '../../../../src/resources/google/storage-bucket.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown, name = 'site_assets') {
  return synthSession({
    provider: googleProvider,
    settings: { project: 'my-project-1', region: 'us-central1' },
    resources: [{ type: googleStorageBucketResource, name, config }],
  });
}

describe('google.storage_bucket schema', () => {
  it('defaults the location to US', () => {
    expect(googleStorageBucketSchema.parse({})).toEqual({ location: 'US' });
  });

  it.each([
    [{ bucketName: 'ab' }, 'bucketName', /3-63 characters/],
    [{ bucketName: 'Bad-Name' }, 'bucketName', /lowercase letters/],
    [{ bucketName: 'google-data' }, 'bucketName', /reserved by Google/],
    [{ location: 'U' }, 'location', /multi-region/],
    [{ location: 'us central' }, 'location', /multi-region/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(googleStorageBucketSchema, input);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('google.storage_bucket synthesis', () => {
  it('names the bucket after the resource with underscores turned into dashes', () => {
    const bucket = synth({}).resource!.google_storage_bucket!.site_assets!;
    expect(bucket).toEqual({ name: 'site-assets', location: 'US', uniform_bucket_level_access: true });
  });

  it('uses the given name, location and labels', () => {
    const bucket = synth({ bucketName: 'acme-assets', location: 'EU', labels: { env: 'prod' } }).resource!
      .google_storage_bucket!.site_assets!;
    expect(bucket).toMatchObject({ name: 'acme-assets', location: 'EU', labels: { env: 'prod' } });
  });

  it('refuses a defaulted name too short for Cloud Storage and says to set bucketName', () => {
    expect(() => synth({}, 'ab')).toThrow(/set bucketName/);
  });

  it('outputs the url under an id derived from the resource name', () => {
    expect(synth({}).output!.site_assets!.value.url).toBe('${google_storage_bucket.site_assets.url}');
  });
});
