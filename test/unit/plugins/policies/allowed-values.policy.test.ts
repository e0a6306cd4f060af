import { describe, expect, it } from 'vitest';
import { allowedValuesPolicy, zoneRegion } from '../../../../src/plugins/policies/allowed-values.policy.js';
import { change, checkPlan, checkSession, parseSettings, planContext, resource, sessionContext, settingsError } from './policy.fixture.js';

describe('allowed-values policy', () => {
  describe('settings', () => {
    it('accepts nothing configured, so projects without the policy keep working', () => {
      expect(parseSettings(allowedValuesPolicy, undefined)).toBeUndefined();
      expect(parseSettings(allowedValuesPolicy, {})).toEqual({});
    });

    it.each([
      [{ regions: [] }, 'settings.policies.allowed-values.regions', 'at least one'],
      [{ regions: 'us-east-1' }, 'settings.policies.allowed-values.regions', 'list'],
      [{ instanceTypes: ['t3.micro', ''] }, 'settings.policies.allowed-values.instanceTypes.1', 'must not be empty'],
      [{ machineTypes: [42] }, 'settings.policies.allowed-values.machineTypes.0', 'text'],
      [{ region: ['us-east-1'] }, 'settings.policies.allowed-values', 'region'],
    ])('rejects %j naming %s', (value, field, hint) => {
      const error = settingsError(allowedValuesPolicy, value);
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.field).toBe(field);
      expect(error.message).toContain(hint);
    });
  });

  describe('before planning', () => {
    it('allows everything when the project configured no lists', async () => {
      const ctx = sessionContext(undefined, { projectSettings: { region: 'ap-south-1' }, resources: [resource('aws.instance', 'web', { instanceType: 'x1.32xlarge' })] });
      expect(await checkSession(allowedValuesPolicy, ctx)).toEqual([]);
    });

    it('refuses the project region when it is not listed, naming the value and the allowed regions', async () => {
      const ctx = sessionContext({ regions: ['eu-west-1', 'eu-central-1'] }, { projectSettings: { region: 'us-east-1' } });
      const [violation, ...rest] = await checkSession(allowedValuesPolicy, ctx);
      expect(rest).toEqual([]);
      expect(violation!.code).toBe('VALUE_NOT_ALLOWED');
      expect(violation!.message).toContain('"us-east-1"');
      expect(violation!.message).toContain('eu-west-1, eu-central-1');
      expect(violation!.message).toContain('settings.policies["allowed-values"].regions');
    });

    it('refuses a project zone in another region, but does not repeat a refused region for its own zone', async () => {
      const other = await checkSession(allowedValuesPolicy, sessionContext({ regions: ['us-central1'] }, { projectSettings: { region: 'us-central1', zone: 'europe-west4-b' } }));
      expect(other).toHaveLength(1);
      expect(other[0]!.message).toContain('zone "europe-west4-b" in region "europe-west4"');

      const same = await checkSession(allowedValuesPolicy, sessionContext({ regions: ['us-east1'] }, { projectSettings: { region: 'us-central1', zone: 'us-central1-a' } }));
      expect(same.map((violation) => violation.message)).toEqual([expect.stringContaining('region "us-central1"')]);
    });

    it('checks each resource field against its own list and names the resource', async () => {
      const ctx = sessionContext(
        { instanceTypes: ['t3.micro'], machineTypes: ['e2-small'], locations: ['EU'], regions: ['europe-west4'] },
        {
          projectSettings: { region: 'europe-west4' },
          resources: [
            resource('aws.instance', 'ok', { instanceType: 't3.micro' }),
            resource('aws.instance', 'big', { instanceType: 'm5.24xlarge' }),
            resource('google.compute_instance', 'vm', { machineType: 'n2-standard-64', zone: 'us-east1-b' }),
            resource('google.storage_bucket', 'data', { location: 'US' }),
            resource('google.storage_bucket', 'eu', { location: 'eu' }),
            resource('sandbox.vm', 'toy', { size: 'large' }),
          ],
        },
      );
      const violations = await checkSession(allowedValuesPolicy, ctx);
      expect(violations.map((violation) => [violation.code, violation.address])).toEqual([
        ['VALUE_NOT_ALLOWED', 'big'],
        ['VALUE_NOT_ALLOWED', 'vm'],
        ['VALUE_NOT_ALLOWED', 'vm'],
        ['VALUE_NOT_ALLOWED', 'data'],
      ]);
      expect(violations[0]!.message).toBe(
        'aws.instance "big" has instanceType "m5.24xlarge", which project demo does not allow (allowed instanceTypes: t3.micro). Remove the resource and add it again with an allowed instanceType, or ask an admin to add the value to settings.policies["allowed-values"].instanceTypes.',
      );
      expect(violations[1]!.message).toContain('machineType "n2-standard-64"');
      expect(violations[2]!.message).toContain('zone "us-east1-b" (region "us-east1")');
      expect(violations[3]!.message).toContain('location "US"');
    });
  });

  describe('in the plan', () => {
    it('checks the planned Terraform values, whichever resource type produced them', async () => {
      const ctx = planContext(
        { instanceTypes: ['t3.micro'], machineTypes: ['e2-small'], locations: ['EU'], regions: ['europe-west4'] },
        {
          changes: [
            change('aws_instance.ok', ['create'], { instance_type: 't3.micro' }),
            change('aws_instance.acme_worker', ['create'], { instance_type: 'c5.large' }),
            change('google_compute_instance.vm', ['create'], { machine_type: 'e2-small', zone: 'asia-east1-a' }),
            // Google upper-cases bucket locations in the plan; that alone is no violation.
            change('google_storage_bucket.logs', ['create'], { location: 'EU' }),
            change('google_storage_bucket.data', ['create'], { location: 'US' }),
            change('aws_instance.unknown', ['create'], { instance_type: null }),
            change('aws_instance.gone', ['delete']),
          ],
        },
      );
      const violations = await checkPlan(allowedValuesPolicy, ctx);
      expect(violations.map((violation) => violation.address)).toEqual(['aws_instance.acme_worker', 'google_compute_instance.vm', 'google_storage_bucket.data']);
      expect(violations[0]!.message).toContain('instance_type "c5.large"');
      expect(violations[0]!.message).toContain('allowed instanceTypes: t3.micro');
      expect(violations[1]!.message).toContain('zone "asia-east1-a" (region "asia-east1")');
    });

    it('reports the same address and field once', async () => {
      const ctx = planContext({ instanceTypes: ['t3.micro'] }, { changes: [change('aws_instance.w', ['create'], { instance_type: 'c5.large' }), change('aws_instance.w', ['create'], { instance_type: 'c5.large' })] });
      expect(await checkPlan(allowedValuesPolicy, ctx)).toHaveLength(1);
    });

    it('ignores data sources and passes when nothing is configured', async () => {
      const data = change('aws_instance.lookup', ['read'], { instance_type: 'c5.large' });
      expect(await checkPlan(allowedValuesPolicy, planContext({ instanceTypes: ['t3.micro'] }, { changes: [{ ...data, mode: 'data' }] }))).toEqual([]);
      expect(await checkPlan(allowedValuesPolicy, planContext(undefined, { changes: [change('aws_instance.w', ['create'], { instance_type: 'c5.large' })] }))).toEqual([]);
    });
  });

  it.each([
    ['us-central1-a', 'us-central1'],
    ['us-east-1a', 'us-east-1'],
    ['europe', undefined],
    [undefined, undefined],
  ])('finds the region of zone %s: %s', (zone, region) => {
    expect(zoneRegion(zone)).toBe(region);
  });
});
