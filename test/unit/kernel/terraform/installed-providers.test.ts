import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findInstalledProviders, hashEnv } from '../../../../src/kernel/terraform/installed-providers.js';
import { FAKE_PROVIDER, freshDirEachTest, workingDir } from './provider.fixture.js';

describe('findInstalledProviders and hashEnv', () => {
  let root: string;
  const env = { PATH: process.env.PATH, AWS_REGION: 'eu-west-1' };

  freshDirEachTest('provider-pool-', (dir) => (root = dir));

  it('finds the providers init installed', async () => {
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const found = await findInstalledProviders(cwd);
    expect(found).toMatchObject([{ source: 'registry.terraform.io/hashicorp/fake', version: '1.2.3', platform: 'linux_amd64' }]);
    expect(await findInstalledProviders(join(root, 'nothing-here'))).toEqual([]);
  });

  it('keys processes on what a provider can read, not on terraform-only variables', () => {
    const base = { ...env, AWS_ACCESS_KEY_ID: 'a' };
    expect(hashEnv({ ...base, TF_WORKSPACE: 's1', TF_IN_AUTOMATION: '1', TF_CLI_ARGS_plan: '-parallelism=2' })).toBe(hashEnv({ ...base, TF_WORKSPACE: 's2' }));
    expect(hashEnv({ ...base, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' })).not.toBe(hashEnv(base));
    expect(hashEnv({ ...base, TF_VAR_x: '1' })).not.toBe(hashEnv(base));
  });
});
