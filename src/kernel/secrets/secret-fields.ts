import type { ResourceType } from '../plugin/resource-type.js';
import type { Redactor } from './redactor.js';

/** What a resource type's secret field shows instead of its value, to everyone. */
export const SECRET_FIELD = '(secret)';

type WithSecretFields = Pick<ResourceType, 'secretFields'> | undefined;

/** Whether `key` is a secret field of the type holding a value (an unset one may show as unset). */
function hides(type: WithSecretFields, key: string, value: unknown): boolean {
  return value !== undefined && value !== null && (type?.secretFields?.includes(key) ?? false);
}

/**
 * A resource's config as people may see it: the type's secret fields that
 * hold a value replaced by "(secret)". The same object when there are none.
 */
export function hideSecretFields<C extends Readonly<Record<string, unknown>>>(config: C, type: WithSecretFields): C {
  if (!Object.entries(config).some(([key, value]) => hides(type, key, value))) return config;
  // Still a JSON object of the same keys: only some string values changed.
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [key, hides(type, key, value) ? SECRET_FIELD : value])) as C;
}

/**
 * A resource's config as chat shows it: secret fields as "(secret)", every
 * other value through the redactor (secret shapes, secret key names).
 */
export function shownConfig(config: Readonly<Record<string, unknown>>, type: WithSecretFields, redactor: Redactor): Record<string, unknown> {
  // One entry at a time, so each value is judged by its own key's name.
  return Object.fromEntries(
    Object.entries(config).flatMap(([key, value]) => (hides(type, key, value) ? [[key, SECRET_FIELD]] : Object.entries(redactor.redactDeep({ [key]: value })))),
  );
}

/** Names in `secretFields` that are not fields of the type's schema (a typo there would show the value). */
export function unknownSecretFields(type: Pick<ResourceType, 'secretFields' | 'schema'>): string[] {
  const fields = Object.keys(type.schema.shape);
  return (type.secretFields ?? []).filter((field) => !fields.includes(field));
}
