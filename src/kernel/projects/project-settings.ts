import { z } from 'zod';
import { BackendSettingsSchema } from '../synth/state-backend.js';
import { LifecycleSettingsSchema } from '../lifecycle/lifecycle-settings.js';
import { AccessSettingsSchema } from '../access/access-settings.js';
import { ApprovalSettingsSchema } from '../approvals/approval-settings.js';
import { DriftSettingsSchema } from '../drift/drift-settings.js';

/**
 * Keys of a project's settings that belong to the kernel rather than to the
 * project's cloud provider; every other key is validated by the provider.
 */
/** Who may approve, and how many: `settings.approval` (approvals/approval-settings.ts). */
export { ApprovalSettingsSchema };

export const KernelSettingsSchema = z.strictObject({
  /** Access requests (where they are posted, the longest grant) and chat roles mapped to levels. */
  access: AccessSettingsSchema.optional(),
  approval: ApprovalSettingsSchema.optional(),
  backend: BackendSettingsSchema.optional(),
  /** Scheduled drift checks of the project's deployments. */
  drift: DriftSettingsSchema.optional(),
  /** Deployments that expire: default and maximum TTL, reminders before expiry. */
  lifecycle: LifecycleSettingsSchema.optional(),
  /** Settings of policy validators, by validator id; each validator's schema checks its own. */
  policies: z.record(z.string(), z.unknown()).optional(),
});
export type KernelSettings = z.output<typeof KernelSettingsSchema>;
export const KERNEL_SETTINGS_KEYS: readonly string[] = Object.keys(KernelSettingsSchema.shape);

/** Splits settings into the kernel's part and the provider's part. */
export function splitSettings(settings: Record<string, unknown>): { kernel: Record<string, unknown>; provider: Record<string, unknown> } {
  const kernel: Record<string, unknown> = {};
  const provider: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    (KERNEL_SETTINGS_KEYS.includes(key) ? kernel : provider)[key] = value;
  }
  return { kernel, provider };
}
