import { parseDuration } from '../config/duration.js';
import { configInvalid } from '../errors.js';

export const LIFECYCLE_INTERVAL_ENV = 'CLOUD_ENGINE_LIFECYCLE_INTERVAL';
const DEFAULT_INTERVAL_MS = 30_000;

/**
 * How often the kernel runs due reminders and expiries, ms: the option, else
 * the environment ("30s", "2m", or ms), else 30 s; 0 turns the timer off.
 * CONFIG_INVALID naming both for anything else.
 */
export function lifecycleInterval(option: unknown, env: Readonly<Record<string, string | undefined>>): number {
  const raw = option ?? (env[LIFECYCLE_INTERVAL_ENV] === '' ? undefined : env[LIFECYCLE_INTERVAL_ENV]);
  if (raw === undefined) return DEFAULT_INTERVAL_MS;
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? (/^\d+$/.test(raw.trim()) ? Number(raw.trim()) : parseDuration(raw)) : undefined;
  if (ms === undefined || !Number.isSafeInteger(ms) || ms < 0) {
    throw configInvalid('lifecycleInterval', `expected milliseconds (0 turns the timer off) or a duration such as "30s"; received ${JSON.stringify(raw)}`, { env: LIFECYCLE_INTERVAL_ENV, value: raw });
  }
  return ms;
}
