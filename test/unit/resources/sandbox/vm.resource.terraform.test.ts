import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxProvider } from '../../../../src/providers/sandbox.provider.js';
import { sandboxPrivateIp, sandboxVmResource } from '../../../../src/resources/sandbox/vm.resource.js';
import { synthSession } from '../synth.helper.js';

const run = promisify(execFile);

async function terraform(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run('terraform', args, {
    cwd,
    env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

describe('sandbox.vm under real terraform', () => {
  let dir: string;
  let applyOutput: string;
  const marker = () => join(dir, 'pwned');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-vm-'));
    // If any of this reached the shell as code, the marker file would appear.
    const hostile = `$(touch ${marker()}) \`touch ${marker()}\``;
    const json = synthSession({
      provider: sandboxProvider,
      settings: {},
      sessionId: 'session-tf',
      resources: [{ type: sandboxVmResource, name: 'vm-1', config: { bootSeconds: 2, image: hostile, tags: { note: hostile } } }],
    });
    await writeFile(join(dir, 'main.tf.json'), JSON.stringify(json, null, 2));
    await terraform(dir, ['init', '-input=false', '-no-color']);
    applyOutput = await terraform(dir, ['apply', '-auto-approve', '-input=false', '-no-color']);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('prints the boot progress one line per second, then that the VM is running', () => {
    const lines = applyOutput.split('\n').filter((line) => line.includes('(local-exec):'));
    const progress = lines.map((line) => line.slice(line.indexOf('(local-exec):') + '(local-exec):'.length).trim());
    expect(progress.filter((line) => line.startsWith('booting') || line.endsWith('is running'))).toEqual([
      'booting vm-1: 1/2s',
      'booting vm-1: 2/2s',
      'vm-1 is running',
    ]);
  });

  it('passes hostile image text to the shell as data, never as code', () => {
    expect(existsSync(marker())).toBe(false);
    expect(applyOutput).toContain(`starting vm-1 (small, $(touch ${marker()})`);
  });

  it('exposes the id and the deterministic private IP as outputs', async () => {
    const outputs = JSON.parse(await terraform(dir, ['output', '-json'])) as Record<string, { value: unknown }>;
    expect((outputs['vm-1']!.value as Record<string, unknown>).id).toMatch(/^[0-9a-f-]{36}$/);
    expect((outputs['vm-1']!.value as Record<string, unknown>).ip).toBe(sandboxPrivateIp('session-tf', 'vm-1'));
  });
});
