import { isAbsolute, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_KEYS, loadConfig, type KernelOptions } from '../../../../src/kernel/config/engine-config.js';
import { CloudEngineError } from '../../../../src/kernel/errors.js';

function configError(options: KernelOptions): CloudEngineError {
  try {
    loadConfig(options);
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEngineError);
    expect((error as CloudEngineError).code).toBe('CONFIG_INVALID');
    return error as CloudEngineError;
  }
  throw new Error(`expected CONFIG_INVALID for ${JSON.stringify(options)}`);
}

describe('loadConfig defaults', () => {
  it('fills every key when neither options nor environment set anything', () => {
    expect(loadConfig({ env: {} })).toEqual({
      dataDir: resolve('./data'),
      admins: [],
      terraformBin: 'terraform',
      maxTerraform: 2,
      providerPool: 'on',
      plugins: [],
      secretPatterns: [],
      redactKeys: [],
      logLevel: 'info',
      timeouts: { init: 300_000, plan: 1_800_000, apply: 7_200_000, plugin: 10_000 },
    });
  });

  it('resolves the default data dir to an absolute path', () => {
    expect(isAbsolute(loadConfig({ env: {} }).dataDir)).toBe(true);
  });

  it('leaves tfPluginDir unset when nobody sets it', () => {
    expect(loadConfig({ env: {} }).tfPluginDir).toBeUndefined();
  });

  it('keeps the other timeout defaults when only one timeout is given', () => {
    expect(loadConfig({ env: {}, timeouts: { plan: '5m' } }).timeouts).toEqual({ init: 300_000, plan: 300_000, apply: 7_200_000, plugin: 10_000 });
  });
});

describe('loadConfig from the environment', () => {
  const env = {
    CLOUD_ENGINE_DATA_DIR: 'var/ce-data',
    CLOUD_ENGINE_ADMINS: ' alice, bob ,,carol ',
    CLOUD_ENGINE_TERRAFORM_BIN: '/opt/terraform/bin/terraform',
    CLOUD_ENGINE_TF_PLUGIN_DIR: '/opt/tf-plugins',
    CLOUD_ENGINE_MAX_TERRAFORM: '5',
    CLOUD_ENGINE_PROVIDER_POOL: 'on',
    CLOUD_ENGINE_PROVIDER_POOL_SIZE: '3',
    CLOUD_ENGINE_PROVIDER_POOL_MEMORY: '1024',
    CLOUD_ENGINE_PLUGINS: './a.mjs, @acme/ce-plugin',
    CLOUD_ENGINE_LOG_LEVEL: 'debug',
    CLOUD_ENGINE_INIT_TIMEOUT: '2m',
    CLOUD_ENGINE_PLAN_TIMEOUT: '90s',
    CLOUD_ENGINE_APPLY_TIMEOUT: '3h',
  };

  it('reads every CLOUD_ENGINE_* variable, trimming comma lists and parsing durations', () => {
    expect(loadConfig({ env })).toEqual({
      dataDir: resolve('var/ce-data'),
      admins: ['alice', 'bob', 'carol'],
      terraformBin: '/opt/terraform/bin/terraform',
      tfPluginDir: '/opt/tf-plugins',
      maxTerraform: 5,
      providerPool: 'on',
      providerPoolSize: 3,
      providerPoolMemory: 1024,
      plugins: ['./a.mjs', '@acme/ce-plugin'],
      secretPatterns: [],
      redactKeys: [],
      logLevel: 'debug',
      timeouts: { init: 120_000, plan: 90_000, apply: 10_800_000, plugin: 10_000 },
    });
  });

  it('treats an empty variable as unset rather than as an empty value', () => {
    const config = loadConfig({ env: { CLOUD_ENGINE_MAX_TERRAFORM: '', CLOUD_ENGINE_DATA_DIR: '', CLOUD_ENGINE_PLAN_TIMEOUT: '' } });
    expect(config.maxTerraform).toBe(2);
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.timeouts.plan).toBe(1_800_000);
  });

  it('reads only the env it was given, not process.env', () => {
    // ENV_KEYS lists every variable; with an empty env none of them may leak in.
    expect(Object.values(ENV_KEYS).every((name) => name.startsWith('CLOUD_ENGINE_'))).toBe(true);
    expect(loadConfig({ env: {} })).toEqual(loadConfig({ env: { UNRELATED: 'x' } }));
  });

  it('lets options win over the environment, key by key', () => {
    const config = loadConfig({
      env,
      dataDir: '/srv/ce',
      admins: ['root'],
      terraformBin: 'tofu',
      tfPluginDir: '/mirror',
      maxTerraform: 3,
      plugins: [],
      secretPatterns: [],
      redactKeys: [],
      logLevel: 'silent',
      timeouts: { plan: 1_000 },
    });
    expect(config).toEqual({
      dataDir: '/srv/ce',
      admins: ['root'],
      terraformBin: 'tofu',
      tfPluginDir: '/mirror',
      maxTerraform: 3,
      providerPool: 'on',
      providerPoolSize: 3,
      providerPoolMemory: 1024,
      plugins: [],
      secretPatterns: [],
      redactKeys: [],
      logLevel: 'silent',
      // plan from options, init and apply still from the environment
      timeouts: { init: 120_000, plan: 1_000, apply: 10_800_000, plugin: 10_000 },
    });
  });

  it('accepts admins and plugins as a comma string in options too', () => {
    const config = loadConfig({ env: {}, admins: 'a, b', plugins: ' x ' });
    expect(config.admins).toEqual(['a', 'b']);
    expect(config.plugins).toEqual(['x']);
  });
});

describe('loadConfig rejects bad values with CONFIG_INVALID naming the key and its variable', () => {
  it.each([
    ['maxTerraform "zero" from the environment', { env: { CLOUD_ENGINE_MAX_TERRAFORM: 'zero' } }, 'maxTerraform', 'CLOUD_ENGINE_MAX_TERRAFORM', '"zero"'],
    ['maxTerraform 0', { env: {}, maxTerraform: 0 }, 'maxTerraform', 'CLOUD_ENGINE_MAX_TERRAFORM', 'received 0'],
    ['maxTerraform 65', { env: {}, maxTerraform: 65 }, 'maxTerraform', 'CLOUD_ENGINE_MAX_TERRAFORM', 'received 65'],
    ['maxTerraform "2.5"', { env: { CLOUD_ENGINE_MAX_TERRAFORM: '2.5' } }, 'maxTerraform', 'CLOUD_ENGINE_MAX_TERRAFORM', '"2.5"'],
    ['a plan timeout of "soon"', { env: { CLOUD_ENGINE_PLAN_TIMEOUT: 'soon' } }, 'timeouts.plan', 'CLOUD_ENGINE_PLAN_TIMEOUT', '"soon"'],
    ['an apply timeout of 0', { env: {}, timeouts: { apply: 0 } }, 'timeouts.apply', 'CLOUD_ENGINE_APPLY_TIMEOUT', 'received 0'],
    ['an init timeout of "0s"', { env: { CLOUD_ENGINE_INIT_TIMEOUT: '0s' } }, 'timeouts.init', 'CLOUD_ENGINE_INIT_TIMEOUT', '"0s"'],
    ['an unknown log level from options', { env: {}, logLevel: 'loud' as never }, 'logLevel', 'CLOUD_ENGINE_LOG_LEVEL', '"loud"'],
    ['an unknown log level from the environment', { env: { CLOUD_ENGINE_LOG_LEVEL: 'verbose' } }, 'logLevel', 'CLOUD_ENGINE_LOG_LEVEL', '"verbose"'],
    ['an empty data dir from options', { env: {}, dataDir: '' }, 'dataDir', 'CLOUD_ENGINE_DATA_DIR', '""'],
  ] as const)('%s', (_situation, options, key, envName, received) => {
    const error = configError(options as KernelOptions);
    expect(error.message).toContain(`"${key}"`);
    expect(error.message).toContain(envName);
    expect(error.message).toContain(received);
    expect(error.field).toBe(key);
  });

  it('says what a duration should look like when a timeout is malformed', () => {
    const error = configError({ env: { CLOUD_ENGINE_PLAN_TIMEOUT: 'soon' } });
    expect(error.message).toMatch(/duration like "90s"/);
    expect(error.value).toBe('soon');
  });

  it('lists the accepted log levels when the level is unknown', () => {
    expect(configError({ env: { CLOUD_ENGINE_LOG_LEVEL: 'verbose' } }).message).toMatch(/silent/);
  });
});

describe('secret patterns', () => {
  it('reads one pattern or a JSON array of them, and refuses an invalid regular expression by name', () => {
    expect(loadConfig({ env: { CLOUD_ENGINE_SECRET_PATTERNS: 'acme_[a-z0-9]{20}' } }).secretPatterns).toEqual(['acme_[a-z0-9]{20}']);
    expect(loadConfig({ env: { CLOUD_ENGINE_SECRET_PATTERNS: '["a+", "b{3}"]' } }).secretPatterns).toEqual(['a+', 'b{3}']);
    expect(() => loadConfig({ env: { CLOUD_ENGINE_SECRET_PATTERNS: '(unclosed' } })).toThrow(/CLOUD_ENGINE_SECRET_PATTERNS/);
    expect(() => loadConfig({ env: { CLOUD_ENGINE_SECRET_PATTERNS: '[not json' } })).toThrow(/CLOUD_ENGINE_SECRET_PATTERNS/);
  });
});

describe('key names to redact', () => {
  it('reads a comma list from CLOUD_ENGINE_REDACT_KEYS or a list from options, added to the built-in names', () => {
    expect(loadConfig({ env: { CLOUD_ENGINE_REDACT_KEYS: ' pin, license_code ,,' } }).redactKeys).toEqual(['pin', 'license_code']);
    expect(loadConfig({ env: { CLOUD_ENGINE_REDACT_KEYS: 'pin' }, redactKeys: ['otp'] }).redactKeys).toEqual(['otp']);
  });

  it('refuses a name with no letter or digit, which would match every key', () => {
    const error = configError({ env: { CLOUD_ENGINE_REDACT_KEYS: 'pin, __' } });
    expect(error.message).toContain('CLOUD_ENGINE_REDACT_KEYS');
    expect(error.message).toContain('"__"');
  });
});
