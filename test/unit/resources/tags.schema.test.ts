import { describe, expect, it } from 'vitest';
import { gcpLabelsSchema, hasEntries, tagsSchema } from '../../../src/resources/tags.schema.js';
import { issuesOf } from './synth.helper.js';

describe('tagsSchema', () => {
  it('accepts tags at the size limits', () => {
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`${i}`.padEnd(128, 'k'), 'v'.repeat(256)]));
    expect(issuesOf(tagsSchema(), tags)).toEqual([]);
  });

  it('is optional and carries its label for the form', () => {
    expect(tagsSchema().parse(undefined)).toBeUndefined();
    expect(tagsSchema('Bucket tags').description).toBe('Bucket tags');
  });

  it('rejects a non-text value at its key', () => {
    expect(issuesOf(tagsSchema(), { env: 1 })).toEqual([{ path: 'env', message: 'tag values must be text' }]);
  });
});

describe('gcpLabelsSchema', () => {
  it('accepts lowercase keys and values, including empty values', () => {
    expect(issuesOf(gcpLabelsSchema(), { env: 'prod', 'cost-center': '', team_a: 'x-1' })).toEqual([]);
  });

  it('rejects values longer than 63 characters', () => {
    expect(issuesOf(gcpLabelsSchema(), { env: 'a'.repeat(64) })[0]!.path).toBe('env');
  });
});

describe('hasEntries', () => {
  it('is false for a missing or empty map and true otherwise', () => {
    expect(hasEntries(undefined)).toBe(false);
    expect(hasEntries({})).toBe(false);
    expect(hasEntries({ a: 'b' })).toBe(true);
  });
});
