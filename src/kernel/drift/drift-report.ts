import { createHash } from 'node:crypto';
import { REDACTED, type Redactor } from '../secrets/redactor.js';
import type { PlanJson } from '../terraform/plan-json.js';

/** What a drift check found: nothing, a drift, or that it could not tell. */
export type DriftStatus = 'NONE' | 'DRIFTED' | 'FAILED';

/** One attribute that differs between the state and the cloud; sensitive values read "(sensitive)". */
export interface DriftAttribute {
  /** Terraform's attribute path: `tags.Env`, `ingress[0].cidr_blocks[1]`. */
  readonly path: string;
  /** As the state recorded it (after the last apply); undefined when it was not set. */
  readonly before: unknown;
  /** As the cloud holds it now; undefined when it is gone. */
  readonly after: unknown;
}

/** A resource changed outside Terraform. */
export interface DriftedResource {
  readonly address: string;
  /** The deployment's resource that synthesized it, when known. */
  readonly resource?: string;
  /** `update`: changed in the cloud; `delete`: gone from the cloud. */
  readonly action: 'update' | 'delete';
  readonly attributes: readonly DriftAttribute[];
  /** Attributes left out past `MAX_ATTRIBUTES`. */
  readonly more: number;
}

/** The most attributes kept per resource (a replaced list can differ everywhere). */
export const MAX_ATTRIBUTES = 40;
/** The longest value kept as text; longer ones are cut. */
const MAX_VALUE_CHARS = 300;
const SENSITIVE = '(sensitive)';

interface DriftChange {
  readonly address: string;
  readonly mode?: string;
  readonly change: { actions: readonly string[]; before?: unknown; after?: unknown; before_sensitive?: unknown; after_sensitive?: unknown };
}

/**
 * The resources a refresh-only plan found changed outside Terraform
 * (`resource_drift`), each with the attributes that differ, old → new.
 * Values the plan marks sensitive read "(sensitive)"; every other value goes
 * through the redactor (secret key names hide their values).
 */
export function driftedResources(plan: PlanJson, owners: ReadonlyMap<string, string>, redactor: Redactor): DriftedResource[] {
  const drifts = (plan.resource_drift ?? []) as unknown as DriftChange[];
  return drifts
    .filter((drift) => drift.mode !== 'data')
    .map((drift) => {
      const { actions, before, after, before_sensitive: beforeMarks, after_sensitive: afterMarks } = drift.change;
      const action = actions.includes('delete') ? 'delete' : 'update';
      const all = action === 'delete' ? [] : differences(before, after, beforeMarks, afterMarks, '', false, redactor);
      const resource = owners.get(drift.address);
      return { address: drift.address, ...(resource === undefined ? {} : { resource }), action, attributes: all.slice(0, MAX_ATTRIBUTES), more: Math.max(0, all.length - MAX_ATTRIBUTES) } satisfies DriftedResource;
    })
    // Terraform reports a resource whose only "change" is nothing read back as empty: no drift.
    .filter((resource) => resource.action === 'delete' || resource.attributes.length > 0)
    .sort((a, b) => a.address.localeCompare(b.address));
}

/** A stable name for a drift: the same drifted values give the same fingerprint, any difference another. */
export function driftFingerprint(resources: readonly DriftedResource[]): string {
  const canonical = resources.map((resource) => [resource.address, resource.action, resource.attributes.map((attribute) => [attribute.path, attribute.before ?? null, attribute.after ?? null]), resource.more]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 24);
}

/** The leaf attributes where `before` and `after` differ, as redacted values. */
function differences(before: unknown, after: unknown, beforeMarks: unknown, afterMarks: unknown, path: string, secret: boolean, redactor: Redactor): DriftAttribute[] {
  if (empty(before) && empty(after)) return [];
  if (isContainer(before) || isContainer(after)) {
    if (Array.isArray(before) === Array.isArray(after) && isContainer(before) && isContainer(after)) {
      const keys = Array.isArray(before) ? indexes(before, after as unknown[]) : [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
      return keys.flatMap((key) =>
        differences(child(before, key), child(after, key), child(beforeMarks, key), child(afterMarks, key), join(path, key), secret || (typeof key === 'string' && redactor.isSecretKey(key)), redactor),
      );
    }
  }
  if (equal(before, after)) return [];
  return [{ path: path || '(resource)', before: shown(before, beforeMarks, secret, redactor), after: shown(after, afterMarks, secret, redactor) }];
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return value !== null && typeof value === 'object';
}

function indexes(a: readonly unknown[], b: readonly unknown[]): number[] {
  return Array.from({ length: Math.max(a.length, b.length) }, (_, index) => index);
}

function child(value: unknown, key: string | number): unknown {
  if (!isContainer(value)) return value === true ? true : undefined;
  return (value as Record<string, unknown>)[key as string];
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  const part = /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? key : JSON.stringify(key);
  return path === '' ? part : `${path}.${part}`;
}

/** Equal values; nothing, an empty map and an empty list count as the same (providers read back `tags = {}` for none). */
function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(empty(a) ? null : a) === JSON.stringify(empty(b) ? null : b);
}

function empty(value: unknown): boolean {
  return value === null || value === undefined || (isContainer(value) && Object.keys(value).length === 0);
}

/** A value as a drift report shows it: masked where the plan marks it sensitive, redacted, bounded. */
function shown(value: unknown, marks: unknown, secret: boolean, redactor: Redactor): unknown {
  if (value === undefined || value === null) return value ?? undefined;
  if (marks === true || marksAny(marks)) return SENSITIVE;
  if (secret && (typeof value === 'string' || typeof value === 'number')) return REDACTED;
  if (typeof value === 'string') return bounded(redactor.redact(value));
  if (typeof value === 'object') {
    const text = JSON.stringify(redactor.redactDeep(value));
    return text.length > MAX_VALUE_CHARS ? bounded(text) : JSON.parse(text);
  }
  return value;
}

function bounded(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** Whether sensitivity marks hold a `true` anywhere (a value partly sensitive is shown as sensitive whole). */
function marksAny(marks: unknown): boolean {
  if (marks === true) return true;
  return isContainer(marks) && Object.values(marks).some(marksAny);
}
