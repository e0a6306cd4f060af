import { REDACTED, type Redactor } from './redactor.js';

interface PlanLike {
  resource_changes?: { change: Record<string, unknown> }[];
}

/**
 * A redacted copy of a plan JSON, in one pass over the document: exactly
 * `redactor.redactDeep(redactPlanSensitive(plan))` — values the plan marks
 * sensitive (`before_sensitive`, `after_sensitive`) replaced, then every
 * string and key through the redactor, and every value under a secret key
 * name hidden — without the intermediate copy.
 */
export function redactPlan<T extends PlanLike>(plan: T, redactor: Redactor): T {
  // The `change` objects whose before/after carry sensitivity marks, found as redactPlanSensitive finds them.
  const changes = new Set<unknown>();
  for (const change of plan.resource_changes ?? []) {
    const inner: unknown = change.change;
    // redactPlanSensitive sets `before`/`after` on it, which throws for anything but an object.
    if (inner === null || typeof inner !== 'object') throw new TypeError(`Cannot set properties of ${String(inner)} (a plan's resource_changes[].change)`);
    changes.add(inner);
  }
  // What a masked value becomes once the redactor has seen it too (the redactor may rewrite "(redacted)" itself).
  const masked = redactor.redact(REDACTED);

  // `secret`: under a secret key name, where redactDeep turns every string and number into "(redacted)".
  const deep = (value: unknown, secret: boolean): unknown => {
    if (secret && (typeof value === 'string' || typeof value === 'number')) return REDACTED;
    if (typeof value === 'string') return redactor.redact(value);
    if (Array.isArray(value)) return value.map((item) => deep(item, secret));
    if (value !== null && typeof value === 'object') {
      if (changes.has(value)) return object(value as Record<string, unknown>, marksOf(value as Record<string, unknown>), secret);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [redactor.redact(key), deep(item, secret || redactor.isSecretKey(key))]));
    }
    return value;
  };

  /** `before`/`after` against their marks, as redactPlanSensitive sets them on a change. */
  const marksOf = (change: Record<string, unknown>): Record<string, unknown> => ({ before: change.before_sensitive, after: change.after_sensitive });

  /** redactDeep(mask(value, marks)), for a value that is an object with marks for some of its keys. */
  const object = (value: Record<string, unknown>, marks: Record<string, unknown>, secret: boolean): Record<string, unknown> => {
    // As mask builds it: a spread copy, then each marked key (present or not) assigned its masked value.
    const out: Record<string, unknown> = { ...value };
    const done = new Set<string>();
    for (const [key, mark] of Object.entries(marks)) {
      out[key] = maskDeep(out[key], mark, secret || redactor.isSecretKey(key));
      done.add(key);
    }
    return Object.fromEntries(Object.entries(out).map(([key, item]) => [redactor.redact(key), done.has(key) ? item : deep(item, secret || redactor.isSecretKey(key))]));
  };

  /** redactDeep(mask(value, marks)). */
  const maskDeep = (value: unknown, marks: unknown, secret: boolean): unknown => {
    // mask writes "(redacted)"; redactDeep then keeps it under a secret key, and redacts it elsewhere.
    if (marks === true) return value === null || value === undefined ? value : secret ? REDACTED : masked;
    if (marks === null || typeof marks !== 'object' || value === null || typeof value !== 'object') return deep(value, secret);
    if (Array.isArray(value)) return value.map((item, index) => maskDeep(item, (marks as unknown[])[index], secret));
    return object(value as Record<string, unknown>, marks as Record<string, unknown>, secret);
  };

  return deep(plan, false) as T;
}
