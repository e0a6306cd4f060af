import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../../../src/kernel/config/engine-config.js';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { createLogger } from '../../../../src/kernel/logger.js';
import { definePlugin, type Plugin, type PluginContext } from '../../../../src/kernel/plugin/define-plugin.js';
import { registerPlugins, type RegistrationOptions } from '../../../../src/kernel/plugin/register-plugins.js';
import type { ResourceType } from '../../../../src/kernel/plugin/resource-type.js';
import { sandboxProvider } from '../../../../src/providers/sandbox.provider.js';

const options = (extra: Partial<RegistrationOptions> = {}): RegistrationOptions => ({
  config: loadConfig({ env: {}, logLevel: 'silent' }),
  logger: createLogger('silent'),
  env: {},
  ...extra,
});

async function failure(plugins: Plugin[], extra: Partial<RegistrationOptions> = {}): Promise<CloudEngineError> {
  const error = await registerPlugins(plugins, options(extra)).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CloudEngineError);
  return error as CloudEngineError;
}

const queueType = (type: string): ResourceType => ({
  type,
  provider: 'sandbox',
  description: type,
  quotaKey: 'queue',
  schema: z.strictObject({ tags: z.record(z.string(), z.string()).optional() }),
  synthesize: () => ({}),
});

const sandbox = definePlugin({
  id: 'sandbox',
  register(ctx) {
    ctx.addProvider(sandboxProvider);
  },
});

describe('registerPlugins: ctx.resourceTypes', () => {
  it('lists every type of every plugin once registration is over, including types registered after the reader', async () => {
    let seen: PluginContext['resourceTypes'] | undefined;
    const reader = definePlugin({
      id: 'acme.reader',
      register(ctx) {
        seen = ctx.resourceTypes;
      },
    });
    const late = definePlugin({
      id: 'acme.late',
      register(ctx) {
        ctx.addResourceType(queueType('sandbox.queue'));
      },
    });
    await registerPlugins([sandbox, reader, late], options());
    expect(seen?.keys()).toEqual(['sandbox.queue']);
    expect(seen?.pluginOf('sandbox.queue')).toBe('acme.late');
    expect(seen?.get('sandbox.queue')?.quotaKey).toBe('queue');
  });

  it('refuses to be read inside register, when it would list only the plugins before, naming the plugin', async () => {
    const eager = definePlugin({
      id: 'acme.eager',
      register(ctx) {
        ctx.resourceTypes.list();
      },
    });
    const error = await failure([sandbox, eager]);
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('Plugin "acme.eager" reads ctx.resourceTypes while plugins are still registering');
  });
});

describe('registerPlugins: register only declares', () => {
  it('refuses a contribution added after start-up through a kept ctx, naming the plugin', async () => {
    let kept: PluginContext | undefined;
    await registerPlugins(
      [
        definePlugin({
          id: 'acme.late-adder',
          register(ctx) {
            kept = ctx;
          },
        }),
      ],
      options(),
    );
    expect(() => kept!.addPolicyValidator({ id: 'acme.late', description: 'too late' })).toThrow(
      'Plugin "acme.late-adder" adds a policy validator after start-up; register(ctx) only declares',
    );
  });
});

describe('registerPlugins: plugin configuration', () => {
  const configured = (id: string, onRegister: (config: unknown) => void = () => {}) =>
    definePlugin({
      id,
      config: { schema: z.object({ region: z.string().regex(/^[a-z]{2}-[a-z]+-\d$/, 'region must look like eu-west-1') }), env: { region: 'ACME_REGION' } },
      register(ctx) {
        onRegister(ctx.config);
      },
    });

  it("gives each plugin its parsed config from the kernel's env, and pluginConfig over it", async () => {
    const seen: Record<string, unknown> = {};
    await registerPlugins([configured('acme.a', (config) => (seen.a = config)), configured('acme.b', (config) => (seen.b = config))], {
      ...options(),
      env: { ACME_REGION: 'eu-west-1' },
      pluginConfig: { 'acme.b': { region: 'us-west-2' } },
    });
    expect(seen).toEqual({ a: { region: 'eu-west-1' }, b: { region: 'us-west-2' } });
  });

  it('checks every configuration before any plugin registers', async () => {
    const registered: string[] = [];
    const error = await failure([configured('acme.first', () => registered.push('acme.first')), configured('acme.second')], {
      env: {},
      pluginConfig: { 'acme.first': { region: 'eu-west-1' } },
    });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('Invalid configuration "region" of plugin "acme.second" (ACME_REGION)');
    expect(registered).toEqual([]);
  });

  it('refuses pluginConfig naming a plugin that is not loaded', async () => {
    const error = await failure([configured('acme.a')], { env: { ACME_REGION: 'eu-west-1' }, pluginConfig: { 'acme.b': { region: 'eu-west-1' } } });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('no loaded plugin has the id "acme.b"; configure one of acme.a');
  });

  it('refuses a loaded plugin object whose config declaration is broken, as PLUGIN_FAILED naming it', async () => {
    const broken = { id: 'acme.broken', config: { schema: 'region' }, register() {} } as unknown as Plugin;
    const error = await failure([broken]);
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('plugin "acme.broken" declares config without a zod object schema');
  });
});
