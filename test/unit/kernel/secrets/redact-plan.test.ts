import { describe, expect, it } from 'vitest';
import { redactPlan } from '../../../../src/kernel/secrets/redact-plan.js';
import { REDACTED, Redactor, redactPlanSensitive, sensitiveValues } from '../../../../src/kernel/secrets/redactor.js';

const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';

/** The two passes the one-pass `redactPlan` replaces. */
function twoPass<T extends Parameters<typeof redactPlanSensitive>[0]>(plan: T, redactor: Redactor): T {
  return redactor.redactDeep(redactPlanSensitive(plan));
}

/** A value's exact shape: key order, keys holding `undefined`, arrays vs objects. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return { array: value.map(shape) };
  if (value !== null && typeof value === 'object') return { object: Object.entries(value).map(([key, item]) => [key, shape(item)]) };
  return { [typeof value]: value };
}

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['name', 'password', 'api_token', 'secret_arn', 'tags', 'input', 'list', 'before', 'after', '__proto__', 'constructor', `k-${AWS_KEY}`, 'redacted', '0', '1'];
const STRINGS = ['app', 'correct-horse-battery', REDACTED, 'redacted', `key ${AWS_KEY}`, 'Bearer abcdefghijklmnop', 'plain', '', 'hunter2-super-secret'];

/** Own properties only (also `__proto__`), as JSON.parse makes them. */
function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

function value(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.3) return STRINGS[Math.floor(next() * STRINGS.length)];
  if (pick < 0.4) return Math.floor(next() * 1000);
  if (pick < 0.45) return null;
  if (pick < 0.5) return next() < 0.5;
  if (pick < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
  return objectOf(Array.from({ length: Math.floor(next() * 4) }, () => [KEYS[Math.floor(next() * KEYS.length)]!, value(next, depth + 1)]));
}

/** Sensitivity marks: mostly following the value's structure, sometimes naming keys it lacks, sometimes off. */
function marks(next: () => number, of: unknown, depth: number): unknown {
  const pick = next();
  if (pick < 0.25) return true;
  if (pick < 0.35) return false;
  if (pick < 0.4) return 'odd';
  if (depth > 4) return true;
  if (Array.isArray(of)) return of.map((item) => marks(next, item, depth + 1));
  const keys = of !== null && typeof of === 'object' ? Object.keys(of) : [];
  const extra = next() < 0.3 ? [KEYS[Math.floor(next() * KEYS.length)]!] : [];
  return objectOf([...keys, ...extra].filter(() => next() < 0.7).map((key) => [key, marks(next, (of as Record<string, unknown> | null)?.[key], depth + 1)]));
}

function plan(next: () => number): Record<string, unknown> {
  const changes = Array.from({ length: Math.floor(next() * 4) }, () => {
    const before = next() < 0.3 ? null : value(next, 0);
    const after = next() < 0.2 ? undefined : value(next, 0);
    const change: [string, unknown][] = [
      ['actions', ['create']],
      ['before', before],
      ...(after === undefined ? [] : ([['after', after]] as [string, unknown][])),
      ['after_unknown', {}],
    ];
    if (next() < 0.8) change.push(['before_sensitive', marks(next, before, 0)]);
    if (next() < 0.8) change.push(['after_sensitive', marks(next, after, 0)]);
    return objectOf([
      ['address', `terraform_data.r${Math.floor(next() * 100)}`],
      ['change', objectOf(change)],
    ]);
  });
  // Elsewhere in the document, before/after look-alikes that are not resource changes: redacted, never masked.
  const lookalike = objectOf([
    ['before', value(next, 1)],
    ['after', `note ${AWS_KEY}`],
    ['after_sensitive', true],
  ]);
  // Round-trip through JSON text: the kernel's plan comes from `terraform show -json`.
  return JSON.parse(JSON.stringify(objectOf([['format_version', '1.2'], ['resource_changes', changes], ['prior_state', lookalike], [`k ${AWS_KEY}`, value(next, 1)]]))) as Record<string, unknown>;
}

describe('redactPlan: one pass, the same result as redactDeep(redactPlanSensitive(plan))', () => {
  const redactors = {
    default: new Redactor(),
    'with literals': Redactor.forEnvironment(['acme_[a-z0-9]{8}'], { DB_PASSWORD: 'hunter2-super-secret' }).with(['correct-horse-battery']),
    // A literal inside "(redacted)": the second pass rewrites what the first one wrote.
    'that rewrites "(redacted)"': new Redactor().with(['redacted']),
    // Secret key names that reach a change's before/after and a whole change: the key rule meets the marks.
    'with secret key names "after", "change" and "list"': Redactor.forEnvironment([], {}, ['after', 'change', 'list']).with(['redacted']),
  };

  it('masks values marked sensitive and redacts secret shapes, keys included', () => {
    const input = {
      format_version: '1.2',
      resource_changes: [
        {
          address: 'terraform_data.db',
          change: {
            actions: ['create'],
            before: null,
            after: { input: { password: 'correct-horse-battery', user: 'app', note: `key ${AWS_KEY}` }, list: ['a', 'secret-item-1'] },
            after_sensitive: { input: { password: true }, list: [false, true] },
            before_sensitive: false,
          },
        },
      ],
      configuration: { [`k ${AWS_KEY}`]: 'v' },
    };
    const redactor = new Redactor().with(sensitiveValues(input));
    const out = redactPlan(input, redactor);
    expect(out.resource_changes[0]!.change.after).toEqual({ input: { password: REDACTED, user: 'app', note: `key ${REDACTED}` }, list: ['a', REDACTED] });
    expect(out.configuration).toEqual({ [`k ${REDACTED}`]: 'v' });
    expect(shape(out)).toEqual(shape(twoPass(input, redactor)));
    // The input is left as it was.
    expect(input.resource_changes[0]!.change.after.input.password).toBe('correct-horse-battery');
  });

  it('keeps the quirks of the two passes: a marked key the value lacks becomes a key holding undefined', () => {
    const input = { resource_changes: [{ change: { after: { a: 'x' }, after_sensitive: { missing: true, nested: { deep: true } } } }] };
    const out = redactPlan(input, new Redactor());
    expect(Object.keys(out.resource_changes[0]!.change.after)).toEqual(['a', 'missing', 'nested']);
    expect(shape(out)).toEqual(shape(twoPass(input, new Redactor())));
  });

  it('a plan without resource changes, or with an empty list', () => {
    for (const input of [{}, { resource_changes: [] }, { resource_changes: null as unknown as [] }, { planned_values: { root_module: {} } }]) {
      expect(shape(redactPlan(input, new Redactor()))).toEqual(shape(twoPass(input, new Redactor())));
    }
  });

  it('a malformed change fails as the two passes do (TypeError), instead of storing something', () => {
    for (const change of [null, 'text', 3]) {
      const input = { resource_changes: [{ change: change as unknown as Record<string, unknown> }] };
      expect(() => twoPass(input, new Redactor())).toThrow(TypeError);
      expect(() => redactPlan(input, new Redactor())).toThrow(TypeError);
    }
  });

  for (const [name, redactor] of Object.entries(redactors)) {
    it(`matches on 400 generated plans, redactor ${name}`, () => {
      for (let seed = 1; seed <= 400; seed++) {
        const input = plan(random(seed));
        const withSensitive = redactor.with(sensitiveValues(input as Parameters<typeof sensitiveValues>[0]));
        const expected = shape(twoPass(input, withSensitive));
        const actual = shape(redactPlan(input, withSensitive));
        if (JSON.stringify(actual) !== JSON.stringify(expected)) expect({ seed, actual }).toEqual({ seed, actual: expected });
      }
    });
  }
});

describe('redactPlan: values under secret key names', () => {
  it('hides a password and an AWS secret key the plan does not mark sensitive, in the change and in the configuration', () => {
    const input = {
      resource_changes: [
        {
          address: 'terraform_data.db',
          change: {
            actions: ['create'],
            before: null,
            after: { input: { password: 'hunter2-long', aws_secret_access_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', user: 'app' } },
            after_sensitive: { input: {} },
          },
        },
      ],
      configuration: { root_module: { resources: [{ expressions: { input: { constant_value: { password: 'hunter2-long' } } } }] } },
    };
    const out = redactPlan(input, new Redactor());
    expect(out.resource_changes[0]!.change.after).toEqual({ input: { password: REDACTED, aws_secret_access_key: REDACTED, user: 'app' } });
    expect(JSON.stringify(out)).not.toContain('hunter2-long');
    expect(shape(out)).toEqual(shape(twoPass(input, new Redactor())));
  });

  it('a sensitive-marked value under a secret key is "(redacted)" even for a redactor that rewrites "(redacted)" elsewhere', () => {
    const input = { resource_changes: [{ change: { after: { password: 'p-123456', note: 'redacted' }, after_sensitive: { password: true } } }] };
    const redactor = new Redactor().with(['redacted']);
    expect(shape(redactPlan(input, redactor))).toEqual(shape(twoPass(input, redactor)));
    expect(redactPlan(input, redactor).resource_changes[0]!.change.after.password).toBe(REDACTED);
  });
});
