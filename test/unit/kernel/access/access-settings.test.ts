import { describe, expect, it } from 'vitest';
import { ACCESS_REQUEST_LIMITS, AccessSettingsSchema, accessRules } from '../../../../src/kernel/access/access-settings.js';
import { grantNoticeWindow } from '../../../../src/kernel/access/access-requests.js';

const HOUR = 3_600_000;

describe('access settings', () => {
  it('accepts a requests channel, a maximum grant and a role mapping', () => {
    expect(AccessSettingsSchema.parse({ requestsChannel: '123', maxGrant: '8h', roles: { '456': 'deploy' } })).toEqual({ requestsChannel: '123', maxGrant: '8h', roles: { '456': 'deploy' } });
  });

  it.each([
    [{ requestsChannel: '#admins' }, 'requestsChannel'],
    [{ maxGrant: '0m' }, 'maxGrant'],
    [{ maxGrant: '31d' }, 'maxGrant'],
    [{ maxGrant: 'soon' }, 'maxGrant'],
    [{ roles: { '456': 'root' } }, 'roles'],
    [{ roles: { admins: 'admin' } }, 'roles'],
    [{ approvers: 'admin' }, ''],
  ])('refuses %j, pointing at %s', (settings, path) => {
    const result = AccessSettingsSchema.safeParse(settings);
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.join('.')).toContain(path);
  });

  it('reads the rules in milliseconds, the 30-day limit when the project sets no maximum', () => {
    expect(accessRules({ maxGrant: '8h', roles: { '1': 'read' } })).toEqual({ requestsChannel: null, maxGrant: 8 * HOUR, projectMax: true, roles: { '1': 'read' } });
    expect(accessRules(undefined)).toEqual({ requestsChannel: null, maxGrant: ACCESS_REQUEST_LIMITS.maxDuration, projectMax: false, roles: {} });
  });
});

describe('when a grant ending soon is announced', () => {
  it('an hour before the end of a long grant, a tenth of a shorter one, never under a minute', () => {
    expect(grantNoticeWindow(7 * 24 * HOUR)).toBe(HOUR);
    expect(grantNoticeWindow(10 * HOUR)).toBe(HOUR);
    expect(grantNoticeWindow(HOUR)).toBe(6 * 60_000);
    expect(grantNoticeWindow(5 * 60_000)).toBe(60_000);
  });
});
