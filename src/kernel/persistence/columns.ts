import type { ValueTransformer } from 'typeorm';

/**
 * Timestamps are stored as ISO-8601 text: it sorts correctly and means the
 * same on SQLite and Postgres, where native date types differ.
 */
export const isoDate: ValueTransformer = {
  to: (value: Date | null | undefined) => (value instanceof Date ? value.toISOString() : value ?? null),
  from: (value: string | null) => (value === null || value === undefined ? null : new Date(value)),
};

/** JSON kept as text, portable across drivers (TypeORM's simple-json, but null-safe). */
export const jsonText: ValueTransformer = {
  to: (value: unknown) => (value === undefined || value === null ? null : JSON.stringify(value)),
  from: (value: string | null) => (value === null || value === undefined ? null : JSON.parse(value)),
};

/**
 * A JSON object column's type. `any` values because TypeORM's insert types
 * cannot express `unknown`; callers validate before writing.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;
