import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKernel, type Kernel } from '../../src/kernel/kernel.js';
import type { KernelOptions } from '../../src/kernel/config/engine-config.js';

/** The offline provider mirror on this machine, when there is one. */
export const TF_PLUGIN_DIR = process.env.CLOUD_ENGINE_TF_PLUGIN_DIR ?? '/opt/tf-plugins';
export const HAS_AWS_MIRROR = existsSync(join(TF_PLUGIN_DIR, 'registry.terraform.io', 'hashicorp', 'aws'));

export const ADMIN = 'admin';

export interface TestKernel {
  kernel: Kernel;
  dataDir: string;
  /** Closes the kernel and removes its data dir. */
  dispose(): Promise<void>;
}

/** A real kernel on a fresh data dir, quiet, with `admin` as global admin. */
export async function startTestKernel(options: KernelOptions = {}): Promise<TestKernel> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cloud-engine-test-'));
  const kernel = await createKernel({
    logLevel: 'silent',
    admins: [ADMIN],
    tfPluginDir: HAS_AWS_MIRROR ? TF_PLUGIN_DIR : undefined,
    env: {},
    ...options,
    dataDir,
  });
  return {
    kernel,
    dataDir,
    async dispose() {
      await kernel.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
