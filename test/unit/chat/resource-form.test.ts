import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCloudEngineError, type CloudEngineError } from '../../../src/kernel/errors.js';
import { defineResourceType, type ResourceType } from '../../../src/kernel/plugin/resource-type.js';
import { MAX_FORM_FIELDS, configFields, configFromText, editValues, editedConfig, formFor, parseMap } from '../../../src/chat/resource-form.js';
import { ref } from '../../../src/kernel/plugin/resource-ref.js';
import { awsDynamodbTableResource } from '../../../src/resources/aws/dynamodb-table.resource.js';
import { awsInstanceResource } from '../../../src/resources/aws/instance.resource.js';
import { awsS3BucketResource } from '../../../src/resources/aws/s3-bucket.resource.js';
import { googleComputeInstanceResource } from '../../../src/resources/google/compute-instance.resource.js';
import { googleStorageBucketResource } from '../../../src/resources/google/storage-bucket.resource.js';
import { sandboxBucketResource } from '../../../src/resources/sandbox/bucket.resource.js';
import { sandboxVmResource } from '../../../src/resources/sandbox/vm.resource.js';

const BUILT_IN_TYPES: readonly ResourceType[] = [
  sandboxVmResource,
  sandboxBucketResource,
  awsInstanceResource,
  awsS3BucketResource,
  awsDynamodbTableResource,
  googleComputeInstanceResource,
  googleStorageBucketResource,
];

function thrown(fn: () => unknown): CloudEngineError {
  try {
    fn();
  } catch (error) {
    if (isCloudEngineError(error)) return error;
    throw error;
  }
  throw new Error('expected a CloudEngineError');
}

/** A type with many long-labelled fields, to see what the form keeps. */
const wideType = defineResourceType({
  type: 'test.wide',
  provider: 'test',
  description: 'Many fields',
  quotaKey: 'test_wide',
  schema: z.strictObject({
    first: z.string().optional().describe('An optional field whose description is far longer than any chat modal allows'),
    second: z.boolean().default(false).describe('Second'),
    mustA: z.string().describe('Required A'),
    third: z.number().optional(),
    mustB: z.int().describe('Required B'),
    fourth: z.string().optional().describe('Fourth'),
    mustC: z.enum(['x', 'y']).describe('Required C'),
    labels: z.record(z.string(), z.string()).default({ team: 'web', env: 'dev' }).describe('Labels'),
  }),
  synthesize() {},
});

describe('formFor', () => {
  it('gives sandbox.vm the name first, then size, image, bootSeconds and tags with their defaults', () => {
    const form = formFor(sandboxVmResource);
    expect(form.map((field) => field.id)).toEqual(['name', 'size', 'image', 'bootSeconds', 'tags']);
    expect(form[0]).toMatchObject({ id: 'name', label: 'Resource name', required: true, kind: 'text' });
    expect(form[1]).toEqual({
      id: 'size',
      label: 'Size',
      required: false,
      kind: 'choice',
      choices: ['small', 'medium', 'large'],
      defaultValue: 'small',
      placeholder: 'small | medium | large',
    });
    expect(form[2]).toMatchObject({ id: 'image', label: 'Image', required: false, kind: 'text', defaultValue: 'debian-12' });
    expect(form[3]).toMatchObject({ id: 'bootSeconds', label: 'Simulated boot time (seconds)', required: false, kind: 'number', defaultValue: '0' });
    expect(form[4]).toMatchObject({ id: 'tags', label: 'Tags', required: false, kind: 'map', placeholder: 'key=value, key2=value2' });
    expect(form[4]!.defaultValue).toBeUndefined();
  });

  it('keeps the required hashKey of aws.dynamodb_table among five fields, in schema order', () => {
    expect(Object.keys(awsDynamodbTableResource.schema.shape)).toHaveLength(7);
    const form = formFor(awsDynamodbTableResource);
    expect(form).toHaveLength(MAX_FORM_FIELDS);
    expect(form.map((field) => field.id)).toEqual(['name', 'tableName', 'hashKey', 'hashKeyType', 'billingMode']);
    expect(form.find((field) => field.id === 'hashKey')).toMatchObject({ required: true, kind: 'text', label: 'Partition key attribute' });
    expect(form.find((field) => field.id === 'billingMode')).toMatchObject({
      kind: 'choice',
      choices: ['PAY_PER_REQUEST', 'PROVISIONED'],
      defaultValue: 'PAY_PER_REQUEST',
    });
  });

  it.each(BUILT_IN_TYPES.map((type) => [type.type, type] as const))('gives %s at most five fields, the name first, labels from .describe() of at most 45 characters', (_, type) => {
    const form = formFor(type);
    const shape = type.schema.shape as Record<string, z.ZodType>;
    expect(form.length).toBeLessThanOrEqual(MAX_FORM_FIELDS);
    expect(form[0]!.id).toBe('name');
    for (const field of form.slice(1)) {
      expect(field.label.length).toBeLessThanOrEqual(45);
      expect(field.label).toBe((shape[field.id]!.description ?? field.id).slice(0, 45));
    }
  });

  it('puts required fields before optional ones when not all fit, yet shows the chosen ones in schema order', () => {
    const form = formFor(wideType);
    expect(form.map((field) => field.id)).toEqual(['name', 'first', 'mustA', 'mustB', 'mustC']);
    expect(form.filter((field) => field.required).map((field) => field.id)).toEqual(['name', 'mustA', 'mustB', 'mustC']);
    expect(form.find((field) => field.id === 'mustB')!.kind).toBe('number');
    expect(form.find((field) => field.id === 'mustC')).toMatchObject({ kind: 'choice', choices: ['x', 'y'], required: true });
  });

  it('cuts a description longer than 45 characters to a 45-character label', () => {
    const first = formFor(wideType).find((field) => field.id === 'first')!;
    expect(first.label).toBe('An optional field whose description is far lo');
    expect(first.label).toHaveLength(45);
  });

  it('falls back to the key as label and prefills boolean and map defaults as text', () => {
    const small = defineResourceType({
      ...wideType,
      schema: z.strictObject({ third: z.number().optional(), second: wideType.schema.shape.second, labels: wideType.schema.shape.labels }),
    });
    const form = formFor(small);
    expect(form.find((field) => field.id === 'third')).toMatchObject({ label: 'third', kind: 'number', required: false });
    expect(form.find((field) => field.id === 'second')).toMatchObject({ kind: 'boolean', defaultValue: 'false', placeholder: 'true or false' });
    expect(form.find((field) => field.id === 'labels')).toMatchObject({ kind: 'map', defaultValue: 'team=web, env=dev' });
  });
});

describe('configFromText', () => {
  it('converts numbers and maps for sandbox.vm and keeps text as text', () => {
    expect(configFromText(sandboxVmResource, { name: 'web', size: ' medium ', image: 'ubuntu-24', bootSeconds: '5', tags: 'team=web, env=dev' })).toEqual({
      size: 'medium',
      image: 'ubuntu-24',
      bootSeconds: 5,
      tags: { team: 'web', env: 'dev' },
    });
  });

  it('leaves a number field that is not a number as text, so the kernel names it', () => {
    expect(configFromText(sandboxVmResource, { bootSeconds: 'soon' })).toEqual({ bootSeconds: 'soon' });
    expect(configFromText(sandboxVmResource, { bootSeconds: '-2.5' })).toEqual({ bootSeconds: -2.5 });
  });

  it.each([
    ['true', true],
    ['Yes', true],
    ['on', true],
    ['1', true],
    ['false', false],
    ['NO', false],
    ['off', false],
    ['0', false],
    ['maybe', 'maybe'],
  ])('reads boolean text %j as %j', (text, expected) => {
    expect(configFromText(awsS3BucketResource, { bucket: 'assets', forceDestroy: text })).toEqual({ bucket: 'assets', forceDestroy: expected });
  });

  it('drops empty optional inputs so the defaults apply', () => {
    expect(configFromText(sandboxVmResource, { name: 'web', size: '', image: '   ', bootSeconds: '', tags: '' })).toEqual({});
    expect(sandboxVmResource.schema.parse(configFromText(sandboxVmResource, { size: '' }))).toMatchObject({ size: 'small', image: 'debian-12', bootSeconds: 0 });
  });

  it('passes unknown keys through as text, so the kernel can name them', () => {
    expect(configFromText(sandboxVmResource, { color: 'blue', size: 'large' })).toEqual({ color: 'blue', size: 'large' });
  });

  it('rejects map text that is not key=value as INVALID_INPUT on config.tags', () => {
    const error = thrown(() => configFromText(sandboxVmResource, { tags: 'team=web, oops' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('config.tags');
    expect(error.message).toContain('"oops" is not key=value');
  });
});

describe('parseMap', () => {
  it('reads comma-separated key=value pairs, trimming and ignoring empty pairs', () => {
    expect(parseMap('tags', ' team = web ,env=dev,, ')).toEqual({ team: 'web', env: 'dev' });
    expect(parseMap('tags', 'url=a=b')).toEqual({ url: 'a=b' });
  });

  it('accepts a JSON object', () => {
    expect(parseMap('tags', '{"team": "web", "env": "dev"}')).toEqual({ team: 'web', env: 'dev' });
  });

  it.each(['{"team": ', '{not json}', '=web', 'team'])('rejects %j as INVALID_INPUT naming config.<field>', (text) => {
    const error = thrown(() => parseMap('labels', text));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('config.labels');
    expect(error.value).toBe(text);
  });
});

describe('parseMap with keys that would touch the prototype', () => {
  it.each(['__proto__', 'constructor', 'prototype'])('refuses %s as a key instead of dropping it', (key) => {
    expect(() => parseMap('tags', `${key}=x, team=web`)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'config.tags' }));
  });
});

describe('reference fields in forms', () => {
  const withNetworks = { resources: [{ name: 'net-a', type: 'sandbox.network' }, { name: 'web', type: 'sandbox.vm' }, { name: 'net-b', type: 'sandbox.network' }] };

  it('lists the session’s resources of the target type as the field’s candidates and placeholder, and keeps it in the form', () => {
    const form = formFor(sandboxVmResource, withNetworks);
    expect(form.map((field) => field.id)).toEqual(['name', 'size', 'image', 'bootSeconds', 'network']);
    expect(form.find((field) => field.id === 'network')).toMatchObject({
      kind: 'reference',
      target: 'sandbox.network',
      candidates: ['net-a', 'net-b'],
      placeholder: 'sandbox.network: net-a | net-b',
      required: false,
    });
  });

  it('says there is nothing to refer to yet, and leaves the field out of a full form, when the session has none of the target type', () => {
    const context = { resources: [{ name: 'web', type: 'sandbox.vm' }] };
    expect(formFor(sandboxVmResource, context).map((field) => field.id)).toEqual(['name', 'size', 'image', 'bootSeconds', 'tags']);
    expect(configFields(sandboxVmResource, context).find((field) => field.id === 'network')).toMatchObject({
      kind: 'reference',
      candidates: [],
      placeholder: 'no sandbox.network in this deployment yet; add one first',
    });
  });

  it('names the target type without a session, and never offers a resource as a candidate for its own references', () => {
    expect(configFields(sandboxVmResource).find((field) => field.id === 'network')).toMatchObject({ kind: 'reference', target: 'sandbox.network', placeholder: 'name of a sandbox.network of this deployment' });
    const selfish = defineResourceType({
      type: 'test.node',
      provider: 'sandbox',
      description: 'Refers to its own kind',
      quotaKey: 'test_node',
      schema: z.strictObject({ parent: ref('test.node').optional() }),
      synthesize() {},
    });
    const field = configFields(selfish, { resources: [{ name: 'a', type: 'test.node' }, { name: 'b', type: 'test.node' }], editing: 'a' })[0]!;
    expect(field.candidates).toEqual(['b']);
  });

  it('keeps a reference as the name typed', () => {
    expect(configFromText(sandboxVmResource, { network: ' net-a ' })).toEqual({ network: 'net-a' });
  });
});

describe('editing a resource', () => {
  const database = defineResourceType({
    type: 'test.database',
    provider: 'sandbox',
    description: 'Has a secret',
    quotaKey: 'database',
    schema: z.strictObject({ password: z.string().min(8), size: z.enum(['s', 'm']).default('s'), tags: z.record(z.string(), z.string()).optional() }),
    secretFields: ['password'],
    synthesize() {},
  });

  it('prefills the current config as text, maps as key=value, and never a secret', () => {
    expect(editValues(sandboxVmResource, { size: 'medium', image: 'debian-12', bootSeconds: 3, tags: { team: 'web', env: 'dev' }, network: 'net' }, 'web')).toEqual({
      name: 'web',
      size: 'medium',
      image: 'debian-12',
      bootSeconds: '3',
      tags: 'team=web, env=dev',
      network: 'net',
    });
    expect(editValues(database, { password: '(secret)', size: 'm' }, 'db')).toEqual({ name: 'db', size: 'm' });
    expect(formFor(database, { resources: [], editing: 'db' }).find((field) => field.id === 'password')).toMatchObject({ secret: true, required: true });
  });

  it('puts what was typed over the current config: an emptied field is unset, fields not typed are kept', () => {
    const current = { size: 'small', image: 'debian-12', bootSeconds: 0, tags: { team: 'web' }, network: 'net' };
    expect(editedConfig(sandboxVmResource, current, { size: 'large', image: 'debian-12', bootSeconds: '0', network: '' })).toEqual({
      size: 'large',
      image: 'debian-12',
      bootSeconds: 0,
      tags: { team: 'web' },
    });
  });

  it('refuses an edit that does not give a secret again (a session shows only "(secret)"), naming the field and never the value', () => {
    const error = thrown(() => editedConfig(database, { password: '(secret)', size: 's' }, { size: 'm', password: '' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('config.password');
    expect(editedConfig(database, { password: '(secret)', size: 's' }, { size: 'm', password: 'correct-horse' })).toEqual({ password: 'correct-horse', size: 'm' });
  });

  it('keeps a secret field in an edit form even when the type has more fields than fit', () => {
    const wide = defineResourceType({
      type: 'test.wide-secret',
      provider: 'sandbox',
      description: 'A secret among many fields',
      quotaKey: 'test_wide',
      schema: z.strictObject({ a: z.string(), b: z.string(), c: z.string(), d: z.string().optional(), token: z.string().optional() }),
      secretFields: ['token'],
      synthesize() {},
    });
    expect(formFor(wide).map((field) => field.id)).toEqual(['name', 'a', 'b', 'c', 'd']);
    expect(formFor(wide, { resources: [], editing: 'x' }).map((field) => field.id)).toEqual(['name', 'a', 'b', 'c', 'token']);
  });
});
