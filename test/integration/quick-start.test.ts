import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'cloud-engine.js');

// The README's first command ends in `npm start`: run exactly that program, built.
describe.skipIf(!existsSync(BIN))('npm start on a fresh data dir with no Discord bot configured', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...process.env, CLOUD_ENGINE_DATA_DIR: dataDir, CLOUD_ENGINE_USER: 'newcomer', CLOUD_ENGINE_LOG_LEVEL: 'warn', DISCORD_TOKEN: '', CLOUD_ENGINE_CONSOLE: '' };

  it('opens the console chat, deploys what is piped in, and exits 0 at the end of input (no open handles)', () => {
    const script = ['/cloud-deploy project:sandbox', '/add sandbox.vm web bootSeconds=1', '/approve', ''].join('\n');
    const run = spawnSync(process.execPath, [BIN, 'start'], { env, input: script, encoding: 'utf8', timeout: 90_000 });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Cloud Engine console — you are newcomer.');
    expect(run.stdout).toContain('Plan: 1 to add, 0 to change, 0 to destroy.');
    expect(run.stdout).toContain('booting web: 1/1s');
    expect(run.stdout).toContain('▸ 1/1 resources done');
    expect(run.stdout).toContain('State: 🎉 Applied');
    expect(existsSync(join(dataDir, 'cloud-engine.sqlite'))).toBe(true);
  });

  it('runs the scripted demo with `cloud-engine demo`', () => {
    const run = spawnSync(process.execPath, [BIN, 'demo', '--boot-seconds', '1'], { env, encoding: 'utf8', timeout: 90_000 });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/Session \w+ APPLIED in/);
    expect(run.stdout.split('\n').filter((line) => line.includes('booting web'))).toHaveLength(1);
  });

  it('reports a bad configuration value by name and exits 2', () => {
    const run = spawnSync(process.execPath, [BIN, 'start'], { env: { ...env, CLOUD_ENGINE_MAX_TERRAFORM: 'lots' }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('CLOUD_ENGINE_MAX_TERRAFORM');
  });
});
