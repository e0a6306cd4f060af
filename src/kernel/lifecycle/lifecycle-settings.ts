import { z } from 'zod';
import { formatDuration, parseDuration } from '../config/duration.js';

/** The shortest TTL, and the longest any TTL may be when the project sets no `maxTtl`. */
export const TTL_LIMITS = { min: 60_000, max: 52 * 604_800_000 } as const;
/** Reminders before expiry when a project names none. */
export const DEFAULT_REMINDERS: readonly string[] = ['24h', '1h', '10m'];

/** A duration as users type it ("15m", "2h", "7d"), or milliseconds. */
export type DurationInput = string | number;

/** Milliseconds of a duration input; undefined when it is not a positive duration. */
export function durationMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  return typeof value === 'string' ? parseDuration(value) : undefined;
}

const Duration = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  const ms = durationMs(value);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'expected a positive duration such as "15m", "2h" or "7d"' });
  else if (ms < TTL_LIMITS.min || ms > TTL_LIMITS.max) {
    ctx.addIssue({ code: 'custom', message: `expected a duration from ${formatDuration(TTL_LIMITS.min)} to ${formatDuration(TTL_LIMITS.max)}` });
  }
});

/** Deployments that expire: `settings.lifecycle`. */
export const LifecycleSettingsSchema = z
  .strictObject({
    /** The TTL a new deployment gets when its first change names none; none: deployments do not expire. */
    defaultTtl: Duration.optional(),
    /** Caps every TTL and extension. */
    maxTtl: Duration.optional(),
    /** How long before expiry reminders go out (default 24h, 1h, 10m). */
    reminders: z.array(z.union([z.string(), z.number()]).refine((value) => durationMs(value) !== undefined, 'expected a positive duration such as "1h" or "10m"')).max(10).optional(),
  })
  .superRefine((settings, ctx) => {
    const ttl = durationMs(settings.defaultTtl);
    const max = durationMs(settings.maxTtl);
    if (ttl !== undefined && max !== undefined && ttl > max) {
      ctx.addIssue({ code: 'custom', path: ['defaultTtl'], message: `expected at most maxTtl (${formatDuration(max)})` });
    }
  });
export type LifecycleSettings = z.output<typeof LifecycleSettingsSchema>;

/** A project's lifecycle settings in milliseconds (already validated when the project was made). */
export interface LifecycleRules {
  readonly defaultTtl: number | undefined;
  readonly maxTtl: number;
  /** The project set a maximum (errors name it as the project's). */
  readonly projectMax: boolean;
  /** Offsets before expiry, longest first. */
  readonly reminders: readonly number[];
}

export function lifecycleRules(settings: unknown): LifecycleRules {
  const parsed = LifecycleSettingsSchema.safeParse(settings ?? {});
  const value = parsed.success ? parsed.data : {};
  const max = durationMs(value.maxTtl);
  const reminders = (value.reminders ?? DEFAULT_REMINDERS).map(durationMs).filter((ms): ms is number => ms !== undefined);
  return {
    defaultTtl: durationMs(value.defaultTtl),
    maxTtl: max ?? TTL_LIMITS.max,
    projectMax: max !== undefined,
    reminders: [...new Set(reminders)].sort((a, b) => b - a),
  };
}
