import { z } from 'zod';
import type { PolicyValidator, PolicyViolation } from '../../kernel/plugin/policy-validator.js';
import type { ResourceType } from '../../kernel/plugin/resource-type.js';
import type { SessionResource } from '../../kernel/sessions/session-view.js';

const ID = 'required-tags';
const RESOURCE_TYPE = /^[a-z0-9][a-z0-9.-]*\.[a-z0-9_]+$/;

/** Settings of `required-tags`. */
export const requiredTagsSettingsSchema = z
  .strictObject({
    keys: z
      .array(z.string({ error: 'keys entries must be text, e.g. "team"' }).min(1, 'keys entries must not be empty').max(128, 'keys entries must be at most 128 characters'), {
        error: 'keys must be a list of tag keys, e.g. ["team"]',
      })
      .min(1, 'keys must list at least one tag key, e.g. ["team"]'),
    applyTo: z
      .array(z.string({ error: 'applyTo entries must be text' }).regex(RESOURCE_TYPE, 'applyTo entries must be resource type ids such as "aws.instance"'), {
        error: 'applyTo must be a list of resource type ids, e.g. ["aws.instance"]',
      })
      .min(1, 'applyTo must list at least one resource type; leave it out to cover every type with tags or labels')
      .optional(),
  })
  .optional();

/** Parsed settings of `required-tags`. */
export type RequiredTagsSettings = NonNullable<z.output<typeof requiredTagsSettingsSchema>>;

/** The field a resource type keeps its tags in. */
export type TagField = 'tags' | 'labels';

/** Resource types whose schema has a `labels` or `tags` field, and which of the two. */
export function taggableTypes(types: readonly ResourceType[]): ReadonlyMap<string, TagField> {
  const found = new Map<string, TagField>();
  for (const type of types) {
    const shape = type.schema.shape as Record<string, unknown>;
    if ('labels' in shape) found.set(type.type, 'labels');
    else if ('tags' in shape) found.set(type.type, 'tags');
  }
  return found;
}

/**
 * Requires tag (or, on Google, label) keys on every resource of the covered
 * types. `knownTypes` says which types have tags (or gives them once asked,
 * when the registry is complete); a type it does not know is still covered
 * when its config carries tags or labels, or when `applyTo` names it.
 */
export function createRequiredTagsPolicy(
  knownTypes: ReadonlyMap<string, TagField> | (() => ReadonlyMap<string, TagField>),
): PolicyValidator<RequiredTagsSettings | undefined> {
  const known = typeof knownTypes === 'function' ? knownTypes : () => knownTypes;
  return {
    id: ID,
    description: 'Requires the tag (or label) keys the project lists on every taggable resource.',
    settingsSchema: requiredTagsSettingsSchema,

    validateSession({ session, project, settings }): PolicyViolation[] {
      if (!settings) return [];
      const required = [...new Set(settings.keys)];
      const violations: PolicyViolation[] = [];
      for (const resource of session.resources) {
        const field = fieldOf(resource, known(), settings.applyTo);
        if (!field) continue;
        const present = resource.config[field];
        const values = present !== null && typeof present === 'object' ? (present as Record<string, unknown>) : {};
        // An empty value names no owner or cost centre, so it does not satisfy the rule.
        const missing = required.filter((key) => typeof values[key] !== 'string' || (values[key] as string).trim() === '');
        if (missing.length === 0) continue;
        const example = JSON.stringify(Object.fromEntries(missing.map((key) => [key, '<value>'])));
        violations.push({
          code: 'MISSING_TAGS',
          address: resource.name,
          message:
            `${resource.type} "${resource.name}" is missing required ${field === 'labels' ? 'label' : 'tag'}${missing.length > 1 ? 's' : ''} ` +
            `${missing.map((key) => `"${key}"`).join(', ')} (project ${project.id} requires ${required.join(', ')} on every resource with ${field}). ` +
            `Remove the resource and add it again with ${field}: ${example}.`,
        });
      }
      return violations;
    },
  };
}

function fieldOf(resource: SessionResource, knownTypes: ReadonlyMap<string, TagField>, applyTo: readonly string[] | undefined): TagField | undefined {
  if (applyTo && !applyTo.includes(resource.type)) return undefined;
  const field = knownTypes.get(resource.type) ?? ('labels' in resource.config ? 'labels' : 'tags' in resource.config ? 'tags' : undefined);
  if (field) return field;
  // Named in applyTo but unknown and untagged: use the convention of its cloud.
  if (applyTo) return resource.type.startsWith('google.') ? 'labels' : 'tags';
  return undefined;
}
