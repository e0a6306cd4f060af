import type { z } from 'zod';
import { CloudEngineError, describeValue, invalidInput } from './errors.js';

/**
 * Parses `value` with `schema`; the first problem becomes INVALID_INPUT
 * naming the field (prefixed with `fieldPrefix`), the value and what is expected.
 * Text is checked and normalized first (see `requireFaithfulJson`).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, fieldPrefix: string, hint = ''): z.output<S> {
  value = requireFaithfulJson(value, fieldPrefix);
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues[0]!;
  const path = [fieldPrefix, ...first.path.map(String)].filter(Boolean).join('.');
  const received = first.path.reduce<unknown>(
    (obj, part) => (obj !== null && typeof obj === 'object' ? (obj as Record<PropertyKey, unknown>)[part as PropertyKey] : undefined),
    value,
  );
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
  const receivedText = first.code === 'unrecognized_keys' ? '' : `; received ${describeValue(received)}`;
  throw new CloudEngineError('INVALID_INPUT', `Invalid ${path || 'input'}: ${first.message}${receivedText}${more}.${hint ? ` ${hint}` : ''}`, {
    field: path || undefined,
    value: received,
    details: { issues: issues.map((issue) => ({ path: [fieldPrefix, ...issue.path.map(String)].filter(Boolean).join('.'), message: issue.message })) },
  });
}

/** Ids users type: lowercase letters, digits and dashes. */
export const PROJECT_ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/**
 * Names every JavaScript object already has, which the pattern rules would
 * allow: as a cdktf construct id (a resource name) they collide with the
 * construct tree's own object ("There is already a Construct with name
 * 'constructor'"), and as a key `__proto__` vanishes from every object copy.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor']);
/**
 * Resource names: 1-63 lowercase letters, digits, dashes and underscores, starting with a letter or underscore
 * (Terraform identifiers must), and not one of RESERVED_NAMES.
 */
export const RESOURCE_NAME = /^(?!(?:__proto__|constructor)$)[a-z_][a-z0-9_-]{0,62}$/;
/** The names the engine acts under itself (recovery, expiry): no person may take them. */
export const RESERVED_ACTORS: ReadonlySet<string> = new Set(['system', 'cloud-engine']);
/** User ids come from chat platforms: keep them printable and short; the engine's own actor names are not user ids. */
export const USER_ID = /^(?!(?:system|cloud-engine)$)[A-Za-z0-9._@:-]{1,64}$/i;

export function requirePattern(value: unknown, pattern: RegExp, field: string, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    const reserved =
      typeof value === 'string' && (RESERVED_NAMES.has(value) || RESERVED_ACTORS.has(value.toLowerCase()))
        ? RESERVED_ACTORS.has(value.toLowerCase())
          ? ', a name the engine acts under itself; use the person\'s own id'
          : ', a reserved name; pick another'
        : '';
    throw invalidInput(field, `expected ${expected}; received ${describeValue(value)}${reserved}`, { value });
  }
  return value;
}

/** A UTF-16 code unit that is half of a surrogate pair without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface JsonNode {
  readonly value: unknown;
  readonly key?: string;
  readonly parent?: JsonNode;
}

function fieldOf(node: JsonNode, fieldPrefix: string): string {
  const path: string[] = [];
  for (let at: JsonNode | undefined = node; at?.key !== undefined; at = at.parent) path.push(at.key);
  return [fieldPrefix, ...path.reverse()].filter(Boolean).join('.') || 'input';
}

function invalidAt(node: JsonNode, fieldPrefix: string, problem: string): CloudEngineError {
  const field = fieldOf(node, fieldPrefix);
  return invalidInput(field, problem, { value: node.key ?? node.value });
}

function isPlainContainer(value: unknown): value is Record<string, unknown> {
  if (Array.isArray(value)) return true;
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Makes user JSON safe to validate and to hand to Terraform unchanged:
 * refuses (INVALID_INPUT naming the field) a `__proto__` key, which every
 * object copy silently drops, and text that is not valid Unicode (a lone
 * surrogate, which Terraform replaces with U+FFFD); and returns the value with
 * every string and key in Unicode normal form C, because Terraform reads all
 * text that way — so what is stored is what Terraform deploys. Walks
 * iteratively, so deep nesting cannot overflow the stack; returns `value`
 * itself when nothing needed normalizing.
 */
export function requireFaithfulJson(value: unknown, fieldPrefix: string): unknown {
  const seen = new Set<object>();
  const stack: JsonNode[] = [{ value }];
  let normalize = false;
  while (stack.length > 0) {
    const node = stack.pop()!;
    const item = node.value;
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) throw invalidAt(node, fieldPrefix, `text must be valid Unicode, but ${describeValue(item)} has a broken character (a lone surrogate)`);
      // Terraform and the shell a provisioner runs cut text at a NUL: what is stored would not be what is deployed.
      if (item.includes('\u0000')) throw invalidAt(node, fieldPrefix, `text cannot contain a NUL character (\\u0000), but ${describeValue(item)} does; remove it`);
      normalize ||= item.normalize('NFC') !== item;
      continue;
    }
    if (item === null || typeof item !== 'object' || seen.has(item)) continue;
    seen.add(item);
    for (const key of Object.keys(item)) {
      const child: JsonNode = { value: (item as Record<string, unknown>)[key], key, parent: node };
      if (key === '__proto__') throw invalidAt(child, fieldPrefix, '"__proto__" cannot be used as a key; rename it');
      if (key.includes('\u0000')) throw invalidAt(child, fieldPrefix, `keys cannot contain a NUL character (\\u0000); rename ${describeValue(key)}`);
      if (LONE_SURROGATE.test(key)) throw invalidAt(child, fieldPrefix, `keys must be valid Unicode, but ${describeValue(key)} has a broken character (a lone surrogate)`);
      normalize ||= key.normalize('NFC') !== key;
      stack.push(child);
    }
  }
  return normalize ? normalizeDeep(value, fieldPrefix) : value;
}

/** A copy of plain objects and arrays with every string and key in NFC; two keys that become one are refused. */
function normalizeDeep(value: unknown, fieldPrefix: string): unknown {
  if (typeof value === 'string') return value.normalize('NFC');
  if (!isPlainContainer(value)) return value;
  const copy = (from: object): Record<string, unknown> => (Array.isArray(from) ? [] : Object.getPrototypeOf(from) === null ? Object.create(null) : {}) as Record<string, unknown>;
  const root = copy(value);
  // Each object is copied once, so shared and cyclic references stay shared and cyclic.
  const copies = new Map<object, Record<string, unknown>>([[value, root]]);
  const stack: { from: Record<string, unknown>; to: Record<string, unknown>; node: JsonNode }[] = [{ from: value, to: root, node: { value } }];
  while (stack.length > 0) {
    const { from, to, node } = stack.pop()!;
    for (const key of Object.keys(from)) {
      const item = from[key];
      const outKey = Array.isArray(from) ? key : key.normalize('NFC');
      const child: JsonNode = { value: item, key, parent: node };
      if (Object.hasOwn(to, outKey)) {
        throw invalidAt(child, fieldPrefix, `${describeValue(key)} is the same text as another key, written with different Unicode characters; keep one of them`);
      }
      let out: unknown = item;
      if (typeof item === 'string') out = item.normalize('NFC');
      else if (isPlainContainer(item)) {
        out = copies.get(item);
        if (out === undefined) {
          const made = copy(item);
          copies.set(item, made);
          stack.push({ from: item, to: made, node: child });
          out = made;
        }
      }
      Object.defineProperty(to, outKey, { value: out, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

/** Bytes of `value` as JSON; undefined when it is not JSON (a cycle, a BigInt, undefined itself). */
export function jsonSize(value: unknown): number | undefined {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? undefined : Buffer.byteLength(text);
  } catch {
    return undefined;
  }
}
