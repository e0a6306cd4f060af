import type { z } from 'zod';
import { CloudEngineError, describeValue } from './errors.js';

/**
 * Parses `value` with `schema`; the first problem becomes INVALID_INPUT
 * naming the field (prefixed with `fieldPrefix`), the value and what is expected.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, fieldPrefix: string, hint = ''): z.output<S> {
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
/** Resource names: 1-63 lowercase letters, digits, dashes and underscores, starting with a letter or underscore (Terraform identifiers must). */
export const RESOURCE_NAME = /^[a-z_][a-z0-9_-]{0,62}$/;
/** User ids come from chat platforms: keep them printable and short. */
export const USER_ID = /^[A-Za-z0-9._@:-]{1,64}$/;

export function requirePattern(value: unknown, pattern: RegExp, field: string, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw new CloudEngineError('INVALID_INPUT', `Invalid ${field}: expected ${expected}; received ${describeValue(value)}.`, {
      field,
      value,
    });
  }
  return value;
}
