import { z } from 'zod';
import { CloudEngineError } from '../kernel/errors.js';
import type { ResourceType } from '../kernel/plugin/resource-type.js';

/** One input of the form a resource type gets in chat, derived from its schema. */
export interface FormField {
  /** The config key (or `name` for the resource name). */
  readonly id: string;
  readonly label: string;
  readonly required: boolean;
  /** Prefilled text (the schema's default). */
  readonly defaultValue?: string;
  readonly kind: 'text' | 'number' | 'boolean' | 'choice' | 'map';
  readonly choices?: readonly string[];
  /** A short hint of the expected format. */
  readonly placeholder?: string;
}

/** Discord modals hold five inputs; the resource name takes one. */
export const MAX_FORM_FIELDS = 5;

/**
 * The form for a resource type: the name, then the schema's fields in order —
 * required ones first when not all fit. Fields that do not fit keep their
 * defaults and can still be set where the adapter allows key=value input.
 */
export function formFor(type: ResourceType): FormField[] {
  const fields = Object.entries(type.schema.shape as Record<string, z.ZodType>).map(([id, schema]) => describeField(id, schema));
  const required = fields.filter((field) => field.required);
  const optional = fields.filter((field) => !field.required);
  const chosen = [...required, ...optional].slice(0, MAX_FORM_FIELDS - 1);
  const ordered = fields.filter((field) => chosen.includes(field));
  return [{ id: 'name', label: 'Resource name', required: true, kind: 'text', placeholder: 'e.g. web-1 (lowercase, digits, - and _)' }, ...ordered];
}

/**
 * Turns typed text (modal values, `key=value` words) into a config for the
 * type's schema: numbers, booleans and `k=v, k2=v2` maps are converted;
 * empty optional inputs are dropped so defaults apply. Validation proper is
 * the kernel's, which names the field.
 */
export function configFromText(type: ResourceType, values: Readonly<Record<string, string>>): Record<string, unknown> {
  const shape = type.schema.shape as Record<string, z.ZodType>;
  const config: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(values)) {
    if (key === 'name') continue;
    const text = raw.trim();
    const schema = shape[key];
    if (!schema) {
      // Unknown keys go through untouched so the kernel names them.
      config[key] = text;
      continue;
    }
    if (text === '') continue;
    const kind = describeField(key, schema).kind;
    if (kind === 'number') config[key] = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    else if (kind === 'boolean') config[key] = /^(true|yes|on|1)$/i.test(text) ? true : /^(false|no|off|0)$/i.test(text) ? false : text;
    else if (kind === 'map') config[key] = parseMap(key, text);
    else config[key] = text;
  }
  return config;
}

/** `team=web, env=dev` → { team: 'web', env: 'dev' } (a JSON object is accepted too). */
export function parseMap(field: string, text: string): Record<string, string> {
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, string>;
    } catch {
      // fall through to the error below
    }
    throw new CloudEngineError('INVALID_INPUT', `Invalid config.${field}: expected key=value pairs separated by commas, or a JSON object.`, { field: `config.${field}`, value: text });
  }
  const map: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new CloudEngineError('INVALID_INPUT', `Invalid config.${field}: "${pair.trim()}" is not key=value; write e.g. team=web, env=dev.`, {
        field: `config.${field}`,
        value: text,
      });
    }
    const key = pair.slice(0, at).trim();
    // Assigning these would change the object's prototype instead of adding a key.
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new CloudEngineError('INVALID_INPUT', `Invalid config.${field}: "${key}" cannot be used as a key.`, { field: `config.${field}`, value: text });
    }
    map[key] = pair.slice(at + 1).trim();
  }
  return map;
}

function describeField(id: string, schema: z.ZodType): FormField {
  let inner: z.ZodType = schema;
  let required = true;
  let defaultValue: unknown;
  // Peel optional/default/nullable wrappers to find the field's own type.
  for (let depth = 0; depth < 8; depth++) {
    if (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable) {
      required = false;
      inner = inner.unwrap() as z.ZodType;
    } else if (inner instanceof z.ZodDefault) {
      required = false;
      const value = (inner.def as { defaultValue: unknown }).defaultValue;
      defaultValue = typeof value === 'function' ? (value as () => unknown)() : value;
      inner = inner.unwrap() as z.ZodType;
    } else if (inner instanceof z.ZodPipe) {
      inner = (inner.def as unknown as { in: z.ZodType }).in;
    } else break;
  }
  const label = (schema.description ?? inner.description ?? id).slice(0, 45);
  if (inner instanceof z.ZodEnum) {
    const choices = (inner.options as readonly (string | number)[]).map(String);
    return { id, label, required, kind: 'choice', choices, defaultValue: asText(defaultValue), placeholder: choices.join(' | ').slice(0, 100) };
  }
  if (inner instanceof z.ZodNumber) return { id, label, required, kind: 'number', defaultValue: asText(defaultValue), placeholder: 'a number' };
  if (inner instanceof z.ZodBoolean) return { id, label, required, kind: 'boolean', defaultValue: asText(defaultValue), placeholder: 'true or false' };
  if (inner instanceof z.ZodRecord || inner instanceof z.ZodObject) {
    return { id, label, required, kind: 'map', defaultValue: defaultValue ? Object.entries(defaultValue).map(([k, v]) => `${k}=${String(v)}`).join(', ') : undefined, placeholder: 'key=value, key2=value2' };
  }
  return { id, label, required, kind: 'text', defaultValue: asText(defaultValue) };
}

function asText(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}
