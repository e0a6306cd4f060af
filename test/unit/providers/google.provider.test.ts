import { describe, expect, it } from 'vitest';
import { googleProvider, googleSettingsSchema } from '../../../src/providers/google.provider.js';
import { issuesOf, synthSession } from '../resources/synth.helper.js';

describe('google settings schema', () => {
  it.each([
    [{ region: 'us-central1' }, 'project', /project is required/],
    [{ project: 'My_Project', region: 'us-central1' }, 'project', /6-30 lowercase letters/],
    [{ project: 'short', region: 'us-central1' }, 'project', /6-30/],
    [{ project: 'my-project-1' }, 'region', /region is required/],
    [{ project: 'my-project-1', region: 'us-central' }, 'region', /us-central1/],
    [{ project: 'my-project-1', region: 'us-central1', zone: 'us-central1' }, 'zone', /us-central1-a/],
    [{ project: 'my-project-1', region: 'us-central1', zone: 'europe-west4-a' }, 'zone', /in region us-central1/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(googleSettingsSchema, input);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(message);
  });

  it('refuses credentials, which must come from the environment', () => {
    expect(issuesOf(googleSettingsSchema, { project: 'my-project-1', region: 'us-central1', credentials: '{}' })[0]!.message).toMatch(
      /credentials/,
    );
  });
});

describe('googleProvider.configure', () => {
  it('writes project, region and zone into the google provider block and pins the provider', () => {
    const json = synthSession({
      provider: googleProvider,
      settings: { project: 'my-project-1', region: 'us-central1', zone: 'us-central1-b' },
    });
    expect(json.provider!.google).toEqual([{ project: 'my-project-1', region: 'us-central1', zone: 'us-central1-b' }]);
    expect(json.terraform!.required_providers!.google).toEqual({ source: 'google', version: '6.50.0' });
  });

  it('leaves the zone out when none is set', () => {
    const json = synthSession({ provider: googleProvider, settings: { project: 'my-project-1', region: 'us-central1' } });
    expect(json.provider!.google).toEqual([{ project: 'my-project-1', region: 'us-central1' }]);
  });
});
