import { z } from 'zod';
import { CloudEngineError } from '../kernel/errors.js';
import { referenceFields } from '../kernel/plugin/resource-ref.js';
import type { ResourceType } from '../kernel/plugin/resource-type.js';
import { SECRET_FIELD } from '../kernel/secrets/secret-fields.js';

/** One input of the form a resource type gets in chat, derived from its schema. */
export interface FormField {
  /** The config key (or `name` for the resource name). */
  readonly id: string;
  readonly label: string;
  readonly required: boolean;
  /** Prefilled text (the schema's default). */
  readonly defaultValue?: string;
  /** `reference`: the name of another resource of the deployment (`ref(type)` in the schema). */
  readonly kind: 'text' | 'number' | 'boolean' | 'choice' | 'map' | 'reference';
  readonly choices?: readonly string[];
  /** A short hint of the expected format (for a reference: the names it may take). */
  readonly placeholder?: string;
  /** A reference field's target type (`sandbox.network`). */
  readonly target?: string;
  /** A reference field's candidates: the session's resources of the target type (given a session). */
  readonly candidates?: readonly string[];
  /** A secret field (the type's `secretFields`): never prefilled. */
  readonly secret?: boolean;
}

/** Discord modals hold five inputs; the resource name takes one. */
export const MAX_FORM_FIELDS = 5;

/** The session a form is for: its resources (candidates of reference fields) and, when editing, which one. */
export interface FormContext {
  readonly resources: readonly { readonly name: string; readonly type: string }[];
  /** The resource being edited: it is no candidate for its own references. */
  readonly editing?: string;
}

/**
 * The form for a resource type: the name, then the schema's fields in order —
 * required ones first when not all fit. Fields that do not fit keep their
 * defaults and can still be set where the adapter allows key=value input.
 * With a session (`context`), reference fields list the session's resources
 * of their target type, and those that have any come right after the
 * required fields (and, in an edit, the secret ones), so the form offers
 * what can be referred to.
 */
export function formFor(type: ResourceType, context?: FormContext): FormField[] {
  const fields = configFields(type, context);
  const required = fields.filter((field) => field.required);
  // An edit must be able to retype every secret (it cannot be kept otherwise: see editedConfig).
  const secrets = context?.editing === undefined ? [] : fields.filter((field) => !field.required && field.secret);
  const references = fields.filter((field) => !field.required && !field.secret && field.kind === 'reference' && (field.candidates?.length ?? 0) > 0);
  const optional = fields.filter((field) => !field.required && !secrets.includes(field) && !references.includes(field));
  const chosen = [...required, ...secrets, ...references, ...optional].slice(0, MAX_FORM_FIELDS - 1);
  const ordered = fields.filter((field) => chosen.includes(field));
  return [{ id: 'name', label: 'Resource name', required: true, kind: 'text', placeholder: 'e.g. web-1 (lowercase, digits, - and _)' }, ...ordered];
}

/** Every config field of the type as a form input (no name, no limit): what the console lists and accepts. */
export function configFields(type: ResourceType, context?: FormContext): FormField[] {
  const targets = new Map(referenceFields(type).map((reference) => [reference.field, reference.target]));
  const secrets = new Set(type.secretFields ?? []);
  return Object.entries(type.schema.shape as Record<string, z.ZodType>).map(([id, schema]) => {
    const field = describeField(id, schema);
    const target = targets.get(id);
    const described = target === undefined ? field : referenceField(field, target, context);
    return secrets.has(id) ? { ...described, secret: true, defaultValue: undefined } : described;
  });
}

/**
 * The form's inputs for editing a resource: each field's current value as
 * text. Secret fields are never prefilled (nor is "(secret)", which is all a
 * session shows of them), so a secret left empty means "not given".
 */
export function editValues(type: ResourceType, config: Readonly<Record<string, unknown>>, name: string): Record<string, string> {
  const values: Record<string, string> = { name };
  const secrets = new Set(type.secretFields ?? []);
  for (const [key, value] of Object.entries(config)) {
    if (secrets.has(key) || value === SECRET_FIELD || value === undefined || value === null) continue;
    values[key] = typeof value === 'object' ? (Array.isArray(value) ? JSON.stringify(value) : mapText(value as Record<string, unknown>)) : String(value);
  }
  return values;
}

/**
 * A resource's new config from its current one and what was typed: typed
 * fields replace theirs, a field emptied is unset (its default applies),
 * fields not in the form are kept. A secret field is kept only if retyped:
 * what a session shows of it is "(secret)", never the value, and the kernel
 * replaces the whole config, so an edit that does not give it again is
 * refused naming it.
 */
export function editedConfig(type: ResourceType, current: Readonly<Record<string, unknown>>, typed: Readonly<Record<string, string>>): Record<string, unknown> {
  const secrets = new Set(type.secretFields ?? []);
  const config: Record<string, unknown> = { ...current };
  // An empty secret input means "not given" (it was never prefilled), not "unset".
  for (const [key, text] of Object.entries(typed)) if (key !== 'name' && text.trim() === '' && !secrets.has(key)) delete config[key];
  Object.assign(config, configFromText(type, typed));
  const hidden = Object.entries(config).find(([, value]) => value === SECRET_FIELD);
  if (hidden) {
    throw new CloudEngineError(
      'INVALID_INPUT',
      `Missing config.${hidden[0]}: it is secret, so it is never shown and cannot be kept by an edit. Type it again (e.g. ${hidden[0]}=…) with your change.`,
      { field: `config.${hidden[0]}` },
    );
  }
  return config;
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
    // A reference is a resource name; Discord cannot hold a select in a modal, so it is typed.
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

/** A reference field: its label, the target type and, with a session, the names it may take. */
function referenceField(field: FormField, target: string, context: FormContext | undefined): FormField {
  const label = field.label.length < 45 ? field.label : `${field.id} (${target})`.slice(0, 45);
  if (!context) return { ...field, label, kind: 'reference', target, placeholder: `name of a ${target} of this deployment`.slice(0, 100) };
  const candidates = context.resources.filter((resource) => resource.type === target && resource.name !== context.editing).map((resource) => resource.name);
  const placeholder = candidates.length ? `${target}: ${candidates.join(' | ')}` : `no ${target} in this deployment yet; add one first`;
  return { ...field, label, kind: 'reference', target, candidates, placeholder: placeholder.slice(0, 100) };
}

function mapText(map: Readonly<Record<string, unknown>>): string {
  return Object.entries(map)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ');
}

function asText(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}
