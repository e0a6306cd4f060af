import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { findInstalledProviders } from '../../../../src/kernel/terraform/installed-providers.js';
import { PROVIDER_GUARD } from '../../../../src/kernel/terraform/provider-process.js';
import { alive, FAKE_PROVIDER, freshDirEachTest, waitFor, workingDir } from './provider.fixture.js';

describe('PROVIDER_GUARD (with a stand-in provider binary)', () => {
  let root: string;

  freshDirEachTest('provider-pool-', (dir) => (root = dir));

  it('ties a pooled provider to its owner: when the owner dies (its end of the stdin pipe closes) the provider is killed', async () => {
    const cwd = workingDir(root, 'a', FAKE_PROVIDER);
    const [installed] = await findInstalledProviders(cwd);
    // The guard exactly as the pool runs it; closing stdin is what the kernel's death (even kill -9) does to it.
    const guard = spawn('/bin/sh', ['-c', PROVIDER_GUARD, installed!.binary], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    let out = '';
    guard.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => /"Pid":(\d+)/.test(out));
    const providerPid = Number(/"Pid":(\d+)/.exec(out)![1]);
    expect(providerPid).not.toBe(guard.pid);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(providerPid)).toBe(true);
    const exited = new Promise((resolve) => guard.once('exit', resolve));
    guard.stdin.end();
    await waitFor(() => !alive(providerPid));
    await exited; // The guard shell goes with it.
  });
});
