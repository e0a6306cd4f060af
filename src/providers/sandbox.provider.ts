import { z } from 'zod';
import type { CloudProvider } from '../kernel/plugin/cloud-provider.js';

/** The sandbox takes no settings: it runs entirely on the engine's machine. */
export const sandboxSettingsSchema = z.strictObject({});

/** Settings of the sandbox provider (none). */
export type SandboxSettings = z.output<typeof sandboxSettingsSchema>;

/**
 * A local cloud made of Terraform's built-in `terraform_data`: no provider to
 * download and no credentials, so plans and applies work offline and in tests.
 */
export const sandboxProvider: CloudProvider<SandboxSettings> = {
  id: 'sandbox',
  displayName: 'Sandbox (local, no cloud)',
  settingsSchema: sandboxSettingsSchema,
  configure() {
    // terraform_data is built into Terraform (>= 1.4), so there is no provider block to add.
  },
};
