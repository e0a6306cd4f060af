import { describe, expect, it } from 'vitest';
import { parseDurationArgument, parseObjectText, parseQuotaLimit, parseStates, parseWholeNumber } from '../../../src/kernel/arguments.js';

describe('sessions --state', () => {
  it('accepts repeated and comma-separated states in any case', () => {
    expect(parseStates(['plan_ready,APPLYING', 'failed'])).toEqual(['PLAN_READY', 'APPLYING', 'FAILED']);
    expect(parseStates(undefined)).toBeUndefined();
    expect(parseStates([])).toBeUndefined();
  });

  it('refuses an unknown state, listing the ten', () => {
    expect(() => parseStates(['DONE'])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'state', message: expect.stringContaining('PLAN_READY') }));
  });
});

describe('quota set <limit>', () => {
  it('reads a whole number, or none/unlimited to remove the limit', () => {
    expect(parseQuotaLimit('10')).toBe(10);
    expect(parseQuotaLimit('0')).toBe(0);
    expect(parseQuotaLimit('none')).toBeNull();
    expect(parseQuotaLimit('Unlimited')).toBeNull();
  });

  it.each(['-1', '2.5', 'lots', '', '1e3'])('refuses %j as INVALID_INPUT on the field limit', (text) => {
    expect(() => parseQuotaLimit(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'limit' }));
  });
});

describe('parseDurationArgument (chat duration:, CLI --for)', () => {
  it('reads a number and a unit into milliseconds, spaces and case aside', () => {
    expect(parseDurationArgument('2h', 'duration')).toBe(7_200_000);
    expect(parseDurationArgument(' 30M ', 'duration')).toBe(1_800_000);
    expect(parseDurationArgument('1w', '--for')).toBe(604_800_000);
  });

  it.each(['soon', '0m', '-5m', '1.5h', '30', '2h30m', ''])('refuses %j naming the field as typed, without its dashes, and quoting the value', (text) => {
    expect(() => parseDurationArgument(text, '--for')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'for', value: text, message: expect.stringMatching(/^Invalid --for: expected .*30m, 2h or 7d; received ".*"\.$/) }),
    );
    expect(() => parseDurationArgument(text, 'duration')).toThrow(expect.objectContaining({ field: 'duration', message: expect.stringMatching(/^Invalid duration: /) }));
  });
});

describe('parseWholeNumber (chat page: and limit:, CLI --limit)', () => {
  it('reads numbers and digit strings', () => {
    expect(parseWholeNumber(3, 'page')).toBe(3);
    expect(parseWholeNumber('12', 'page')).toBe(12);
    expect(parseWholeNumber('-4', 'limit')).toBe(-4);
  });

  it.each([2.5, '2.5', 'two', '', ' 7', '1e3', '0x10', NaN, Infinity, 2 ** 53, undefined, null, true])('refuses %j as INVALID_INPUT on the field', (value) => {
    expect(() => parseWholeNumber(value, 'page')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'page', message: expect.stringContaining('expected a whole number') }));
  });

  it('says the range when one is given, and refuses what is outside it', () => {
    expect(parseWholeNumber('1', '--limit', { min: 1, max: 999_999 })).toBe(1);
    expect(() => parseWholeNumber('0', '--limit', { min: 1, max: 999_999 })).toThrow(
      expect.objectContaining({ field: 'limit', message: 'Invalid --limit: expected a whole number from 1 to 999999; received "0".' }),
    );
    expect(() => parseWholeNumber(0, 'page', { min: 1 })).toThrow(expect.objectContaining({ message: 'Invalid page: expected a whole number of at least 1; received 0.' }));
  });
});

describe('parseObjectText (chat settings:, CLI --settings)', () => {
  it('reads a JSON object, or a YAML one when asked', () => {
    expect(parseObjectText('{"region": "us-east-1"}', 'settings')).toEqual({ region: 'us-east-1' });
    expect(parseObjectText('region: eu-west-1\npolicies: {}', 'settings', { format: 'yaml', where: 'settings.yaml' })).toEqual({ region: 'eu-west-1', policies: {} });
  });

  it('refuses text that does not parse, naming the format, the file and the reason', () => {
    expect(() => parseObjectText('{"region": ', 'settings')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'settings', message: expect.stringContaining('not valid JSON (') }));
    expect(() => parseObjectText('a: [', 'settings', { format: 'yaml', where: 'settings.yaml' })).toThrow(
      expect.objectContaining({ field: 'settings', message: expect.stringMatching(/^Invalid settings in settings\.yaml: not valid YAML \(/) }),
    );
  });

  it.each(['null', '[1, 2]', '"text"', '7'])('refuses %s: only an object is settings', (text) => {
    expect(() => parseObjectText(text, 'settings')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'settings', message: expect.stringContaining('expected a JSON object') }));
  });
});
