import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isCloudEngineError, type CloudEngineError } from '../../../src/kernel/errors.js';
import { defineResourceType, type ResourceType } from '../../../src/kernel/plugin/resource-type.js';
import { MAX_FORM_FIELDS, configFromText, formFor, parseMap } from '../../../src/chat/resource-form.js';
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
