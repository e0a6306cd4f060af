import { z } from 'zod';
import type { PolicyValidator, PolicyViolation } from '../../kernel/plugin/policy-validator.js';

const ID = 'allowed-values';

function allowedList(field: string, example: string) {
  return z
    .array(z.string({ error: `${field} entries must be text, e.g. "${example}"` }).min(1, `${field} entries must not be empty`), {
      error: `${field} must be a list of text values, e.g. ["${example}"]`,
    })
    .min(1, `${field} must list at least one value; leave ${field} out to allow any value`)
    .optional();
}

/** Settings of `allowed-values`: each list configured restricts that field; a list left out allows anything. */
export const allowedValuesSettingsSchema = z
  .strictObject({
    regions: allowedList('regions', 'us-east-1'),
    instanceTypes: allowedList('instanceTypes', 't3.micro'),
    machineTypes: allowedList('machineTypes', 'e2-medium'),
    locations: allowedList('locations', 'EU'),
  })
  .optional();

/** Parsed settings of `allowed-values`. */
export type AllowedValuesSettings = NonNullable<z.output<typeof allowedValuesSettingsSchema>>;

type ListName = keyof AllowedValuesSettings;

/** A session resource field checked against a list. */
interface ConfigField {
  readonly field: string;
  readonly list: ListName;
  readonly value: (config: Readonly<Record<string, unknown>>) => unknown;
}

const CONFIG_FIELDS: Readonly<Record<string, readonly ConfigField[]>> = {
  'aws.instance': [{ field: 'instanceType', list: 'instanceTypes', value: (config) => config.instanceType }],
  'google.compute_instance': [
    { field: 'machineType', list: 'machineTypes', value: (config) => config.machineType },
    // A zone on the resource overrides the project's, so it can leave an allowed region.
    { field: 'zone', list: 'regions', value: (config) => zoneRegion(config.zone) },
  ],
  'google.storage_bucket': [{ field: 'location', list: 'locations', value: (config) => config.location }],
};

/** A planned Terraform attribute checked against a list, whichever resource type produced it. */
interface PlannedField {
  readonly attribute: string;
  readonly list: ListName;
  readonly value?: (raw: unknown) => unknown;
}

const INSTANCE_TYPE: PlannedField = { attribute: 'instance_type', list: 'instanceTypes' };
const MACHINE_TYPE: PlannedField = { attribute: 'machine_type', list: 'machineTypes' };
const PLANNED_FIELDS: Readonly<Record<string, readonly PlannedField[]>> = {
  aws_instance: [INSTANCE_TYPE],
  aws_spot_instance_request: [INSTANCE_TYPE],
  aws_launch_template: [INSTANCE_TYPE],
  google_compute_instance: [MACHINE_TYPE, { attribute: 'zone', list: 'regions', value: zoneRegion }],
  google_compute_instance_template: [MACHINE_TYPE],
  google_storage_bucket: [{ attribute: 'location', list: 'locations' }],
};

/** The region of a zone: Google's `us-central1-a` or AWS's `us-east-1a`. */
export function zoneRegion(zone: unknown): string | undefined {
  if (typeof zone !== 'string') return undefined;
  return /^(.+)-[a-z]$/.exec(zone)?.[1] ?? /^(.+\d)[a-z]$/.exec(zone)?.[1];
}

/** Restricts regions, instance/machine types and bucket locations to the lists a project configures. */
export const allowedValuesPolicy: PolicyValidator<AllowedValuesSettings | undefined> = {
  id: ID,
  description: 'Allows only the regions, instance types, machine types and bucket locations the project lists.',
  settingsSchema: allowedValuesSettingsSchema,

  validateSession({ session, project, settings }): PolicyViolation[] {
    if (!settings) return [];
    const found = new Violations();
    const fix = `Use a project in an allowed region, or ask an admin to add the region to settings.policies["${ID}"].regions.`;
    const projectRegion = check(settings, 'regions', project.settings.region);
    if (projectRegion) {
      found.add({
        message: `Project ${project.id} is set to region "${projectRegion.value}", which its policy does not allow (allowed regions: ${projectRegion.allowed}). ${fix}`,
      });
    }
    const zone = project.settings.zone;
    // A zone inside the project's own region adds nothing to the region's violation.
    const zoneRegionRejected = zoneRegion(zone) === project.settings.region ? undefined : check(settings, 'regions', zoneRegion(zone));
    if (zoneRegionRejected) {
      found.add({
        message: `Project ${project.id} is set to zone "${String(zone)}" in region "${zoneRegionRejected.value}", which its policy does not allow (allowed regions: ${zoneRegionRejected.allowed}). ${fix}`,
      });
    }
    for (const resource of session.resources) {
      for (const field of CONFIG_FIELDS[resource.type] ?? []) {
        const rejected = check(settings, field.list, field.value(resource.config));
        if (!rejected) continue;
        const shown = field.field === 'zone' ? `zone "${String(resource.config.zone)}" (region "${rejected.value}")` : `${field.field} "${rejected.value}"`;
        found.add({
          address: resource.name,
          message: `${resource.type} "${resource.name}" has ${shown}, which project ${project.id} does not allow (allowed ${field.list}: ${rejected.allowed}). Remove the resource and add it again with an allowed ${field.field}, or ask an admin to add the value to settings.policies["${ID}"].${field.list}.`,
        });
      }
    }
    return found.list();
  },

  // Resource types from other plugins synthesize the same Terraform types; the plan is where they become visible.
  validatePlan({ plan, project, settings }): PolicyViolation[] {
    if (!settings) return [];
    const found = new Violations();
    for (const change of plan.resource_changes ?? []) {
      if (change.mode === 'data') continue;
      const after = change.change.after;
      if (after === null || typeof after !== 'object') continue;
      for (const field of PLANNED_FIELDS[change.type] ?? []) {
        const raw = (after as Record<string, unknown>)[field.attribute];
        const rejected = check(settings, field.list, field.value ? field.value(raw) : raw);
        if (!rejected) continue;
        const shown = field.attribute === 'zone' ? `zone "${String(raw)}" (region "${rejected.value}")` : `${field.attribute} "${rejected.value}"`;
        found.add({
          address: change.address,
          message: `${change.address} is planned with ${shown}, which project ${project.id} does not allow (allowed ${field.list}: ${rejected.allowed}). Change the resource that produces it to an allowed value, or ask an admin to add the value to settings.policies["${ID}"].${field.list}.`,
        });
      }
    }
    return found.list();
  },
};

/** The value and the allowed list when `value` is a string the configured list lacks; unknown values pass. */
function check(settings: AllowedValuesSettings, list: ListName, value: unknown): { value: string; allowed: string } | undefined {
  const allowed = settings[list];
  if (!allowed || typeof value !== 'string' || value === '') return undefined;
  // Google reports bucket locations in upper case whatever was typed, so case is never a reason to refuse.
  const wanted = value.toLowerCase();
  if (allowed.some((candidate) => candidate.toLowerCase() === wanted)) return undefined;
  return { value, allowed: allowed.join(', ') };
}

/** Violations of one call, once each: two fields can land on the same message. */
class Violations {
  private readonly byMessage = new Map<string, PolicyViolation>();

  add(violation: Omit<PolicyViolation, 'code'>): void {
    if (!this.byMessage.has(violation.message)) this.byMessage.set(violation.message, { code: 'VALUE_NOT_ALLOWED', ...violation });
  }

  list(): PolicyViolation[] {
    return [...this.byMessage.values()];
  }
}
