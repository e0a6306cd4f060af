import { ComputeInstance } from '@cdktf/provider-google/lib/compute-instance/index.js';
import { z } from 'zod';
import { CloudEngineError, ErrorCode } from '../../kernel/errors.js';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { gcpLabelsSchema, hasEntries } from '../tags.schema.js';

const INSTANCE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Input of a `google.compute_instance`. */
export const googleComputeInstanceSchema = z.strictObject({
  machineType: z
    .string({ error: 'machineType is required, e.g. e2-medium' })
    .regex(
      /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/,
      'machineType must be a machine type name: lowercase words joined by dashes, e.g. e2-medium or n2-standard-4',
    )
    .max(63, 'machineType must be at most 63 characters')
    .describe('Machine type'),
  zone: z
    .string()
    .regex(/^[a-z]+-[a-z]+\d{1,2}-[a-z]$/, 'zone must look like us-central1-a (a region followed by a dash and a letter)')
    .optional()
    .describe('Zone (defaults to the project zone)'),
  image: z
    .string({ error: 'image must be text, e.g. debian-cloud/debian-12' })
    .regex(
      /^[a-z0-9][a-z0-9._/-]{0,254}$/,
      'image must be 1-255 lowercase letters, digits, dots, dashes, underscores or slashes, e.g. debian-cloud/debian-12',
    )
    .default('debian-cloud/debian-12')
    .describe('Boot image'),
  labels: gcpLabelsSchema(),
});

/** Validated config of a `google.compute_instance`. */
export type GoogleComputeInstanceConfig = z.output<typeof googleComputeInstanceSchema>;

/** The zone a resource uses when it names none: the project's zone, else the region's `-a` zone. */
export function defaultGoogleZone(settings: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof settings.zone === 'string') return settings.zone;
  if (typeof settings.region === 'string') return `${settings.region}-a`;
  return undefined;
}

/** A Compute Engine VM on the default network (`google_compute_instance`). */
export const googleComputeInstanceResource = defineResourceType({
  type: 'google.compute_instance',
  provider: 'google',
  description: 'A Compute Engine virtual machine on the default network.',
  quotaKey: 'compute_vm',
  schema: googleComputeInstanceSchema,
  synthesize(scope, { name, config, project }) {
    // GCE names allow no underscores; the schema cannot see the resource name, so it is checked here.
    const instanceName = name.replaceAll('_', '-');
    if (!INSTANCE_NAME.test(instanceName)) {
      throw new CloudEngineError(
        ErrorCode.INVALID_INPUT,
        `Resource name ${JSON.stringify(name)} cannot name a Compute Engine instance; use 1-63 characters starting with a letter and ending with a letter or digit.`,
        { field: 'name', value: name },
      );
    }
    const zone = config.zone ?? defaultGoogleZone(project.settings);
    if (zone === undefined) {
      throw new CloudEngineError(
        ErrorCode.CONFIG_INVALID,
        `Project ${project.id} has no Google region or zone; set the zone field, or the project's google region.`,
        { field: 'zone' },
      );
    }
    const instance = new ComputeInstance(scope, name, {
      name: instanceName,
      machineType: config.machineType,
      zone,
      bootDisk: { initializeParams: { image: config.image } },
      networkInterface: [{ network: 'default' }],
      ...(hasEntries(config.labels) ? { labels: config.labels } : {}),
    });
    return { id: instance.id, self_link: instance.selfLink };
  },
});
