import { describe, expect, it } from 'vitest';
import {
  CloudEngineError,
  ERROR_TITLES,
  ErrorCode,
  configInvalid,
  describeValue,
  invalidInput,
  invalidValue,
  isCloudEngineError,
  pluginFailed,
} from '../../../src/kernel/errors.js';

describe('describeValue', () => {
  it.each([
    ['a string, quoted', 'abc', '"abc"'],
    ['a number', 42, '42'],
    ['an object as JSON', { a: 1 }, '{"a":1}'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a function', () => 1, '() => 1'],
    ['a bigint, which JSON cannot encode', 10n, '10'],
  ])('shows %s', (_situation, value, text) => {
    expect(describeValue(value)).toBe(text);
  });

  it('keeps text of exactly the limit whole', () => {
    expect(describeValue('x'.repeat(58))).toBe(`"${'x'.repeat(58)}"`);
  });

  it('cuts longer text at the limit and says how long it was', () => {
    expect(describeValue('x'.repeat(59))).toBe(`"${'x'.repeat(59)}… (61 chars)`);
    expect(describeValue('x'.repeat(10_000))).toBe(`"${'x'.repeat(59)}… (10002 chars)`);
  });

  it('honours a custom limit', () => {
    expect(describeValue({ key: 'value' }, 5)).toBe('{"key… (15 chars)');
  });

  it('does not throw on a circular object', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(describeValue(circular)).toBe('[object Object]');
  });
});

describe('CloudEngineError', () => {
  it('carries code, field, value, details and cause, and serializes without the value', () => {
    const cause = new Error('root');
    const error = new CloudEngineError('NOT_FOUND', 'No project "x".', { field: 'project', value: 'x', details: { id: 'x' }, cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CloudEngineError');
    expect(error.cause).toBe(cause);
    expect(error.toJSON()).toEqual({ code: 'NOT_FOUND', message: 'No project "x".', field: 'project', details: { id: 'x' } });
    expect(isCloudEngineError(error)).toBe(true);
    expect(isCloudEngineError(error, 'NOT_FOUND')).toBe(true);
    expect(isCloudEngineError(error, 'LOCKED')).toBe(false);
    expect(isCloudEngineError(new Error('x'))).toBe(false);
  });

  it('has empty details and no cause by default', () => {
    const error = new CloudEngineError('INTERNAL', 'oops');
    expect(error.details).toEqual({});
    expect('cause' in error).toBe(false);
  });
});

describe('invalidInput', () => {
  it('says "Invalid <field>: <problem>." and records the field and the value', () => {
    const error = invalidInput('provider', '"gcp" is not loaded', { value: 'gcp' });
    expect(error).toBeInstanceOf(CloudEngineError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: 'Invalid provider: "gcp" is not loaded.', field: 'provider', value: 'gcp', details: {} });
  });

  it('records another field than the name in the message when told, and keeps details', () => {
    const error = invalidInput('--for', 'too long', { field: 'for', value: '9w', details: { limit: 4 } });
    expect(error).toMatchObject({ message: 'Invalid --for: too long.', field: 'for', value: '9w', details: { limit: 4 } });
  });

  it('leaves the value undefined when none is given', () => {
    const error = invalidInput('config', 'it must be plain JSON');
    expect(error.value).toBeUndefined();
    expect(error.field).toBe('config');
  });
});

describe('invalidValue', () => {
  it('says what was expected and the value received, shortened', () => {
    const error = invalidValue('level', 'read, deploy or admin', 'owner');
    expect(error).toMatchObject({ code: 'INVALID_INPUT', message: 'Invalid level: expected read, deploy or admin; received "owner".', field: 'level', value: 'owner' });
    expect(invalidValue('name', 'a name', 'x'.repeat(100)).message).toBe(`Invalid name: expected a name; received ${describeValue('x'.repeat(100))}.`);
  });

  it('records another field when told', () => {
    expect(invalidValue('--ttl', 'a duration', 5, { field: 'ttl' })).toMatchObject({ message: 'Invalid --ttl: expected a duration; received 5.', field: 'ttl', value: 5 });
  });
});

describe('pluginFailed', () => {
  it('names the plugin in the message and in details, before the other details', () => {
    const cause = new Error('boom');
    const error = pluginFailed('acme.aws', 'failed while registering: boom. Fix the plugin', { details: { kind: 'provider' }, cause });
    expect(error).toMatchObject({ code: 'PLUGIN_FAILED', message: 'Plugin "acme.aws" failed while registering: boom. Fix the plugin.', field: undefined, value: undefined });
    expect(error.details).toEqual({ pluginId: 'acme.aws', kind: 'provider' });
    expect(Object.keys(error.details)[0]).toBe('pluginId');
    expect(error.cause).toBe(cause);
  });

  it('has no cause when none is given', () => {
    expect('cause' in pluginFailed('acme.aws', 'is loaded twice')).toBe(false);
  });
});

describe('configInvalid', () => {
  it('names the setting and, when given, its environment variable', () => {
    const error = configInvalid('"dataDir"', 'expected a path; received 3', { env: 'CLOUD_ENGINE_DATA_DIR', field: 'dataDir', value: 3 });
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: 'Invalid configuration "dataDir" (CLOUD_ENGINE_DATA_DIR): expected a path; received 3.', field: 'dataDir', value: 3 });
    expect(error.details).toEqual({});
  });

  it('leaves the environment variable out when there is none', () => {
    const error = configInvalid('pluginConfig["acme"]', 'remove it', { field: 'pluginConfig.acme', details: { pluginId: 'acme' } });
    expect(error).toMatchObject({ message: 'Invalid configuration pluginConfig["acme"]: remove it.', field: 'pluginConfig.acme', details: { pluginId: 'acme' } });
  });
});

describe('ERROR_TITLES', () => {
  it('has a non-empty title for every error code, and no other keys', () => {
    expect(Object.keys(ERROR_TITLES).sort()).toEqual(Object.values(ErrorCode).sort());
    for (const code of Object.values(ErrorCode)) expect(ERROR_TITLES[code]).toMatch(/\S/);
  });

  it('titles an internal error as the chat layer does', () => {
    expect(ERROR_TITLES.INTERNAL).toBe('Internal error');
  });
});
