import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from '../../../src/kernel/plugin/define-plugin.js';
import { startTestKernel, TEST_ADMIN } from '../../../src/testing/test-kernel.js';

const configured = definePlugin({
  id: 'acme.configured',
  config: { schema: z.object({ region: z.string().default('us-east-1') }), env: { region: 'ACME_REGION' } },
  register(ctx) {
    seen.push(ctx.config.region);
  },
});
const seen: string[] = [];

describe('startTestKernel', () => {
  it('starts a real kernel with the built-ins and the plugins under test on a temporary data dir, which dispose() removes', async () => {
    const t = await startTestKernel({ plugins: [configured] });
    expect(t.kernel.plugins).toEqual(['sandbox', 'aws', 'google', 'policies', 'cost', 'console', 'discord', 'acme.configured']);
    expect(t.kernel.config.admins).toEqual([TEST_ADMIN]);
    expect(t.kernel.config.logLevel).toBe('silent');
    await t.kernel.projects.create({ id: 'dev', provider: 'sandbox', createdBy: TEST_ADMIN });
    expect(existsSync(t.dataDir)).toBe(true);
    await t.dispose();
    expect(existsSync(t.dataDir)).toBe(false);
  });

  it("ignores the machine's environment unless given one, and takes plugin configuration", async () => {
    process.env.ACME_REGION = 'eu-west-1';
    try {
      const quiet = await startTestKernel({ plugins: [configured] });
      await quiet.dispose();
      const configuredByOption = await startTestKernel({ plugins: [configured], pluginConfig: { 'acme.configured': { region: 'ap-south-1' } } });
      await configuredByOption.dispose();
      const fromEnv = await startTestKernel({ plugins: [configured], env: { ACME_REGION: 'eu-central-1' } });
      await fromEnv.dispose();
      expect(seen.slice(-3)).toEqual(['us-east-1', 'ap-south-1', 'eu-central-1']);
    } finally {
      delete process.env.ACME_REGION;
    }
  });

  it('keeps a data dir it was given, and removes its own when start-up fails', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-kept-'));
    try {
      const t = await startTestKernel({ dataDir, builtinPlugins: false });
      expect(t.kernel.plugins).toEqual([]);
      await t.dispose();
      expect(existsSync(dataDir)).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    await expect(startTestKernel({ plugins: [configured], pluginConfig: { 'acme.configured': { region: 42 } } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
