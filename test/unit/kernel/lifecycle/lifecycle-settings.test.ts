import { describe, expect, it } from 'vitest';
import { retryDelay } from '../../../../src/kernel/lifecycle/backoff.js';
import { lifecycleInterval } from '../../../../src/kernel/lifecycle/lifecycle-interval.js';
import { LifecycleSettingsSchema, TTL_LIMITS, durationMs, lifecycleRules } from '../../../../src/kernel/lifecycle/lifecycle-settings.js';

describe('lifecycle settings', () => {
  it('reads durations typed or in ms, and nothing that is not a positive duration', () => {
    expect(durationMs('15m')).toBe(900_000);
    expect(durationMs(5000)).toBe(5000);
    for (const bad of ['0m', '-1h', '10y', 0, -5, 1.5, null, '']) expect(durationMs(bad)).toBeUndefined();
  });

  it('defaults to reminders 24h, 1h and 10m, longest first, and the kernel-wide maximum', () => {
    expect(lifecycleRules(undefined)).toEqual({ defaultTtl: undefined, maxTtl: TTL_LIMITS.max, projectMax: false, reminders: [86_400_000, 3_600_000, 600_000] });
    expect(lifecycleRules({ defaultTtl: '1h', maxTtl: '1d', reminders: ['10m', '1h', '10m'] })).toEqual({ defaultTtl: 3_600_000, maxTtl: 86_400_000, projectMax: true, reminders: [3_600_000, 600_000] });
  });

  it('refuses a TTL under a minute, past the kernel maximum, or a default past the project maximum', () => {
    expect(LifecycleSettingsSchema.safeParse({ defaultTtl: '30s' }).success).toBe(false);
    expect(LifecycleSettingsSchema.safeParse({ maxTtl: '53w' }).success).toBe(false);
    const result = LifecycleSettingsSchema.safeParse({ defaultTtl: '2d', maxTtl: '1d' });
    expect(result.error?.issues[0]).toMatchObject({ path: ['defaultTtl'], message: expect.stringContaining('1d') });
    expect(LifecycleSettingsSchema.safeParse({ unknown: 1 }).success).toBe(false);
  });

  it('retries a failed teardown after a minute, doubling, at most an hour apart', () => {
    expect([1, 2, 3, 7, 50].map(retryDelay)).toEqual([60_000, 120_000, 240_000, 3_600_000, 3_600_000]);
  });
});

describe('the lifecycle interval', () => {
  it('is 30 s by default, the option over the environment, ms or a duration; anything else is CONFIG_INVALID naming both', () => {
    expect(lifecycleInterval(undefined, {})).toBe(30_000);
    expect(lifecycleInterval(0, { CLOUD_ENGINE_LIFECYCLE_INTERVAL: '5m' })).toBe(0);
    expect(lifecycleInterval(undefined, { CLOUD_ENGINE_LIFECYCLE_INTERVAL: '2m' })).toBe(120_000);
    expect(lifecycleInterval(undefined, { CLOUD_ENGINE_LIFECYCLE_INTERVAL: '1500' })).toBe(1500);
    for (const bad of [-1, Number.NaN, 'soon']) {
      expect(() => lifecycleInterval(bad, {})).toThrow(/lifecycleInterval \(CLOUD_ENGINE_LIFECYCLE_INTERVAL\)/);
    }
  });
});
