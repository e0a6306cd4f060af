import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import { durationMs } from '../lifecycle/lifecycle-settings.js';

/** The most often and the least often scheduled drift checks may run. */
export const DRIFT_EVERY_LIMITS = { min: 5 * 60_000, max: 52 * 604_800_000 } as const;

/** Scheduled drift checks: `settings.drift`. */
export const DriftSettingsSchema = z.strictObject({
  /** How often every ACTIVE deployment of the project is checked ("6h", "1d"); none: only on request. */
  every: z
    .union([z.string(), z.number()])
    .superRefine((value, ctx) => {
      const ms = durationMs(value);
      if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'expected a positive duration such as "6h" or "1d"' });
      else if (ms < DRIFT_EVERY_LIMITS.min || ms > DRIFT_EVERY_LIMITS.max) {
        ctx.addIssue({ code: 'custom', message: `expected a duration from ${formatDuration(DRIFT_EVERY_LIMITS.min)} to ${formatDuration(DRIFT_EVERY_LIMITS.max)}` });
      }
    })
    .optional(),
});
export type DriftSettings = z.output<typeof DriftSettingsSchema>;

/** How often a project's deployments are checked, ms; undefined when the project schedules no checks. */
export function driftEvery(settings: unknown): number | undefined {
  const parsed = DriftSettingsSchema.safeParse(settings ?? {});
  return parsed.success ? durationMs(parsed.data.every) : undefined;
}
