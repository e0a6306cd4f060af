import { describe, expect, it, vi } from 'vitest';
import { initialize, packageName, resolve } from '../../../../src/kernel/plugin/host-packages.hook.js';

const ROOT = 'file:///work/plugins/acme-sqs/';
const HOST = 'file:///srv/app/node_modules/cloud-engine/package.json';
const PLUGIN_FILE = `${ROOT}sqs-queue.resource.js`;
initialize({ root: ROOT, host: HOST, shared: ['cloud-engine', 'zod', '@cdktf/provider-aws'] });

type Next = Parameters<typeof resolve>[2];

/** A stand-in for Node's next resolver: answers with where it was asked from, or fails for parents in `missingFrom`. */
function nextResolver(missingFrom: string[] = []) {
  return vi.fn(async (specifier: string, context?: { parentURL?: string }) => {
    if (missingFrom.includes(context?.parentURL ?? '')) throw new Error(`Cannot find package '${specifier}'`);
    return { url: `resolved:${specifier}@${context?.parentURL}`, shortCircuit: true };
  });
}

async function resolveFrom(specifier: string, parentURL: string | undefined, next = nextResolver()) {
  const result = await resolve(specifier, { conditions: ['node', 'import'], importAttributes: {}, importAssertions: {}, parentURL }, next as unknown as Next);
  return result.url;
}

describe('the host-packages resolve hook', () => {
  it("resolves a plugin file's imports of shared packages from the host, deep paths and cloud-engine itself included", async () => {
    expect(await resolveFrom('zod', PLUGIN_FILE)).toBe(`resolved:zod@${HOST}`);
    expect(await resolveFrom('cloud-engine', PLUGIN_FILE)).toBe(`resolved:cloud-engine@${HOST}`);
    expect(await resolveFrom('@cdktf/provider-aws/lib/sqs-queue/index.js', `${ROOT}lib/deep.js`)).toBe(`resolved:@cdktf/provider-aws/lib/sqs-queue/index.js@${HOST}`);
  });

  it('leaves packages the host does not share, relative imports and builtins to the plugin', async () => {
    expect(await resolveFrom('left-pad', PLUGIN_FILE)).toBe(`resolved:left-pad@${PLUGIN_FILE}`);
    expect(await resolveFrom('./sqs-cost.estimator.js', PLUGIN_FILE)).toBe(`resolved:./sqs-cost.estimator.js@${PLUGIN_FILE}`);
    expect(await resolveFrom('node:fs', PLUGIN_FILE)).toBe(`resolved:node:fs@${PLUGIN_FILE}`);
    expect(await resolveFrom('zod-extra', PLUGIN_FILE)).toBe(`resolved:zod-extra@${PLUGIN_FILE}`);
  });

  it("leaves modules outside the plugin's folder alone, and the plugin's own dependencies in its node_modules", async () => {
    expect(await resolveFrom('zod', 'file:///work/plugins/other/index.js')).toBe('resolved:zod@file:///work/plugins/other/index.js');
    expect(await resolveFrom('zod', 'file:///work/plugins/acme-sqs-extra/index.js')).toBe('resolved:zod@file:///work/plugins/acme-sqs-extra/index.js');
    const dependency = `${ROOT}node_modules/some-lib/index.js`;
    expect(await resolveFrom('zod', dependency)).toBe(`resolved:zod@${dependency}`);
    expect(await resolveFrom('zod', undefined)).toBe('resolved:zod@undefined');
  });

  it("falls back to the plugin's own resolution when the host lacks a shared package (a peer it never installed)", async () => {
    expect(await resolveFrom('@cdktf/provider-aws', PLUGIN_FILE, nextResolver([HOST]))).toBe(`resolved:@cdktf/provider-aws@${PLUGIN_FILE}`);
  });

  it.each([
    ['zod', 'zod'],
    ['zod/v4', 'zod'],
    ['@cdktf/provider-aws', '@cdktf/provider-aws'],
    ['@cdktf/provider-aws/lib/sqs-queue/index.js', '@cdktf/provider-aws'],
  ])('reads the package of %s as %s', (specifier, name) => {
    expect(packageName(specifier)).toBe(name);
  });
});
