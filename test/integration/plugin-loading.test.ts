import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../support/rejection.js';

const REPO = resolve(import.meta.dirname, '../..');
const EXAMPLE = join(REPO, 'examples/acme-sqs-plugin');
/** What a user writes in CLOUD_ENGINE_PLUGINS (or `plugins`) once the package is installed. */
const PACKAGE = '@acme/cloud-engine-sqs';
const PLUGIN_ID = 'acme.sqs';
const FOUR_DAYS = 345_600;
const run = promisify(execFile);

/**
 * A fresh Node process (no test runner in between) that starts the built
 * engine from the clone's root, loads the plugin from `specifier` and prints
 * what registered and what a queue synthesizes to. `cloud-engine` resolves to
 * this repo's dist/, as for a user of a clone after `npm run build`.
 */
async function loadInFreshProcess(cwd: string, specifier: string, how: 'env' | 'option') {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-example-'));
  const script = `
    import { createKernel } from 'cloud-engine';
    import { synthResource } from 'cloud-engine/testing';
    import { z } from 'zod';
    const specifier = ${JSON.stringify(specifier)};
    const kernel = await createKernel({ dataDir: ${JSON.stringify(dataDir)}, logLevel: 'silent', ${how === 'env' ? 'env: { CLOUD_ENGINE_PLUGINS: specifier }' : 'env: {}, plugins: [specifier]'} });
    const type = kernel.registries.resourceTypes.get('aws.sqs_queue');
    const json = synthResource(type, { name: 'orders', config: { fifo: true }, project: { settings: { region: 'eu-west-1' } } });
    console.log(JSON.stringify({
      plugins: kernel.plugins,
      owners: ['aws.sqs_queue', 'acme.sqs-retention', 'acme.sqs-requests'].map((key) => kernel.registries.resourceTypes.pluginOf(key) ?? kernel.registries.policyValidators.pluginOf(key) ?? kernel.registries.costEstimators.pluginOf(key)),
      hostZod: type.schema instanceof z.ZodObject,
      queue: json.resource.aws_sqs_queue.orders,
    }));
    await kernel.close();
  `;
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd, timeout: 60_000 });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { plugins: string[]; owners: string[]; hostZod: boolean; queue: Record<string, unknown> };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('an external plugin (examples/acme-sqs-plugin), loaded the ways users load it', () => {
  beforeAll(() => {
    if (!existsSync(join(REPO, 'dist/index.js')) || !existsSync(join(REPO, 'dist/testing/index.js'))) {
      throw new Error('dist/ is missing: these tests start the built engine, as a user does. Run `npm run build` first (`npm test` does).');
    }
    // The point is that the plugin needs nothing installed of its own.
    if (existsSync(join(EXAMPLE, 'node_modules'))) throw new Error(`Remove ${join(EXAMPLE, 'node_modules')}: these tests load the example without one.`);
  });

  it.each([
    ['its folder, in CLOUD_ENGINE_PLUGINS', './examples/acme-sqs-plugin', 'env'],
    ['its entry file, in the plugins option', './examples/acme-sqs-plugin/index.js', 'option'],
    ['its absolute folder path', EXAMPLE, 'env'],
  ] as const)("from a clone, by %s, sharing the host's cloud-engine, zod and cdktf", async (_how, specifier, how) => {
    const loaded = await loadInFreshProcess(REPO, specifier, how);
    expect(loaded.plugins.at(-1)).toBe(PLUGIN_ID);
    expect(loaded.owners).toEqual([PLUGIN_ID, PLUGIN_ID, PLUGIN_ID]);
    // The schema is the host's zod, so chat forms can read it; the queue joined the host's cdktf stack.
    expect(loaded.hostZod).toBe(true);
    expect(loaded.queue).toEqual({ name: 'orders.fifo', fifo_queue: true, visibility_timeout_seconds: 30, message_retention_seconds: FOUR_DAYS });
  });

  describe("installed in a user's project", () => {
    /**
     * A user's project with cloud-engine and the example installed the way npm
     * lays them out: cloud-engine (this repo, which resolves to dist/) and the
     * peers at the top of node_modules, and the plugin as a copy (a registry
     * install, a tarball, `npm install --install-links <dir>`) or a symlink (`npm link`).
     */
    function installUserProject({ linkPlugin = false } = {}): string {
      const project = mkdtempSync(join(tmpdir(), 'cloud-engine-user-'));
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'acme-infra', private: true, type: 'module', dependencies: { 'cloud-engine': '^0.1.0', [PACKAGE]: '^0.1.0' } }));
      const link = (name: string, target: string) => {
        mkdirSync(dirname(join(project, 'node_modules', name)), { recursive: true });
        symlinkSync(target, join(project, 'node_modules', name), 'dir');
      };
      link('cloud-engine', REPO);
      for (const peer of ['zod', 'cdktf', 'constructs', '@cdktf/provider-aws']) link(peer, join(REPO, 'node_modules', peer));
      if (linkPlugin) link(PACKAGE, EXAMPLE);
      else cpSync(EXAMPLE, join(project, 'node_modules', PACKAGE), { recursive: true, filter: (source) => basename(source) !== 'node_modules' });
      return project;
    }
    const projects: string[] = [];
    afterAll(() => {
      for (const project of projects) rmSync(project, { recursive: true, force: true });
    });

    it('loads by package name from the node_modules of the directory Cloud Engine starts in', async () => {
      const project = installUserProject();
      projects.push(project);
      const loaded = await loadInFreshProcess(project, PACKAGE, 'env');
      expect(loaded.owners).toEqual([PLUGIN_ID, PLUGIN_ID, PLUGIN_ID]);
      expect(loaded.hostZod).toBe(true);
    });

    it('fails to load, naming the specifier, when the package is only symlinked in (npm link): load the folder by path instead', async () => {
      const project = installUserProject({ linkPlugin: true });
      projects.push(project);
      const failed = await rejection(loadInFreshProcess(project, PACKAGE, 'option'));
      expect(failed.message).toContain(`Could not load plugin module "${PACKAGE}"`);
      expect(failed.message).toContain("Cannot find package 'cloud-engine'");
    });
  });
});
