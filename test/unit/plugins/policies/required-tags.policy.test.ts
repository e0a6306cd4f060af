import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineResourceType } from '../../../../src/kernel/plugin/resource-type.js';
import { createRequiredTagsPolicy, taggableTypes } from '../../../../src/plugins/policies/required-tags.policy.js';
import { awsInstanceResource } from '../../../../src/resources/aws/instance.resource.js';
import { googleStorageBucketResource } from '../../../../src/resources/google/storage-bucket.resource.js';
import { checkSession, parseSettings, resource, sessionContext, settingsError } from './policy.fixture.js';

const untagged = defineResourceType({
  type: 'acme.queue',
  provider: 'acme',
  description: 'A queue without tags.',
  quotaKey: 'queue',
  schema: z.strictObject({ size: z.number().optional() }),
  synthesize() {},
});
const policy = createRequiredTagsPolicy(taggableTypes([awsInstanceResource, googleStorageBucketResource, untagged]));

describe('required-tags policy', () => {
  describe('settings', () => {
    it('accepts nothing configured and a list of keys', () => {
      expect(parseSettings(policy, undefined)).toBeUndefined();
      expect(parseSettings(policy, { keys: ['team'], applyTo: ['aws.instance'] })).toEqual({ keys: ['team'], applyTo: ['aws.instance'] });
    });

    it.each([
      [{}, 'settings.policies.required-tags.keys', 'list of tag keys'],
      [{ keys: [] }, 'settings.policies.required-tags.keys', 'at least one'],
      [{ keys: [''] }, 'settings.policies.required-tags.keys.0', 'must not be empty'],
      [{ keys: ['team'], applyTo: ['instance'] }, 'settings.policies.required-tags.applyTo.0', 'resource type ids'],
      [{ keys: ['team'], applyTo: [] }, 'settings.policies.required-tags.applyTo', 'at least one'],
      [{ keys: ['team'], key: 'x' }, 'settings.policies.required-tags', 'key'],
    ])('rejects %j naming %s', (value, field, hint) => {
      const error = settingsError(policy, value);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.field).toBe(field);
      expect(error.message).toContain(hint);
    });
  });

  it('knows which field each type keeps its tags in, from its schema', () => {
    expect([...taggableTypes([awsInstanceResource, googleStorageBucketResource, untagged])]).toEqual([
      ['aws.instance', 'tags'],
      ['google.storage_bucket', 'labels'],
    ]);
  });

  it('checks nothing when the project configured no keys', async () => {
    expect(await checkSession(policy, sessionContext(undefined, { resources: [resource('aws.instance', 'web')] }))).toEqual([]);
  });

  it('names the resource and each missing key, and says how to add them', async () => {
    const ctx = sessionContext(
      { keys: ['team', 'env'] },
      {
        resources: [
          resource('aws.instance', 'web', { tags: { team: 'core' } }),
          resource('aws.instance', 'db', {}),
          resource('aws.instance', 'ok', { tags: { team: 'core', env: 'prod' } }),
        ],
      },
    );
    const violations = await checkSession(policy, ctx);
    expect(violations).toEqual([
      {
        code: 'MISSING_TAGS',
        address: 'web',
        message:
          'aws.instance "web" is missing required tag "env" (project demo requires team, env on every resource with tags). Remove the resource and add it again with tags: {"env":"<value>"}.',
      },
      expect.objectContaining({ code: 'MISSING_TAGS', address: 'db', message: expect.stringContaining('missing required tags "team", "env"') }),
    ]);
  });

  it('reads labels on Google types and treats an empty value as missing', async () => {
    const ctx = sessionContext({ keys: ['team'] }, { provider: 'google', resources: [resource('google.storage_bucket', 'logs', { location: 'EU', labels: { team: ' ' } })] });
    const [violation] = await checkSession(policy, ctx);
    expect(violation!.message).toContain('missing required label "team"');
    expect(violation!.message).toContain('labels: {"team":"<value>"}');
  });

  it('skips types without tags, but covers an unknown type that carries tags', async () => {
    const ctx = sessionContext(
      { keys: ['team'] },
      { resources: [resource('acme.queue', 'q', { size: 1 }), resource('acme.topic', 't', { tags: { owner: 'x' } })] },
    );
    expect((await checkSession(policy, ctx)).map((violation) => violation.address)).toEqual(['t']);
  });

  it('limits the check to applyTo, and applies it to listed types even with no tags field set', async () => {
    const ctx = sessionContext(
      { keys: ['team'], applyTo: ['acme.topic', 'google.thing'] },
      { resources: [resource('aws.instance', 'web'), resource('acme.topic', 't'), resource('google.thing', 'g')] },
    );
    const violations = await checkSession(policy, ctx);
    expect(violations.map((violation) => violation.address)).toEqual(['t', 'g']);
    expect(violations[1]!.message).toContain('label');
  });
});
