import { existsSync } from 'node:fs';
import { readFile, readlink, stat, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INIT_STAMP_FILE } from '../../../../src/kernel/terraform/init-cache.js';
import type { TerraformEvent } from '../../../../src/kernel/terraform/terraform-events.js';
import { fakeTerraform, PLUGIN_DIR, removeWorkdirs, runner, workdir, writeConfig } from './terraform-runner.fixture.js';

afterAll(removeWorkdirs);

describe('TerraformRunner init stamp (real terraform)', () => {
  it('skips init when the terraform block is unchanged and re-runs it when the block changes', async () => {
    const config = { terraform: { required_version: '>= 1.0' }, resource: { terraform_data: { a: { input: 1 } } } };
    const cwd = await workdir(config);
    const tf = runner();

    expect(await tf.init({ cwd })).toEqual({ skipped: false });
    expect(JSON.parse(await readFile(path.join(cwd, '.terraform', INIT_STAMP_FILE), 'utf8')).key).toMatch(/^[0-9a-f]{64}$/);
    expect(await tf.init({ cwd })).toEqual({ skipped: true });

    // Resources are not init's business: changing them must not force a re-init.
    await writeConfig(cwd, { ...config, resource: { terraform_data: { b: { input: 2 } } } });
    expect(await tf.init({ cwd })).toEqual({ skipped: true });

    await writeConfig(cwd, { ...config, terraform: { required_version: '>= 1.1' } });
    expect(await tf.init({ cwd })).toEqual({ skipped: false });
    expect(await tf.init({ cwd })).toEqual({ skipped: true });

    // A runner with another plugin dir must not trust an init done without it.
    const tfWithMirror = runner({ pluginDir: await workdir() });
    expect(await tfWithMirror.init({ cwd })).toEqual({ skipped: false });
  });
});

describe('TerraformRunner init templates with the AWS provider from the offline plugin dir', () => {
  it.skipIf(!existsSync(PLUGIN_DIR))(
    'sets a new directory up from the init template of the same terraform block: no init process, the same provider link, and a real plan works',
    async () => {
      const terraform = { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } }, backend: { local: { path: 'terraform.tfstate' } } };
      const provider = { aws: { region: 'us-east-1', skip_credentials_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true, skip_region_validation: true } };
      const env = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_EC2_METADATA_DISABLED: 'true' };
      const cache = await workdir();
      const tf = runner({ pluginDir: PLUGIN_DIR, initCacheDir: cache });
      const first = await workdir({ terraform, provider, resource: { aws_s3_bucket: { a: { bucket: 'first-bucket' } } } });
      const second = await workdir({ terraform, provider, resource: { aws_s3_bucket: { b: { bucket: 'second-bucket' }, c: { bucket: 'third-bucket' } } } });

      expect(await tf.init({ cwd: first, env })).toEqual({ skipped: false });
      const events: TerraformEvent[] = [];
      expect(await tf.init({ cwd: second, env, onEvent: (e) => events.push(e) })).toEqual({ skipped: true, fromTemplate: true });
      expect(events).toEqual([]);
      expect(tf.peakRunning).toBe(1);

      const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
      const installed = (cwd: string) => path.join(cwd, '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0', platform);
      expect(await readlink(installed(second))).toBe(await readlink(installed(first)));
      expect(await readFile(path.join(second, '.terraform.lock.hcl'), 'utf8')).toBe(await readFile(path.join(first, '.terraform.lock.hcl'), 'utf8'));
      // Small files are copies: terraform rewriting one in this directory cannot reach the template.
      const stamp = path.join(second, '.terraform', INIT_STAMP_FILE);
      const [template] = (await import('node:fs')).readdirSync(cache);
      expect((await stat(stamp)).ino).not.toBe((await stat(path.join(cache, template!, '.terraform', INIT_STAMP_FILE))).ino);

      const planned = await tf.plan({ cwd: second, env, planFile: 'p.tfplan' });
      expect(planned.changeSummary).toEqual({ add: 2, change: 0, remove: 0 });
      // Initialized for this key now: the next init is the ordinary stamp skip.
      expect(await tf.init({ cwd: second, env })).toEqual({ skipped: true });
    },
  );

  it.skipIf(!existsSync(PLUGIN_DIR))('runs a real init when the template points at a provider that is gone, and replaces the template', async () => {
    const terraform = { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } } };
    const cache = await workdir();
    const tf = runner({ pluginDir: PLUGIN_DIR, initCacheDir: cache });
    expect(await tf.init({ cwd: await workdir({ terraform }) })).toEqual({ skipped: false });
    const [template] = (await import('node:fs')).readdirSync(cache);
    const platform = `${process.platform}_${process.arch === 'x64' ? 'amd64' : process.arch}`;
    const link = path.join(cache, template!, '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0', platform);
    await unlink(link);
    await symlink(path.join(cache, 'moved-away'), link);

    const cwd = await workdir({ terraform });
    expect(await tf.init({ cwd })).toEqual({ skipped: false });
    expect(existsSync(path.join(cwd, '.terraform', INIT_STAMP_FILE))).toBe(true);
    expect((await stat(path.join(cwd, '.terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0', platform))).isDirectory()).toBe(true);
    // The stale template was dropped; the next directory is set up from the fresh one.
    expect(await tf.init({ cwd: await workdir({ terraform }) })).toEqual({ skipped: true, fromTemplate: true });
  });
});

describe('TerraformRunner init templates (fake terraform)', () => {
  async function countingTerraform(): Promise<{ binary: string; count: () => Promise<number> }> {
    const dir = await workdir();
    const log = path.join(dir, 'calls.log');
    const binary = await fakeTerraform(dir, `echo "$1" >> '${log}'\nmkdir -p .terraform\necho 'provider "x" {}' > .terraform.lock.hcl`);
    return { binary, count: async () => (existsSync(log) ? (await readFile(log, 'utf8')).trim().split('\n').length : 0) };
  }

  it('shares init only between directories with the local backend; a remote backend or modules always run their own init', async () => {
    const cases: Array<[string, Record<string, unknown>, boolean]> = [
      ['no backend', { terraform: { required_version: '>= 1.0' } }, true],
      ['local backend', { terraform: { backend: { local: { path: 'terraform.tfstate' } } } }, true],
      ['s3 backend', { terraform: { backend: { s3: { bucket: 'b', key: 'k' } } } }, false],
      ['cloud block', { terraform: { cloud: { organization: 'o' } } }, false],
      ['a module', { terraform: {}, module: { net: { source: './net' } } }, false],
    ];
    for (const [what, config, shared] of cases) {
      const { binary, count } = await countingTerraform();
      const tf = runner({ binary, initCacheDir: await workdir() });
      const a = await workdir(config);
      const b = await workdir(config);
      expect(await tf.init({ cwd: a }), what).toEqual({ skipped: false });
      expect(await tf.init({ cwd: b }), what).toEqual(shared ? { skipped: true, fromTemplate: true } : { skipped: false });
      expect(await count(), what).toBe(shared ? 1 : 2);
      if (shared) expect(await readFile(path.join(b, '.terraform.lock.hcl'), 'utf8'), what).toBe('provider "x" {}\n');
    }
  });

  it('never uses a template without an init cache dir, or for a directory that was initialized before', async () => {
    const { binary, count } = await countingTerraform();
    const config = { terraform: { required_version: '>= 1.0' } };
    const plain = runner({ binary });
    await plain.init({ cwd: await workdir(config) });
    expect(await plain.init({ cwd: await workdir(config) })).toEqual({ skipped: false });
    expect(await count()).toBe(2);

    const tf = runner({ binary, initCacheDir: await workdir() });
    const reinit = await workdir({ terraform: { required_version: '>= 0.1' } });
    await tf.init({ cwd: reinit });
    await tf.init({ cwd: await workdir(config) }); // Saves the template for `config`.
    await writeConfig(reinit, config);
    // An existing .terraform is re-initialized by terraform (-reconfigure -upgrade), never overlaid.
    expect(await tf.init({ cwd: reinit })).toEqual({ skipped: false });
    expect(await count()).toBe(5);
  });
});
