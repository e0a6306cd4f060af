import { describe, expect, it } from 'vitest';
import { googleProvider } from '../../../../src/providers/google.provider.js';
import {
  defaultGoogleZone,
  googleComputeInstanceResource,
  googleComputeInstanceSchema,
} from '../../../../src/resources/google/compute-instance.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown, settings: Record<string, unknown> = { project: 'my-project-1', region: 'europe-west4' }, name = 'web') {
  return synthSession({
    provider: googleProvider,
    settings,
    resources: [{ type: googleComputeInstanceResource, name, config }],
  });
}

describe('google.compute_instance schema', () => {
  it('defaults the image to debian-cloud/debian-12', () => {
    expect(googleComputeInstanceSchema.parse({ machineType: 'e2-medium' })).toEqual({
      machineType: 'e2-medium',
      image: 'debian-cloud/debian-12',
    });
  });

  it.each([
    [{}, 'machineType', /machineType is required/],
    [{ machineType: 'E2_MEDIUM' }, 'machineType', /e2-medium/],
    [{ machineType: 'e2-medium', zone: 'us-central1' }, 'zone', /us-central1-a/],
    [{ machineType: 'e2-medium', image: 'Debian 12' }, 'image', /debian-cloud\/debian-12/],
    [{ machineType: 'e2-medium', labels: { Team: 'x' } }, 'labels.Team', /starting with a lowercase letter/],
    [{ machineType: 'e2-medium', labels: { team: 'Infra' } }, 'labels.team', /lowercase letters/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(googleComputeInstanceSchema, input);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('google.compute_instance synthesis', () => {
  it('emits a google_compute_instance with the boot image and the default network', () => {
    const instance = synth({ machineType: 'e2-medium', labels: { team: 'infra' } }).resource!.google_compute_instance!.web!;
    expect(instance).toEqual({
      name: 'web',
      machine_type: 'e2-medium',
      zone: 'europe-west4-a',
      boot_disk: { initialize_params: { image: 'debian-cloud/debian-12' } },
      network_interface: [{ network: 'default' }],
      labels: { team: 'infra' },
    });
  });

  it("uses the project's zone when the form names none", () => {
    const json = synth({ machineType: 'e2-small' }, { project: 'my-project-1', region: 'us-east1', zone: 'us-east1-c' });
    expect(json.resource!.google_compute_instance!.web!.zone).toBe('us-east1-c');
  });

  it('uses the zone from the form over the project default', () => {
    const json = synth({ machineType: 'e2-small', zone: 'europe-west4-b' });
    expect(json.resource!.google_compute_instance!.web!.zone).toBe('europe-west4-b');
  });

  it('turns underscores in the resource name into dashes, which GCE names require', () => {
    const json = synth({ machineType: 'e2-small' }, undefined, 'web_1');
    expect(json.resource!.google_compute_instance!.web_1!.name).toBe('web-1');
  });

  it('refuses a resource name that cannot name an instance, saying what would', () => {
    expect(() => synth({ machineType: 'e2-small' }, undefined, '1web')).toThrow(/starting with a letter/);
  });

  it('outputs the id and self link under ids derived from the resource name', () => {
    const json = synth({ machineType: 'e2-medium' });
    expect(json.output!.web!.value.id).toBe('${google_compute_instance.web.id}');
    expect(json.output!.web!.value.self_link).toBe('${google_compute_instance.web.self_link}');
  });
});

describe('defaultGoogleZone', () => {
  it('prefers the zone, then the region followed by -a, else nothing', () => {
    expect(defaultGoogleZone({ region: 'us-east1', zone: 'us-east1-c' })).toBe('us-east1-c');
    expect(defaultGoogleZone({ region: 'us-east1' })).toBe('us-east1-a');
    expect(defaultGoogleZone({})).toBeUndefined();
  });
});
