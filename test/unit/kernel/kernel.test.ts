import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKernel, type Kernel } from '../../../src/kernel/kernel.js';
import { definePlugin } from '../../../src/kernel/plugin/define-plugin.js';
import { sandboxProvider } from '../../../src/providers/sandbox.provider.js';

const dirs: string[] = [];
const kernels: Kernel[] = [];

afterEach(async () => {
  await Promise.all(kernels.splice(0).map((kernel) => kernel.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function boot(...args: Parameters<typeof createKernel>): Promise<Kernel> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-bare-kernel-'));
  dirs.push(dataDir);
  const kernel = await createKernel({ dataDir, logLevel: 'silent', env: {}, ...args[0] }, args[1]);
  kernels.push(kernel);
  return kernel;
}

const provider = definePlugin({
  id: 'acme.cloud',
  register(ctx) {
    ctx.addProvider({ ...sandboxProvider, id: 'acme' });
  },
});

describe('the kernel on its own', () => {
  it('loads no plugin unless its caller passes one: no built-ins, empty registries', async () => {
    const kernel = await boot({});
    expect(kernel.plugins).toEqual([]);
    expect(kernel.registries.providers.list()).toEqual([]);
    expect(kernel.registries.chatAdapters.list()).toEqual([]);
  });

  it('registers exactly the plugins it is given, in order', async () => {
    const second = definePlugin({ id: 'acme.second', register() {} });
    const kernel = await boot({}, [provider, second]);
    expect(kernel.plugins).toEqual(['acme.cloud', 'acme.second']);
    expect(kernel.registries.providers.pluginOf('acme')).toBe('acme.cloud');
  });

  it('records plugin specifiers in its config but imports none of them (that is the engine\'s job)', async () => {
    const kernel = await boot({ plugins: ['./test/fixtures/plugins/nope.mjs'] });
    expect(kernel.config.plugins).toEqual(['./test/fixtures/plugins/nope.mjs']);
    expect(kernel.plugins).toEqual([]);
  });
});
