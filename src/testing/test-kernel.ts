import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKernel } from '../engine.js';
import type { KernelOptions } from '../kernel/config/engine-config.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Plugin } from '../kernel/plugin/define-plugin.js';

/** The global admin of a test kernel: may create projects and act in all of them. */
export const TEST_ADMIN = 'admin';

export interface TestKernelOptions extends Omit<KernelOptions, 'plugins' | 'extraPlugins' | 'dataDir'> {
  /** The plugins under test, loaded after the built-ins (which give you sandbox, aws and google). */
  readonly plugins?: readonly Plugin[];
  /** Keep the data here instead of a fresh temporary directory; `dispose()` then leaves it. */
  readonly dataDir?: string;
}

/** A throwaway kernel: a real one, on its own data dir. */
export interface TestKernel {
  readonly kernel: Kernel;
  readonly dataDir: string;
  /** Closes the kernel and removes its temporary data dir. */
  dispose(): Promise<void>;
}

/**
 * Starts a real kernel with your plugins on a temporary data dir (SQLite),
 * quiet, with `admin` as global admin. `env` defaults to `{}`, so nothing of
 * the machine's environment (CLOUD_ENGINE_*, DISCORD_*) leaks in: pass
 * `pluginConfig` or `env` to configure your plugin. Dispose of it when done.
 */
export async function startTestKernel(options: TestKernelOptions = {}): Promise<TestKernel> {
  const { plugins = [], dataDir: given, ...rest } = options;
  const dataDir = given ?? mkdtempSync(join(tmpdir(), 'cloud-engine-test-'));
  try {
    const kernel = await createKernel({ logLevel: 'silent', admins: [TEST_ADMIN], env: {}, ...rest, dataDir, extraPlugins: [...plugins] });
    return {
      kernel,
      dataDir,
      async dispose() {
        await kernel.close();
        if (given === undefined) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (given === undefined) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}
