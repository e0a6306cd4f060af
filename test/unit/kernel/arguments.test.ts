import { describe, expect, it } from 'vitest';
import { parseLimit } from '../../../src/cli/quota.command.js';
import { parseStates } from '../../../src/cli/sessions.command.js';

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
    expect(parseLimit('10')).toBe(10);
    expect(parseLimit('0')).toBe(0);
    expect(parseLimit('none')).toBeNull();
    expect(parseLimit('Unlimited')).toBeNull();
  });

  it.each(['-1', '2.5', 'lots', '', '1e3'])('refuses %j as INVALID_INPUT on the field limit', (text) => {
    expect(() => parseLimit(text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'limit' }));
  });
});
