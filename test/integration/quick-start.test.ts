import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'cloud-engine.js');

// The README's first command ends in `npm start`: run exactly that program, built.
describe.skipIf(!existsSync(BIN))('npm start on a fresh data dir with no chat adapter configured', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('deploys the sandbox demo, streams the apply, and exits 0 by itself (kernel.close leaves no handles)', () => {
    const env = { ...process.env, CLOUD_ENGINE_DATA_DIR: dataDir, CLOUD_ENGINE_USER: 'newcomer', CLOUD_ENGINE_LOG_LEVEL: 'warn' };
    const run = spawnSync(process.execPath, [BIN, 'start'], { env, encoding: 'utf8', timeout: 90_000 });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines).toContain('  Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(lines.filter((line) => line.includes('booting web'))).toHaveLength(3);
    expect(lines.some((line) => /^Session \w+ APPLIED in/.test(line))).toBe(true);
    expect(existsSync(join(dataDir, 'cloud-engine.sqlite'))).toBe(true);

    // A second run reuses the project and deploys a new session.
    const again = spawnSync(process.execPath, [BIN, 'start'], { env, encoding: 'utf8', timeout: 90_000 });
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/Session \w+ APPLIED/);
  });

  it('reports a bad configuration value by name and exits 2', () => {
    const run = spawnSync(process.execPath, [BIN, 'start'], {
      env: { ...process.env, CLOUD_ENGINE_DATA_DIR: dataDir, CLOUD_ENGINE_MAX_TERRAFORM: 'lots' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('CLOUD_ENGINE_MAX_TERRAFORM');
  });
});
