import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createKernel } from '../../src/engine.js';
import type { KernelOptions } from '../../src/kernel/config/engine-config.js';
import { CloudEngineError } from '../../src/kernel/errors.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { definePlugin, type Plugin } from '../../src/kernel/plugin/define-plugin.js';
import type { ResourceType } from '../../src/kernel/plugin/resource-type.js';
import { sandboxProvider } from '../../src/providers/sandbox.provider.js';

const dirs: string[] = [];
const kernels: Kernel[] = [];

afterEach(async () => {
  await Promise.all(kernels.splice(0).map((kernel) => kernel.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Boots a real kernel on a fresh data dir, quiet and blind to process.env. */
async function boot(options: Omit<KernelOptions, 'dataDir'> = {}): Promise<Kernel> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-kernel-'));
  dirs.push(dataDir);
  const kernel = await createKernel({ dataDir, logLevel: 'silent', env: {}, ...options });
  kernels.push(kernel);
  return kernel;
}

async function bootError(options: Omit<KernelOptions, 'dataDir'>): Promise<CloudEngineError> {
  const error = await boot(options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(CloudEngineError);
  return error as CloudEngineError;
}

function resourceType(type: string, provider: string): ResourceType {
  return {
    type,
    provider,
    description: `test type ${type}`,
    quotaKey: 'test',
    schema: z.strictObject({}),
    synthesize: () => ({}),
  };
}

const typePlugin = (id: string, ...types: ResourceType[]): Plugin =>
  definePlugin({
    id,
    register(ctx) {
      for (const type of types) ctx.addResourceType(type);
    },
  });

describe('createKernel', () => {
  it('loads the built-in providers, policies and cost plugins by default', async () => {
    const kernel = await boot();
    expect(kernel.plugins).toEqual(['sandbox', 'aws', 'google', 'policies', 'cost', 'console', 'discord']);
    expect(kernel.registries.providers.keys()).toEqual(['sandbox', 'aws', 'google']);
    expect(kernel.registries.resourceTypes.keys()).toContain('sandbox.vm');
    expect(kernel.registries.resourceTypes.pluginOf('aws.s3_bucket')).toBe('aws');
    expect(kernel.config.logLevel).toBe('silent');
  });

  it('loads nothing with builtinPlugins: false, leaving every registry empty', async () => {
    const kernel = await boot({ builtinPlugins: false });
    expect(kernel.plugins).toEqual([]);
    const { providers, resourceTypes, policyValidators, costEstimators, chatAdapters } = kernel.registries;
    for (const registry of [providers, resourceTypes, policyValidators, costEstimators, chatAdapters]) expect(registry.list()).toEqual([]);
    expect(await kernel.startChatAdapters()).toEqual([]);
  });

  it('loads an external plugin module named in options.plugins, after the built-ins', async () => {
    const kernel = await boot({ plugins: ['./test/fixtures/plugins/sandbox-queue.mjs'] });
    expect(kernel.plugins).toEqual(['sandbox', 'aws', 'google', 'policies', 'cost', 'console', 'discord', 'fixture.sandbox-queue']);
    expect(kernel.registries.resourceTypes.get('sandbox.queue')?.provider).toBe('sandbox');
    expect(kernel.registries.resourceTypes.pluginOf('sandbox.queue')).toBe('fixture.sandbox-queue');
  });

  it('loads external plugin modules named in CLOUD_ENGINE_PLUGINS', async () => {
    const kernel = await boot({ env: { CLOUD_ENGINE_PLUGINS: './test/fixtures/plugins/sandbox-queue.mjs, ./test/fixtures/plugins/plugins-array.mjs' } });
    expect(kernel.plugins.slice(7)).toEqual(['fixture.sandbox-queue', 'fixture.first', 'fixture.second']);
  });

  it('loads extraPlugins after the built-ins and gives each plugin the config, read-only', async () => {
    let seen: Record<string, unknown> | undefined;
    const kernel = await boot({
      extraPlugins: [
        definePlugin({
          id: 'acme.spy',
          register(ctx) {
            seen = ctx.config;
            expect(ctx.pluginId).toBe('acme.spy');
          },
        }),
      ],
    });
    expect(kernel.plugins.at(-1)).toBe('acme.spy');
    expect(seen?.logLevel).toBe('silent');
    expect(Object.isFrozen(seen)).toBe(true);
  });

  it('closes twice without error', async () => {
    const kernel = await boot();
    await expect(kernel.close()).resolves.toBeUndefined();
    await expect(kernel.close()).resolves.toBeUndefined();
  });
});

describe('createKernel registration rules', () => {
  it('rejects two plugins with the same id with PLUGIN_FAILED naming the id', async () => {
    const error = await bootError({ builtinPlugins: false, extraPlugins: [typePlugin('acme.twin'), typePlugin('acme.twin')] });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"acme.twin" is loaded twice');
  });

  it('rejects a plugin that reuses a built-in plugin\'s id', async () => {
    const error = await bootError({ extraPlugins: [typePlugin('sandbox')] });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"sandbox"');
  });

  it('rejects the same external module loaded twice', async () => {
    const module = './test/fixtures/plugins/default-export.mjs';
    const error = await bootError({ builtinPlugins: false, plugins: [module, module] });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"fixture.default"');
  });

  it('rejects a resource type whose provider is not loaded, naming the plugin, the type and the provider', async () => {
    const error = await bootError({ extraPlugins: [typePlugin('acme.azure', resourceType('azure.vm', 'azure'))] });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"acme.azure"');
    expect(error.message).toContain('"azure.vm"');
    expect(error.message).toContain('provider "azure"');
    expect(error.details).toEqual({ pluginId: 'acme.azure', type: 'azure.vm', provider: 'azure' });
  });

  it('rejects a resource type for a built-in provider when builtins are off', async () => {
    const error = await bootError({ builtinPlugins: false, plugins: ['./test/fixtures/plugins/sandbox-queue.mjs'] });
    expect(error.message).toContain('"fixture.sandbox-queue"');
    expect(error.message).toContain('provider "sandbox"');
  });

  it('rejects a resource type named without its provider prefix, naming the plugin and the expected prefix', async () => {
    const error = await bootError({ extraPlugins: [typePlugin('acme.queue', resourceType('queue', 'sandbox'))] });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"acme.queue"');
    expect(error.message).toContain('"queue"');
    expect(error.message).toContain('"sandbox."');
  });

  it('rejects a resource type prefixed with another provider\'s id', async () => {
    // A name no built-in plugin registers (aws.queue is the AWS plugin's own now).
    const error = await bootError({ extraPlugins: [typePlugin('acme.mixup', resourceType('aws.widget', 'sandbox'))] });
    expect(error.message).toContain('"aws.widget"');
    expect(error.message).toContain('"sandbox."');
  });

  it('rejects a resource type that a built-in plugin already registered, naming both plugins', async () => {
    const error = await bootError({ extraPlugins: [typePlugin('acme.vm', resourceType('sandbox.vm', 'sandbox'))] });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"acme.vm"');
    expect(error.message).toContain('"sandbox"');
    expect(error.message).toContain('"sandbox.vm"');
  });

  it('rejects a plugin whose register throws, naming the plugin and the thrown message', async () => {
    const boom = definePlugin({
      id: 'acme.boom',
      register() {
        throw new Error('ACME_TOKEN is not set');
      },
    });
    const error = await bootError({ extraPlugins: [boom] });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"acme.boom"');
    expect(error.message).toContain('ACME_TOKEN is not set');
    expect((error.cause as Error).message).toBe('ACME_TOKEN is not set');
  });

  it('rejects a plugin whose async register rejects, the same way', async () => {
    const error = await bootError({
      extraPlugins: [
        definePlugin({
          id: 'acme.async',
          async register() {
            await Promise.resolve();
            throw new Error('remote catalog unreachable');
          },
        }),
      ],
    });
    expect(error.message).toContain('"acme.async"');
    expect(error.message).toContain('remote catalog unreachable');
  });

  it('rejects a provider missing part of its contract, naming the plugin and the missing keys', async () => {
    const error = await bootError({
      builtinPlugins: false,
      extraPlugins: [
        definePlugin({
          id: 'acme.half',
          register(ctx) {
            ctx.addProvider({ id: 'half', displayName: 'Half' } as unknown as typeof sandboxProvider);
          },
        }),
      ],
    });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"acme.half"');
    expect(error.message).toContain('configure, settingsSchema');
  });

  it('fails with PLUGIN_FAILED naming an external module that does not exist', async () => {
    const error = await bootError({ plugins: ['./test/fixtures/plugins/nope.mjs'] });
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toContain('"./test/fixtures/plugins/nope.mjs"');
  });

  it('fails with CONFIG_INVALID saying to check the data directory when it cannot be created', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'cloud-engine-kernel-'));
    dirs.push(parent);
    writeFileSync(join(parent, 'file'), 'x');
    const error = await createKernel({ dataDir: join(parent, 'file', 'data'), logLevel: 'silent', env: {} }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CloudEngineError);
    expect((error as CloudEngineError).code).toBe('CONFIG_INVALID');
    expect((error as CloudEngineError).message).toMatch(/data directory/);
  });

  it('fails with CONFIG_INVALID before loading anything when the config is bad', async () => {
    const error = await bootError({ maxTerraform: 0 });
    expect(error.code).toBe('CONFIG_INVALID');
  });
});

describe('createKernel: the cost plugin\'s price book', () => {
  it('reads CLOUD_ENGINE_PRICE_BOOK and the priceBook option as the cost plugin\'s configuration, naming both in errors', async () => {
    const fromEnv = await bootError({ env: { CLOUD_ENGINE_PRICE_BOOK: '/nonexistent/prices.json' } });
    expect(fromEnv).toMatchObject({ code: 'CONFIG_INVALID', field: 'priceBook' });
    expect(fromEnv.message).toContain('Cannot read the price book /nonexistent/prices.json');

    const fromOption = await bootError({ priceBook: 42 as unknown as string });
    expect(fromOption).toMatchObject({ code: 'CONFIG_INVALID', field: 'pluginConfig.cost.priceBook' });
    expect(fromOption.message).toContain('Invalid configuration "priceBook" of plugin "cost" (CLOUD_ENGINE_PRICE_BOOK): priceBook must be the path of a JSON price book; received 42');
  });

  it('lets pluginConfig.cost win over the priceBook option, and ignores the option when the cost plugin is not loaded', async () => {
    const error = await bootError({ priceBook: '/nonexistent/a.json', pluginConfig: { cost: { priceBook: '/nonexistent/b.json' } } });
    expect(error.message).toContain('/nonexistent/b.json');
    const kernel = await boot({ builtinPlugins: false, priceBook: '/nonexistent/a.json' });
    expect(kernel.plugins).toEqual([]);
  });
});
