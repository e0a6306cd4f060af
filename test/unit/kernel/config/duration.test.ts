import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../../src/kernel/config/duration.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const units = fc.constantFrom(...(Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]));
const amount = fc.integer({ min: 1, max: 999_999 });

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    [' 2H ', 7_200_000],
    ['5 m', 300_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '90', '0s', '000m', '-1h', '1.5h', '1y', '1ms', '1000000s', 'h1', '1h30m', 'soon', '١s'])(
    'returns undefined for the malformed %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it('reads any 1-6 digit amount with any unit as amount × unit', () => {
    fc.assert(
      fc.property(amount, units, (n, unit) => {
        expect(parseDuration(`${n}${unit}`)).toBe(n * UNIT_MS[unit]);
      }),
    );
  });

  it('never throws on arbitrary text and returns either undefined or a positive whole number of seconds', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (text) => {
        const ms = parseDuration(text);
        if (ms !== undefined) {
          expect(Number.isSafeInteger(ms)).toBe(true);
          expect(ms).toBeGreaterThan(0);
          expect(ms % 1_000).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('returns undefined for a valid-looking duration with anything appended or prepended', () => {
    fc.assert(
      fc.property(
        amount,
        units,
        fc.string({ minLength: 1 }).filter((junk) => /[^\s]/.test(junk) && !/^\d+$/.test(junk)),
        (n, unit, junk) => {
          expect(parseDuration(`${n}${unit}${junk}`)).toBeUndefined();
        },
      ),
    );
  });
});

describe('formatDuration', () => {
  it.each([
    [90_000, '90s'],
    [60_000, '1m'],
    [1_800_000, '30m'],
    [7_200_000, '2h'],
    [86_400_000, '1d'],
    [604_800_000, '1w'],
    [1_209_600_000, '2w'],
    [5_400_000, '90m'],
  ])('formats %d ms as %j, the largest unit that divides it', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips: parsing what it formats gives back the same milliseconds', () => {
    fc.assert(
      fc.property(amount, units, (n, unit) => {
        const ms = parseDuration(`${n}${unit}`)!;
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });

  it('gives back exactly what the user typed when no larger unit divides it', () => {
    const next = { s: 60, m: 60, h: 24, d: 7, w: Infinity } as const;
    fc.assert(
      fc.property(amount, units, (n, unit) => {
        fc.pre(n % next[unit] !== 0);
        expect(formatDuration(parseDuration(`${n}${unit}`)!)).toBe(`${n}${unit}`);
      }),
    );
  });
});
