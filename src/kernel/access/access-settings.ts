import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import { durationMs } from '../lifecycle/lifecycle-settings.js';
import { ACCESS_LEVELS, type AccessLevel } from './authorizer.js';

/** Bounds of what an access request may ask for: its duration, and its reason's length. */
export const ACCESS_REQUEST_LIMITS = {
  /** The shortest grant a request may ask for. */
  minDuration: 60_000,
  /** The longest, when the project sets no `access.maxGrant` (30 days). */
  maxDuration: 30 * 86_400_000,
  /** Characters of a request's reason. */
  reasonMax: 500,
  /** How long a request waits for an answer before it lapses. */
  pendingFor: 86_400_000,
} as const;

/** A Discord role id (a snowflake) in `access.roles`. */
const ROLE_ID = /^\d{1,32}$/;

const Duration = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  const ms = durationMs(value);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: 'expected a positive duration such as "8h" or "7d"' });
  else if (ms < ACCESS_REQUEST_LIMITS.minDuration || ms > ACCESS_REQUEST_LIMITS.maxDuration) {
    ctx.addIssue({ code: 'custom', message: `expected a duration from ${formatDuration(ACCESS_REQUEST_LIMITS.minDuration)} to ${formatDuration(ACCESS_REQUEST_LIMITS.maxDuration)}` });
  }
});

/** Access requests and chat roles: `settings.access`. */
export const AccessSettingsSchema = z.strictObject({
  /** The chat channel (a Discord channel id) where requests are posted for the project's admins; else where they were asked. */
  requestsChannel: z.string().regex(/^\d{1,32}$/, 'expected a channel id (digits)').optional(),
  /** The longest grant an approved request gives; longer requests are capped to it. */
  maxGrant: Duration.optional(),
  /** Chat role id → the level members holding that role have on the project, while they hold it. */
  roles: z
    .record(z.string().regex(ROLE_ID, 'expected a role id (digits)'), z.enum(ACCESS_LEVELS as [AccessLevel, ...AccessLevel[]]))
    .refine((roles) => Object.keys(roles).length <= 50, 'expected at most 50 roles')
    .optional(),
});
export type AccessSettings = z.output<typeof AccessSettingsSchema>;

/** A project's access settings, read for use (they were validated when the project was made). */
export interface AccessRules {
  readonly requestsChannel: string | null;
  /** The longest grant, ms. */
  readonly maxGrant: number;
  /** The project set `maxGrant` (messages name it as the project's). */
  readonly projectMax: boolean;
  readonly roles: Readonly<Record<string, AccessLevel>>;
}

export function accessRules(settings: unknown): AccessRules {
  const parsed = AccessSettingsSchema.safeParse(settings ?? {});
  const value = parsed.success ? parsed.data : {};
  const max = durationMs(value.maxGrant);
  return {
    requestsChannel: value.requestsChannel ?? null,
    maxGrant: max ?? ACCESS_REQUEST_LIMITS.maxDuration,
    projectMax: max !== undefined,
    roles: value.roles ?? {},
  };
}
