import { z } from 'zod';
import { RESOURCE_NAME } from '../validation.js';
import type { ResourceType } from './resource-type.js';

/**
 * The metadata key marking a reference field (zod keeps metadata through
 * `.describe()`, `.min()` and the like, so a plugin may refine the field).
 */
const REF_KEY = 'cloudEngineRef';

/**
 * A config field that refers to another resource of the session by its name
 * (e.g. `network: ref('sandbox.network')`). The kernel checks the name
 * exists with that type and synthesizes the referring resource after it;
 * `ctx.reference(config.network)` gives its outputs as Terraform references.
 * Make it optional with `.optional()`.
 */
export function ref(type: string, description = `Name of a ${type} in this deployment`): z.ZodString {
  return z
    .string({ error: `expected the name of a ${type} resource of this deployment` })
    .regex(RESOURCE_NAME, `expected the name of a ${type} resource of this deployment (lowercase letters, digits, dashes and underscores), not other text`)
    .meta({ [REF_KEY]: type, description });
}

/** One reference field of a resource type. */
export interface ReferenceField {
  readonly field: string;
  /** The resource type it refers to. */
  readonly target: string;
}

/** The reference fields of a type's schema (through `.optional()`, `.default()`, `.nullable()`). */
export function referenceFields(type: Pick<ResourceType, 'schema'>): ReferenceField[] {
  const fields: ReferenceField[] = [];
  for (const [field, schema] of Object.entries(type.schema.shape as Record<string, z.ZodType>)) {
    const target = z.globalRegistry.get(unwrap(schema))?.[REF_KEY];
    if (typeof target === 'string') fields.push({ field, target });
  }
  return fields;
}

/** The names a resource's config refers to, field by field. */
export function referencesOf(type: Pick<ResourceType, 'schema'> | undefined, config: Readonly<Record<string, unknown>>): { field: string; target: string; name: string }[] {
  if (!type) return [];
  return referenceFields(type).flatMap(({ field, target }) => (typeof config[field] === 'string' ? [{ field, target, name: config[field] as string }] : []));
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  // Optional, default, nullable and the like wrap the field's own schema in `innerType`.
  for (let depth = 0; depth < 5; depth++) {
    const inner = (current as unknown as { _zod?: { def?: { innerType?: z.ZodType } } })._zod?.def?.innerType;
    if (!inner) break;
    current = inner;
  }
  return current;
}
