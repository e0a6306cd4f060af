import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { definePlugin } from '../../../../src/kernel/plugin/define-plugin.js';
import { checkPluginConfigIds, parsePluginConfig } from '../../../../src/kernel/plugin/plugin-config.js';

const acme = definePlugin({
  id: 'acme.queue',
  config: {
    schema: z.strictObject({
      region: z.string().regex(/^[a-z]{2}-[a-z]+-\d$/, 'region must look like eu-west-1').default('us-east-1'),
      retries: z.coerce.number().int().min(0).max(10).default(3),
      apiKey: z.string().min(20, 'apiKey must be at least 20 characters').optional(),
      endpoint: z.string().optional(),
    }),
    env: { region: 'ACME_REGION', retries: 'ACME_RETRIES', apiKey: 'ACME_API_KEY' },
    secret: ['apiKey'],
  },
  register() {},
});

function configError(...args: Parameters<typeof parsePluginConfig>): CloudEngineError {
  try {
    parsePluginConfig(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEngineError);
    expect((error as CloudEngineError).code).toBe('CONFIG_INVALID');
    return error as CloudEngineError;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('parsePluginConfig', () => {
  it('fills the schema defaults when neither options nor environment set anything, and freezes the result', () => {
    const config = parsePluginConfig(acme, { env: {} });
    expect(config).toEqual({ region: 'us-east-1', retries: 3 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the environment variables the plugin maps, through its schema (coercion included)', () => {
    expect(parsePluginConfig(acme, { env: { ACME_REGION: 'eu-west-1', ACME_RETRIES: '5', UNRELATED: 'x' } })).toEqual({ region: 'eu-west-1', retries: 5 });
  });

  it('treats an empty variable as unset', () => {
    expect(parsePluginConfig(acme, { env: { ACME_REGION: '', ACME_RETRIES: '' } })).toEqual({ region: 'us-east-1', retries: 3 });
  });

  it('lets pluginConfig win over the environment, key by key', () => {
    const config = parsePluginConfig(acme, { env: { ACME_REGION: 'eu-west-1', ACME_RETRIES: '5' }, given: { retries: 1, endpoint: 'http://localhost:4566' } });
    expect(config).toEqual({ region: 'eu-west-1', retries: 1, endpoint: 'http://localhost:4566' });
  });

  it('returns undefined for a plugin that declares no configuration', () => {
    expect(parsePluginConfig(definePlugin({ id: 'acme.plain', register() {} }), { env: { ACME_REGION: 'eu-west-1' } })).toBeUndefined();
  });

  it('names the plugin, the key, its environment variable and the value when a variable is bad', () => {
    const error = configError(acme, { env: { ACME_REGION: 'Ireland' } });
    expect(error.message).toBe(
      'Invalid configuration "region" of plugin "acme.queue" (ACME_REGION): region must look like eu-west-1; received "Ireland". Fix ACME_REGION (or pluginConfig["acme.queue"].region).',
    );
    expect(error.field).toBe('pluginConfig.acme.queue.region');
    expect(error.details).toEqual({ pluginId: 'acme.queue', key: 'region', env: 'ACME_REGION' });
  });

  it('points at pluginConfig when the bad value came from the options, still naming the variable', () => {
    const error = configError(acme, { env: {}, given: { retries: 11 } });
    expect(error.message).toContain('Invalid configuration "retries" of plugin "acme.queue" (ACME_RETRIES)');
    expect(error.message).toContain('received 11');
    expect(error.message).toContain('Fix pluginConfig["acme.queue"].retries.');
  });

  it('names a key no variable feeds without inventing one', () => {
    const error = configError(acme, { env: {}, given: { endpoint: 42 } });
    expect(error.message).toMatch(/^Invalid configuration "endpoint" of plugin "acme\.queue": .*; received 42\. Fix pluginConfig\["acme\.queue"\]\.endpoint\.$/);
    expect(error.details).toEqual({ pluginId: 'acme.queue', key: 'endpoint' });
  });

  it('never repeats the value of a secret key, in the message or on the error', () => {
    const error = configError(acme, { env: { ACME_API_KEY: 'hunter2' } });
    expect(error.message).toContain('"apiKey" of plugin "acme.queue" (ACME_API_KEY): apiKey must be at least 20 characters; received (hidden)');
    expect(error.message).not.toContain('hunter2');
    expect(error.value).toBeUndefined();
  });

  it('refuses keys the schema does not know when the schema is strict, naming the plugin', () => {
    const error = configError(acme, { env: {}, given: { regoin: 'eu-west-1' } });
    expect(error.message).toContain('of plugin "acme.queue"');
    expect(error.message).toContain('regoin');
  });

  it('refuses pluginConfig for a plugin that declares no configuration', () => {
    const error = configError(definePlugin({ id: 'acme.plain', register() {} }), { env: {}, given: { region: 'eu-west-1' } });
    expect(error.message).toContain('plugin "acme.plain" declares no configuration');
    expect(error.field).toBe('pluginConfig.acme.plain');
  });

  it('refuses pluginConfig that is not an object', () => {
    const error = configError(acme, { env: {}, given: 'eu-west-1' as unknown as Record<string, unknown> });
    expect(error.message).toContain('expected an object of plugin "acme.queue"\'s settings');
  });
});

describe('checkPluginConfigIds', () => {
  it('accepts settings for loaded plugins only', () => {
    expect(() => checkPluginConfigIds({ cost: {} }, ['cost', 'aws'])).not.toThrow();
  });

  it('refuses settings for a plugin that is not loaded, naming the id and the loaded ones', () => {
    const error = (() => {
      try {
        checkPluginConfigIds({ 'acme.typo': {} }, ['cost', 'aws']);
      } catch (caught) {
        return caught as CloudEngineError;
      }
      throw new Error('expected CONFIG_INVALID');
    })();
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('no loaded plugin has the id "acme.typo"; configure one of cost, aws');
  });
});

describe('definePlugin with a config declaration', () => {
  it('refuses an environment mapping for a key the schema lacks, naming the plugin, key and variable', () => {
    const declaration = { schema: z.object({ region: z.string() }), env: { regoin: 'ACME_REGION' } };
    expect(() => definePlugin({ id: 'acme.typo', config: declaration as never, register() {} })).toThrow(
      'plugin "acme.typo" maps the environment variable "ACME_REGION" to "regoin", which its config schema does not have; use one of region.',
    );
  });

  it('refuses a variable name that is not one', () => {
    expect(() => definePlugin({ id: 'acme.env', config: { schema: z.object({ region: z.string() }), env: { region: 'acme region' } }, register() {} })).toThrow(
      /maps "region" to "acme region", which is not an environment variable name/,
    );
  });

  it('refuses a config without a zod object schema', () => {
    expect(() => definePlugin({ id: 'acme.bare', config: { schema: z.string() } as never, register() {} })).toThrow(/declares config without a zod object schema/);
  });

  it('types ctx.config from the schema, and keeps the engine configuration for plugins without one', () => {
    definePlugin({
      id: 'acme.typed',
      config: { schema: z.object({ region: z.string().default('us-east-1'), retries: z.coerce.number().optional() }), env: { region: 'ACME_REGION' } },
      register(ctx) {
        const region: string = ctx.config.region;
        const retries: number | undefined = ctx.config.retries;
        // @ts-expect-error: not a key of the schema
        void ctx.config.regoin;
        void region, retries;
      },
    });
    definePlugin({
      id: 'acme.untyped',
      register(ctx) {
        const level: unknown = ctx.config.logLevel;
        void level;
      },
    });
    expect(() =>
      // @ts-expect-error: the environment may only feed keys of the schema
      definePlugin({ id: 'acme.wrong', config: { schema: z.object({ region: z.string() }), env: { regoin: 'X' } }, register() {} }),
    ).toThrow(TypeError);
  });
});
