import { describe, expect, it } from 'vitest';
import { sandboxProvider } from '../../../../src/providers/sandbox.provider.js';
import { sandboxBucketResource, sandboxBucketSchema } from '../../../../src/resources/sandbox/bucket.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

describe('sandbox.bucket', () => {
  it('accepts an empty form, since tags are optional', () => {
    expect(sandboxBucketSchema.parse({})).toEqual({});
  });

  it('rejects more than 50 tags with the count in the message', () => {
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(issuesOf(sandboxBucketSchema, { tags })).toEqual([{ path: 'tags', message: 'at most 50 tags are allowed (got 51)' }]);
  });

  it('emits a terraform_data named after the resource and outputs its id and sandbox:// url', () => {
    const json = synthSession({
      provider: sandboxProvider,
      settings: {},
      resources: [{ type: sandboxBucketResource, name: 'logs', config: { tags: { env: 'dev' } } }],
    });
    expect(json.resource!.terraform_data!.logs!.input).toEqual({
      kind: 'sandbox.bucket',
      name: 'logs',
      url: 'sandbox://logs',
      tags: { env: 'dev' },
    });
    expect(json.output!.logs!.value.id).toBe('${terraform_data.logs.id}');
    expect(json.output!.logs!.value.url).toBe('sandbox://logs');
  });
});
