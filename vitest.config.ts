import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests that import the example plugin: its `cloud-engine` imports are this repo's sources, as a plugin
    // author's would be the installed package. (Plugins loaded by path at run time use the host hook instead.)
    alias: [
      { find: /^cloud-engine$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^cloud-engine\/testing$/, replacement: fileURLToPath(new URL('./src/testing/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Integration tests run real terraform; two cores, so keep files from starving each other.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
