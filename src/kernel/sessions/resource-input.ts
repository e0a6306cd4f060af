import { invalidInput, isCloudEngineError } from '../errors.js';
import type { CloudSessionEntity } from '../persistence/entities/cloud-session.entity.js';
import type { Registry } from '../plugin/registry.js';
import type { ResourceType } from '../plugin/resource-type.js';
import { RESOURCE_NAME, jsonSize, parseInput, requirePattern } from '../validation.js';
import { LIMITS, type ResourceInput } from './session-inputs.js';

/** A resource input checked against its type: a valid name, a known type of the session's provider, a valid config. */
export interface CheckedResource {
  readonly type: ResourceType;
  readonly name: string;
  readonly config: Record<string, unknown>;
}

/**
 * Validates a resource a user adds to a session. Every refusal is
 * INVALID_INPUT naming the field (`name`, `type`, `config.<path>`) and what
 * to do; a secret field's value is never repeated back.
 */
export function checkResourceInput(resourceTypes: Registry<ResourceType>, session: CloudSessionEntity, input: ResourceInput): CheckedResource {
  if (input === null || typeof input !== 'object') {
    throw invalidInput('resource', 'expected { type, name, config }');
  }
  const name = requirePattern(input.name, RESOURCE_NAME, 'name', '1-63 lowercase letters, digits, dashes and underscores, starting with a letter or underscore (e.g. "web-1")');
  const type = resourceTypes.get(input.type);
  const ofProvider = resourceTypes.list().filter((candidate) => candidate.provider === session.provider).map((candidate) => candidate.type);
  if (!type) {
    throw invalidInput('type', `${JSON.stringify(input.type)} is not a known resource type; for ${session.provider} use one of ${ofProvider.join(', ') || '(none loaded)'}`, {
      value: input.type,
    });
  }
  if (type.provider !== session.provider) {
    throw invalidInput(
      'type',
      `${type.type} belongs to the ${type.provider} provider, but session ${session.id} deploys to ${session.provider}; use one of ${ofProvider.join(', ') || '(none loaded)'}`,
      { value: input.type },
    );
  }
  const raw = input.config ?? {};
  const size = jsonSize(raw);
  if (size === undefined) {
    throw invalidInput('config', 'it must be plain JSON (strings, numbers, booleans, lists and objects)');
  }
  if (size > LIMITS.configBytes) {
    throw invalidInput('config', `it is ${size} bytes, more than the ${LIMITS.configBytes} bytes one resource may hold. Trim it`, {
      details: { limit: LIMITS.configBytes, size },
    });
  }
  return { type, name, config: parseConfig(type, raw) };
}

function parseConfig(type: ResourceType, raw: unknown): Record<string, unknown> {
  try {
    return parseInput(type.schema, raw, 'config', `See the fields of ${type.type}.`) as Record<string, unknown>;
  } catch (error) {
    const secret = type.secretFields?.find((field) => isCloudEngineError(error) && (error.field === `config.${field}` || error.field?.startsWith(`config.${field}.`)));
    if (!secret || !isCloudEngineError(error)) throw error;
    // A secret field's value is never repeated back, not even in its own error.
    const issue = (error.details.issues as { message: string }[] | undefined)?.[0]?.message ?? 'invalid value';
    // `secret` was found by this field, so it is set.
    throw invalidInput(error.field!, `${issue} (the value is secret, so it is not repeated). See the fields of ${type.type}`);
  }
}
