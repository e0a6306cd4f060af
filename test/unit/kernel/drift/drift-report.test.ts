import { describe, expect, it } from 'vitest';
import { MAX_ATTRIBUTES, driftFingerprint, driftedResources } from '../../../../src/kernel/drift/drift-report.js';
import { Redactor } from '../../../../src/kernel/secrets/redactor.js';
import type { PlanJson } from '../../../../src/kernel/terraform/plan-json.js';

function plan(drift: unknown[]): PlanJson {
  return { format_version: '1.2', terraform_version: '1.11.4', resource_drift: drift } as unknown as PlanJson;
}

function updated(address: string, before: unknown, after: unknown, marks: { before?: unknown; after?: unknown } = {}) {
  return { address, mode: 'managed', type: address.split('.')[0], name: address.split('.')[1], change: { actions: ['update'], before, after, before_sensitive: marks.before ?? {}, after_sensitive: marks.after ?? {} } };
}

const owners = new Map([
  ['aws_s3_bucket.files', 'files'],
  ['aws_instance.vm', 'vm'],
]);

describe('driftedResources', () => {
  it('lists each drifted resource, sorted by address, with the leaf attributes that differ old → new', () => {
    const found = driftedResources(
      plan([
        updated('aws_s3_bucket.files', { bucket: 'b', tags: { env: 'prod' } }, { bucket: 'b', tags: { env: 'staging', owner: 'eve' } }),
        updated('aws_instance.vm', { ingress: [{ cidr_blocks: ['10.0.0.0/8'] }] }, { ingress: [{ cidr_blocks: ['10.0.0.0/8', '0.0.0.0/0'] }] }),
      ]),
      owners,
      new Redactor(),
    );
    expect(found).toEqual([
      { address: 'aws_instance.vm', resource: 'vm', action: 'update', attributes: [{ path: 'ingress[0].cidr_blocks[1]', before: undefined, after: '0.0.0.0/0' }], more: 0 },
      {
        address: 'aws_s3_bucket.files',
        resource: 'files',
        action: 'update',
        attributes: [
          { path: 'tags.env', before: 'prod', after: 'staging' },
          { path: 'tags.owner', before: undefined, after: 'eve' },
        ],
        more: 0,
      },
    ]);
  });

  it('says a resource deleted outside Terraform is gone, without attributes, and leaves data sources out', () => {
    const found = driftedResources(
      plan([
        { address: 'aws_instance.vm', mode: 'managed', change: { actions: ['delete'], before: { id: 'i-1' }, after: null } },
        { address: 'data.aws_ami.latest', mode: 'data', change: { actions: ['update'], before: { id: 'a' }, after: { id: 'b' } } },
      ]),
      owners,
      new Redactor(),
    );
    expect(found).toEqual([{ address: 'aws_instance.vm', resource: 'vm', action: 'delete', attributes: [], more: 0 }]);
  });

  it('shows values the plan marks sensitive as "(sensitive)", hides values under secret key names, and redacts known secrets', () => {
    const redactor = new Redactor().with(['hunter2-secret-value']);
    const found = driftedResources(
      plan([
        updated(
          'aws_db_instance.db',
          { password: 'old-pass', tags: { note: 'x' }, user_data: 'a', nested: { a: 1 } },
          { password: 'new-pass', tags: { note: 'key hunter2-secret-value' }, user_data: 'b', nested: { a: 2 } },
          { before: { password: true, nested: { a: true } }, after: { password: true, nested: { a: true } } },
        ),
      ]),
      new Map(),
      redactor,
    );
    const attributes = found[0]!.attributes;
    expect(attributes).toContainEqual({ path: 'password', before: '(sensitive)', after: '(sensitive)' });
    expect(attributes).toContainEqual({ path: 'nested.a', before: '(sensitive)', after: '(sensitive)' });
    expect(attributes).toContainEqual({ path: 'tags.note', before: 'x', after: 'key (redacted)' });
    expect(JSON.stringify(found)).not.toMatch(/old-pass|new-pass|hunter2/);
    expect(found[0]).not.toHaveProperty('resource');
  });

  it('keeps at most MAX_ATTRIBUTES attributes per resource and counts the rest', () => {
    const before = Object.fromEntries(Array.from({ length: MAX_ATTRIBUTES + 5 }, (_, index) => [`k${String(index).padStart(3, '0')}`, 'a']));
    const after = Object.fromEntries(Object.keys(before).map((key) => [key, 'b']));
    const [resource] = driftedResources(plan([updated('aws_s3_bucket.files', { tags: before }, { tags: after })]), owners, new Redactor());
    expect(resource!.attributes).toHaveLength(MAX_ATTRIBUTES);
    expect(resource!.more).toBe(5);
  });

  it('quotes attribute keys that are not plain names, so a path cannot be misread', () => {
    const [resource] = driftedResources(plan([updated('aws_s3_bucket.files', { tags: { 'a.b': '1' } }, { tags: { 'a.b': '2' } })]), owners, new Redactor());
    expect(resource!.attributes).toEqual([{ path: 'tags."a.b"', before: '1', after: '2' }]);
  });
});

describe('driftFingerprint', () => {
  it('is the same for the same drift and differs when any drifted value differs', () => {
    const one = driftedResources(plan([updated('aws_s3_bucket.files', { tags: { env: 'a' } }, { tags: { env: 'b' } })]), owners, new Redactor());
    const same = driftedResources(plan([updated('aws_s3_bucket.files', { tags: { env: 'a' } }, { tags: { env: 'b' } })]), owners, new Redactor());
    const other = driftedResources(plan([updated('aws_s3_bucket.files', { tags: { env: 'a' } }, { tags: { env: 'c' } })]), owners, new Redactor());
    expect(driftFingerprint(one)).toBe(driftFingerprint(same));
    expect(driftFingerprint(one)).not.toBe(driftFingerprint(other));
  });
});

describe('driftedResources on values read back empty', () => {
  it('does not call a resource drifted when null tags come back as an empty map or list, and leaves it out', () => {
    const found = driftedResources(
      plan([updated('aws_vpc.main', { tags: null, tags_all: {}, cidr: '10.0.0.0/16', ids: null }, { tags: {}, tags_all: {}, cidr: '10.0.0.0/16', ids: [] })]),
      owners,
      new Redactor(),
    );
    expect(found).toEqual([]);
  });
});
