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

/** Most names one `refs()` field may hold. */
export const MAX_REFS = 16;

/**
 * A config field that refers to several resources of the deployment of one
 * type (e.g. `securityGroups: refs('aws.security_group')`): a list of names,
 * or the same typed as text in a chat form (`web, ssh` — commas or spaces
 * between names, or a JSON list). Each name is checked like a `ref()`'s, and
 * `ctx.reference(name)` works for each. Make it optional with `.optional()`.
 */
export function refs(type: string, description = `Names of ${type} resources in this deployment`): z.ZodType<string[], unknown> {
  const name = ref(type);
  return z
    .preprocess(
      namesFromText,
      z
        .array(name, { error: `expected a list of names of ${type} resources of this deployment` })
        .max(MAX_REFS, `at most ${MAX_REFS} names`)
        .refine((names) => new Set(names).size === names.length, 'each name may appear once'),
    )
    .meta({ [REF_KEY]: type, description });
}

/** `a, b c` or `["a","b"]` → ['a', 'b', 'c']; anything else is left for the schema to refuse. */
function namesFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return value;
    }
  }
  return text === '' ? [] : text.split(/[\s,]+/).filter((part) => part !== '');
}

/** One reference field of a resource type. */
export interface ReferenceField {
  readonly field: string;
  /** The resource type it refers to. */
  readonly target: string;
}

/** The reference fields (`ref()` and `refs()`) of a type's schema (through `.optional()`, `.default()`, `.nullable()`). */
export function referenceFields(type: Pick<ResourceType, 'schema'>): ReferenceField[] {
  const fields: ReferenceField[] = [];
  for (const [field, schema] of Object.entries(type.schema.shape as Record<string, z.ZodType>)) {
    const target = z.globalRegistry.get(unwrap(schema))?.[REF_KEY];
    if (typeof target === 'string') fields.push({ field, target });
  }
  return fields;
}

/** The names a resource's config refers to, field by field (a `refs()` field gives one per name). */
export function referencesOf(type: Pick<ResourceType, 'schema'> | undefined, config: Readonly<Record<string, unknown>>): { field: string; target: string; name: string }[] {
  if (!type) return [];
  return referenceFields(type).flatMap(({ field, target }) => {
    const value = config[field];
    const names = Array.isArray(value) ? value : [value];
    return names.filter((name): name is string => typeof name === 'string').map((name) => ({ field, target, name }));
  });
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
