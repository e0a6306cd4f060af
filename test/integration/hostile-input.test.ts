/**
 * Hostile input, property-based: whatever a user types reaches a real kernel,
 * and every rejection is INVALID_INPUT naming the field, nothing is written
 * half-way, and nothing accepted breaks synthesis or becomes a Terraform
 * expression. The oracles below restate the documented rules independently of
 * the kernel's regular expressions. Runs stay modest so the file takes well
 * under a minute; only the "reaches terraform verbatim" property runs terraform.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../src/kernel/errors.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { ChatCommand, CommandArgs } from '../../src/chat/chat-command.js';
import { chatCommands } from '../../src/chat/chat-commands.js';
import { rejection } from '../support/rejection.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';

// ---- helpers ----

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function outcome<T>(work: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The error `work` fails with; fails the test if `work` succeeds. */
async function refusal(work: () => Promise<unknown>): Promise<unknown> {
  const result = await outcome(work);
  if (result.ok) throw new Error(`expected a refusal, but it was accepted: ${JSON.stringify(result.value)?.slice(0, 200)}`);
  return result.error;
}

/** A refusal the user can act on: INVALID_INPUT naming a field that `fieldOk` accepts, with a short message. */
function expectInvalid(error: unknown, fieldOk: (field: string) => boolean): CloudEngineError {
  if (!(error instanceof CloudEngineError)) throw new Error(`expected a CloudEngineError, got ${String((error as Error)?.stack ?? error)}`);
  expect(error.code, error.message).toBe('INVALID_INPUT');
  expect(typeof error.field, error.message).toBe('string');
  expect(fieldOk(error.field!), `field ${JSON.stringify(error.field)}: ${error.message}`).toBe(true);
  // Echoed values are shortened: a huge input must not flood chat.
  expect(error.message.length).toBeLessThan(600);
  return error;
}

/** Counts what a property saw, so a generator that stops producing one outcome is noticed. */
function tally() {
  const counts = { accepted: 0, refused: 0 };
  return {
    counts,
    note<T>(result: Outcome<T>): Outcome<T> {
      if (result.ok) counts.accepted += 1;
      else counts.refused += 1;
      return result;
    },
    /** Both outcomes happened at least `min` times. */
    expectBoth(min: number): void {
      expect(counts.accepted, 'accepted cases').toBeGreaterThanOrEqual(min);
      expect(counts.refused, 'refused cases').toBeGreaterThanOrEqual(min);
    },
  };
}

const isField = (name: string) => (field: string) => field === name || field.startsWith(`${name}.`);

/**
 * Reads a string of Terraform's JSON syntax, where every string is a
 * template: `$${` and `%%{` are the literal `${` and `%{`, and a bare `${` or
 * `%{` starts an expression. Returns the literal text and whether any
 * expression was found. (Terraform's own reading; not the kernel's escaper.)
 */
function readTemplate(text: string): { literal: string; expression: boolean } {
  let literal = '';
  let expression = false;
  for (let i = 0; i < text.length; ) {
    if (text.startsWith('$${', i) || text.startsWith('%%{', i)) {
      literal += `${text[i]}{`;
      i += 3;
    } else if (text.startsWith('${', i) || text.startsWith('%{', i)) {
      expression = true;
      literal += text.slice(i, i + 2);
      i += 2;
    } else {
      literal += text[i];
      i += 1;
    }
  }
  return { literal, expression };
}

/** Every synthesized string (keys too) reads back, as Terraform reads it, to the stored one, with no expression in it. */
function expectLiteral(synthesized: unknown, stored: unknown, where: string): void {
  if (typeof stored === 'string') {
    expect(typeof synthesized, where).toBe('string');
    const read = readTemplate(synthesized as string);
    expect(read.expression, `${where}: ${JSON.stringify(synthesized)} holds a Terraform expression`).toBe(false);
    expect(read.literal, where).toBe(stored);
    return;
  }
  if (stored !== null && typeof stored === 'object') {
    const out = synthesized as Record<string, unknown>;
    const byLiteral = new Map(Object.keys(out).map((key) => [readTemplate(key), key] as const).map(([read, key]) => {
      expect(read.expression, `${where}: key ${JSON.stringify(key)} holds a Terraform expression`).toBe(false);
      return [read.literal, key] as const;
    }));
    expect([...byLiteral.keys()].sort(), where).toEqual(Object.keys(stored).sort());
    for (const [key, value] of Object.entries(stored)) expectLiteral(out[byLiteral.get(key)!], value, `${where}.${key}`);
    return;
  }
  expect(synthesized, where).toEqual(stored);
}

/** Every string in a JSON value, keys included, with where it is. */
function strings(value: unknown, where = ''): [string, string][] {
  if (typeof value === 'string') return [[value, where]];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [[key, `${where}.${key} (key)`] as [string, string], ...strings(item, `${where}.${key}`)]);
}

/** Defines keys as own properties, so `__proto__` is a real key (as JSON.parse makes it), not a prototype. */
function objectOf(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

// ---- arbitraries ----

/** Template, cdktf-token and quoting syntax, in any order. */
const templateText = fc
  .array(fc.constantFrom('$', '%', '#', '{', '}', '${', '%{', '#{', '$${', '%%{', '${var.x}', '%{ if true }', 'TfToken[TOKEN.1]', '${TfToken[TOKEN.2]}', 'a', ' ', '"', '\\', '\n', 'é', '👍🏽'), {
    maxLength: 12,
  })
  .map((parts) => parts.join(''));
/** A lone surrogate now and then: valid JavaScript, not valid Unicode. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const hostileText = fc.oneof(
  { weight: 4, arbitrary: templateText },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(fc.constantFrom('a', '$', '{', '%'), loneSurrogate), maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('${file("/etc/passwd")}', '%{ for x in ["a"] }${x}%{ endfor }', '$${already}', '$$${triple}', '%%{double}', 'trailing $', '${', '}${}{', '\u0000nul', '\u2028\u2029', 'e\u0301'),
  },
);
const tagKey = fc.oneof(
  { weight: 10, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', '${x}', '%{x}', '', 'k'.repeat(129)) },
);
const tagValue = fc.oneof(
  { weight: 10, arbitrary: hostileText },
  { weight: 1, arbitrary: fc.string({ minLength: 250, maxLength: 260 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(5000), 42, null, true, ['a'], { nested: 'x' }) },
);
const tags = fc.oneof(
  { weight: 10, arbitrary: fc.array(fc.tuple(tagKey, tagValue), { maxLength: 5 }).map(objectOf) },
  { weight: 1, arbitrary: fc.constant(objectOf(Array.from({ length: 51 }, (_, i) => [`t${i}`, 'v']))) },
  { weight: 1, arbitrary: fc.anything() },
);
/** Now and then (one time in eight) a key no schema knows. */
const extraKeys = fc.oneof(
  { weight: 7, arbitrary: fc.constant([] as [string, unknown][]) },
  { weight: 1, arbitrary: fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor')), fc.anything({ maxDepth: 1 })), { minLength: 1, maxLength: 2 }) },
);
function withExtras(base: fc.Arbitrary<Record<string, unknown>>) {
  return fc.tuple(base, extraKeys).map(([config, extra]) => objectOf([...Object.entries(config), ...extra]));
}
/** Mostly what `valid` produces, now and then anything of `hostile`. */
function mostly<T>(valid: fc.Arbitrary<T>, ...hostile: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 8, arbitrary: valid as fc.Arbitrary<unknown> }, ...hostile.map((arbitrary) => ({ weight: 1, arbitrary })));
}

const vmConfig = withExtras(
  fc.record(
    {
      size: mostly(fc.constantFrom('small', 'medium', 'large'), hostileText, fc.anything({ maxDepth: 1 })),
      image: mostly(hostileText, fc.string({ minLength: 120, maxLength: 140 }), fc.anything({ maxDepth: 1 })),
      bootSeconds: mostly(fc.integer({ min: 0, max: 600 }), fc.integer({ min: -5, max: 700 }), fc.double(), fc.constantFrom(NaN, Infinity, '5', 1.5)),
      tags,
    },
    { requiredKeys: [] },
  ),
);
const bucketConfig = withExtras(fc.record({ tags }, { requiredKeys: [] }));
const s3Config = withExtras(
  fc.record(
    {
      bucket: mostly(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/), hostileText, fc.constantFrom('192.168.5.4', 'xn--bucket', 'my..bucket', 'a')),
      forceDestroy: mostly(fc.boolean(), fc.anything({ maxDepth: 1 })),
      tags,
    },
    { requiredKeys: ['bucket'] },
  ),
);
const anyConfig = fc.oneof(fc.anything({ withNullPrototype: true, withObjectString: true }), fc.object(), fc.jsonValue());

const TYPES = ['sandbox.vm', 'sandbox.bucket', 'aws.s3_bucket'] as const;
type TypeName = (typeof TYPES)[number];
const typedConfig: fc.Arbitrary<{ type: TypeName; config: unknown }> = fc.oneof(
  { weight: 3, arbitrary: vmConfig.map((config) => ({ type: 'sandbox.vm' as const, config })) },
  { weight: 3, arbitrary: bucketConfig.map((config) => ({ type: 'sandbox.bucket' as const, config })) },
  { weight: 3, arbitrary: s3Config.map((config) => ({ type: 'aws.s3_bucket' as const, config })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...TYPES), anyConfig).map(([type, config]) => ({ type, config })) },
);

// ---- the kernel ----

describe('hostile input', () => {
  let t: TestKernel;
  let kernel: Kernel;
  let commands: Map<string, ChatCommand>;
  const run = (name: string, userId: string, args: CommandArgs) => commands.get(name)!.run(userId, args);
  let counter = 0;
  const unique = (prefix: string) => `${prefix}${(counter += 1)}`;

  beforeAll(async () => {
    t = await startTestKernel();
    kernel = t.kernel;
    commands = new Map(chatCommands(chatApiOf(kernel)).map((command) => [command.name, command]));
    await createProject(kernel, { id: 'hostile', provider: 'sandbox' });
    await createProject(kernel, { id: 'hostile-aws', provider: 'aws', settings: { region: 'us-east-1', skipCredentialsValidation: true } });
  });
  afterAll(() => t?.dispose());

  async function resourceCount(sessionId: string): Promise<number> {
    return (await kernel.orchestrator.getSession(sessionId)).resources.length;
  }
  async function auditCount(filter: { sessionId?: string; projectId?: string; action: string }): Promise<number> {
    return (await kernel.audit.list(filter)).length;
  }

  it('resource names: accepted exactly when they follow the documented rule; refusals name "name" and change nothing', async () => {
    const { orchestrator } = kernel;
    const session = await orchestrator.startSession('alice', 'hostile');
    // The rule as documented: 1-63 characters; lowercase letters, digits, "-" and "_"; a letter or "_" first.
    // Plus the two names every JavaScript object already has, which cdktf cannot use as construct ids.
    const documented = (name: unknown): boolean =>
      typeof name === 'string' &&
      name.length >= 1 &&
      name.length <= 63 &&
      [...name].every((char) => (char >= 'a' && char <= 'z') || (char >= '0' && char <= '9') || char === '-' || char === '_') &&
      !(name[0]! >= '0' && name[0]! <= '9') &&
      name[0] !== '-' &&
      name !== '__proto__' &&
      name !== 'constructor';
    const names = fc.oneof(
      fc.string({ maxLength: 70 }),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.stringMatching(/^[a-z_][a-z0-9_-]{0,70}$/),
      fc.string({ unit: fc.constantFrom('a', 'z', '_', '-', '0', '9', 'A', ' ', '$', '{', '}', '.', 'é', '\u0000', '\n'), maxLength: 66 }),
      fc.constantFrom('${var.x}', 'web 1', 'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(100_000), '', '-web', '1web', 'Web', 'wéb', 'web\n', '_', '_-', 'aws', 'backend', 'outputs', '__proto__', 'constructor', 'tostring'),
      fc.anything({ maxDepth: 1 }),
    );
    const seen = tally();
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        const before = await resourceCount(session.id);
        const added = await auditCount({ sessionId: session.id, action: 'resource.added' });
        const result = seen.note(await outcome(() => orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: name as string })));
        if (!documented(name)) {
          expect(result.ok, `accepted ${JSON.stringify(name)}`).toBe(false);
          const error = expectInvalid(!result.ok && result.error, (field) => field === 'name');
          if (name === '__proto__' || name === 'constructor') expect(error.message).toContain('reserved');
          expect(await resourceCount(session.id)).toBe(before);
          expect(await auditCount({ sessionId: session.id, action: 'resource.added' })).toBe(added);
          return;
        }
        if (!result.ok) throw result.error;
        expect(result.value.resources.map((resource) => resource.name)).toContain(name);
        // An accepted name synthesizes, as the resource's address and its output.
        const { config } = await orchestrator.synthesize(session.id, 'alice');
        expect(Object.keys((config.resource as Record<string, Record<string, unknown>>).terraform_data!)).toEqual([name]);
        expect(Object.keys(config.output as Record<string, unknown>)).toEqual([name]);
        await orchestrator.removeResource(session.id, 'alice', name as string);
      }),
      { numRuns: 200 },
    );
    seen.expectBoth(5);
  });

  it('a NUL character in a config string or key is refused at input, naming the field, not found at apply', async () => {
    const { orchestrator } = kernel;
    const session = await orchestrator.startSession('alice', 'hostile');
    const inValue = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'nul', config: { image: 'debian\u0000; rm -rf /' } }));
    expect(inValue).toMatchObject({ code: 'INVALID_INPUT', field: 'config.image' });
    expect(inValue.message).toContain('NUL character');
    const inKey = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'nul', config: { tags: { 'team\u0000x': 'web' } } }));
    expect(inKey).toMatchObject({ code: 'INVALID_INPUT', field: 'config.tags.team\u0000x' });
    expect(await resourceCount(session.id)).toBe(0);
  });

  it('resource configs: refusals name a config field and change nothing; whatever is accepted synthesizes with user text kept literal', async () => {
    const { orchestrator } = kernel;
    const sessions = {
      sandbox: (await orchestrator.startSession('alice', 'hostile')).id,
      aws: (await orchestrator.startSession('alice', 'hostile-aws')).id,
    };
    const seen = tally();
    await fc.assert(
      fc.asyncProperty(typedConfig, async ({ type, config }) => {
        const sessionId = type.startsWith('aws.') ? sessions.aws : sessions.sandbox;
        const name = unique('r');
        const before = await resourceCount(sessionId);
        const added = await auditCount({ sessionId, action: 'resource.added' });
        const result = seen.note(await outcome(() => orchestrator.addResource(sessionId, 'alice', { type, name, config: config as Record<string, unknown> })));
        if (!result.ok) {
          expectInvalid(result.error, isField('config'));
          expect(await resourceCount(sessionId)).toBe(before);
          expect(await auditCount({ sessionId, action: 'resource.added' })).toBe(added);
          return;
        }
        const stored = result.value.resources.find((resource) => resource.name === name)!.config as Record<string, unknown>;
        // Nothing the user gave is silently dropped or altered (beyond Unicode NFC, which is how Terraform reads text).
        const given = (config ?? {}) as Record<string, unknown>;
        for (const key of ['tags', 'image', 'bucket'] as const) {
          if (typeof given[key] === 'string') expect(stored[key], key).toBe((given[key] as string).normalize('NFC'));
        }
        if (given.tags !== undefined) {
          const nfc = Object.entries(given.tags as Record<string, string>).map(([key, value]) => [key.normalize('NFC'), value.normalize('NFC')]);
          expect(Object.entries(stored.tags as Record<string, string>), 'tags').toEqual(nfc);
        }
        const { config: json } = await orchestrator.synthesize(sessionId, 'alice');
        const resources = json.resource as Record<string, Record<string, Record<string, unknown>>>;
        if (type === 'aws.s3_bucket') {
          const bucket = resources.aws_s3_bucket![name]!;
          expectLiteral(bucket.bucket, stored.bucket, 'bucket');
          expectLiteral(bucket.tags ?? {}, stored.tags ?? {}, 'tags');
        } else {
          const input = resources.terraform_data![name]!.input as Record<string, unknown>;
          expectLiteral(input.tags, stored.tags ?? {}, 'tags');
          if (type === 'sandbox.vm') {
            expectLiteral(input.image, stored.image, 'image');
            expect(input.size).toBe(stored.size);
          }
        }
        await orchestrator.removeResource(sessionId, 'alice', name);
      }),
      { numRuns: 200 },
    );
    seen.expectBoth(5);
  });

  it('accepted hostile tag keys and values come back verbatim from a real terraform plan (as stored: text in Unicode NFC, as Terraform reads it)', async () => {
    const { orchestrator } = kernel;
    // Canonically equivalent spellings Terraform would rewrite: decomposed accents, a CJK compatibility ideograph, Angstrom sign.
    const unnormalized = fc.constantFrom('e\u0301', 'cafe\u0301 ${x}', String.fromCodePoint(0x2f800), '\u212b', 'A\u030a%{y}');
    const text = fc.oneof(templateText, fc.string({ unit: 'grapheme', maxLength: 20 }), unnormalized);
    const literalTags = fc
      .array(fc.tuple(fc.oneof(templateText, unnormalized, fc.constantFrom('constructor', 'toString', '${k}', '%{k}')), text), { minLength: 1, maxLength: 6 })
      .map((entries) => {
        const tags: Record<string, string> = {};
        for (const [key, value] of entries) {
          // Keys that normalize to the same text are refused (see the unit tests); keep one spelling.
          if (key.length >= 1 && key.length <= 128 && !Object.keys(tags).some((other) => other.normalize('NFC') === key.normalize('NFC'))) tags[key] = value;
        }
        return tags;
      });
    const nfc = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([key, value]) => [key.normalize('NFC'), value.normalize('NFC')]));
    await fc.assert(
      fc.asyncProperty(literalTags, fc.oneof(templateText, unnormalized).filter((image) => image.length <= 120), async (hostileTags, image) => {
        const session = await orchestrator.startSession('alice', 'hostile');
        const view = await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'vm', config: { image: `img${image}`, tags: hostileTags } });
        const stored = view.resources[0]!.config as { image: string; tags: Record<string, string> };
        expect(stored.tags).toEqual(nfc(hostileTags));
        expect(stored.image).toBe(`img${image}`.normalize('NFC'));
        const plan = await orchestrator.runPlan(session.id, 'alice');
        const after = plan.planJson.resource_changes?.[0]?.change.after as { input: { tags: Record<string, string>; image: string } };
        expect(after.input.tags).toEqual(stored.tags);
        expect(after.input.image).toBe(stored.image);
        await orchestrator.cancelSession(session.id, 'alice');
      }),
      { numRuns: 5 },
    );
  });

  it('project ids: valid exactly when 1-32 lowercase letters, digits and dashes, not starting or ending with a dash; refusals persist nothing', async () => {
    const documented = (id: unknown): boolean =>
      typeof id === 'string' &&
      id.length >= 1 &&
      id.length <= 32 &&
      [...id].every((char) => (char >= 'a' && char <= 'z') || (char >= '0' && char <= '9') || char === '-') &&
      !id.startsWith('-') &&
      !id.endsWith('-');
    const ids = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.stringMatching(/^[a-z0-9-]{1,34}$/),
      fc.string({ unit: fc.constantFrom('a', 'z', '0', '9', '-', 'A', '_', '.', ' ', 'é', '/'), maxLength: 34 }),
      fc.constantFrom('', '-', 'a', 'a-', '-a', 'a'.repeat(32), 'a'.repeat(33), 'Dev', 'dev_1', 'dev.1', '${x}', '../etc', 'dev\n', 'hostile'),
      fc.anything({ maxDepth: 1 }),
    );
    const seen = tally();
    await fc.assert(
      fc.asyncProperty(ids, async (id) => {
        const before = (await kernel.projects.list()).map((project) => project.id);
        const created = await auditCount({ action: 'project.created' });
        const result = seen.note(await outcome(() => kernel.projects.create({ id: id as string, provider: 'sandbox', createdBy: ADMIN })));
        const after = (await kernel.projects.list()).map((project) => project.id);
        if (documented(id) && !before.includes(id as string)) {
          if (!result.ok) throw result.error;
          expect(after).toEqual([...before, id].sort());
          return;
        }
        const error = expectInvalid(!result.ok && result.error, (field) => field === 'id');
        if (documented(id)) expect(error.message).toContain('already exists');
        expect(after).toEqual(before);
        expect(await auditCount({ action: 'project.created' })).toBe(created);
      }),
      { numRuns: 150 },
    );
    seen.expectBoth(5);
  });

  it('quota limits: whole numbers from 0 to 1,000,000 (or null to remove) are set; anything else is refused naming "limit" and changes nothing', async () => {
    const limits = fc.oneof(
      fc.integer({ min: 0, max: 1_000_000 }),
      fc.integer({ min: -(2 ** 31), max: -1 }),
      fc.integer({ min: 1_000_001 }),
      fc.double({ noInteger: true }),
      fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 53, Number.MAX_VALUE, 1_000_000.5, null, undefined, '5', '', true, 10n),
      fc.string({ maxLength: 8 }),
      fc.anything({ maxDepth: 1 }),
    );
    const valid = (limit: unknown) => limit === null || (typeof limit === 'number' && Number.isInteger(limit) && limit >= 0 && limit <= 1_000_000);
    const current = async () => (await kernel.quotas.usage('hostile')).find((row) => row.quotaKey === 'compute_vm')?.limit ?? null;
    const seen = tally();
    await fc.assert(
      fc.asyncProperty(limits, async (limit) => {
        const before = await current();
        const sets = await auditCount({ projectId: 'hostile', action: 'quota.set' });
        const result = seen.note(await outcome(() => kernel.quotas.set({ projectId: 'hostile', quotaKey: 'compute_vm', limit: limit as number, setBy: ADMIN })));
        if (valid(limit)) {
          if (!result.ok) throw result.error;
          // `===`: a limit of -0 is stored as 0.
          expect((await current()) === limit).toBe(true);
          return;
        }
        expectInvalid(!result.ok && result.error, (field) => field === 'limit');
        expect(await current()).toBe(before);
        expect(await auditCount({ projectId: 'hostile', action: 'quota.set' })).toBe(sets);
      }),
      { numRuns: 150 },
    );
    seen.expectBoth(5);
    await kernel.quotas.set({ projectId: 'hostile', quotaKey: 'compute_vm', limit: null, setBy: ADMIN });
  });

  it('grant durations (/cloud-grant): "30m", "2h", "7d"… expire that long from now; anything else is refused naming "duration" and grants nothing', async () => {
    const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
    /** The documented form: a whole number (up to six digits, not zero) and a unit s, m, h, d or w; spaces and case aside. */
    const durationMs = (text: string): number | undefined => {
      const match = /^\s*(\d{1,6})\s*([smhdw])\s*$/i.exec(text);
      if (!match) return undefined;
      const ms = Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!;
      return ms > 0 ? ms : undefined;
    };
    const spaces = fc.constantFrom('', ' ', '  ', '\t');
    const wellFormed = fc
      .tuple(spaces, fc.integer({ min: 1, max: 999_999 }), spaces, fc.constantFrom(...'smhdwSMHDW'), spaces)
      .map(([lead, n, gap, unit, trail]) => `${lead}${n}${gap}${unit}${trail}`);
    const durations = fc.oneof(
      wellFormed,
      fc.string({ maxLength: 12 }),
      fc.string({ unit: fc.constantFrom('1', '0', '9', 'm', 'h', 'd', 's', 'w', 'y', ' ', '.', '-', '+', 'e'), maxLength: 8 }),
      fc.constantFrom('0m', '-5m', '1.5h', '30', 'm', '30 minutes', '1000000s', '2h30m', '１０m', '30m;DROP TABLE', '${x}', 'P1D', 'Infinityh', '1e3s', 'NaNm', '0x10m'),
    );
    const snapshot = async () => (await kernel.access.list('hostile')).map(({ expired: _expired, ...grant }) => grant);
    const seen = tally();
    await fc.assert(
      fc.asyncProperty(
        durations.filter((text) => text !== ''),
        async (duration) => {
          const before = await snapshot();
          const granted = await auditCount({ projectId: 'hostile', action: 'access.granted' });
          const startedAt = Date.now();
          const result = seen.note(await outcome(() => run('cloud-grant', ADMIN, { user: 'carol', project: 'hostile', permission: 'read', duration })));
          const finishedAt = Date.now();
          const ms = durationMs(duration);
          if (ms !== undefined) {
            if (!result.ok) throw result.error;
            const grant = (await kernel.access.list('hostile')).find((row) => row.userId === 'carol')!;
            expect(grant.expiresAt!.getTime()).toBeGreaterThanOrEqual(startedAt + ms);
            expect(grant.expiresAt!.getTime()).toBeLessThanOrEqual(finishedAt + ms);
            return;
          }
          expectInvalid(!result.ok && result.error, (field) => field === 'duration');
          expect(await snapshot()).toEqual(before);
          expect(await auditCount({ projectId: 'hostile', action: 'access.granted' })).toBe(granted);
        },
      ),
      { numRuns: 150 },
    );
    seen.expectBoth(5);
  });

  it('project settings (/cloud-create-project): any JSON is either a valid settings object or refused naming a settings field, and nothing is persisted then', async () => {
    const KERNEL_KEYS = ['approval', 'backend', 'policies'];
    const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
    const kernelSettings = {
      approval: mostly(
        fc.record({ requireDistinctApprover: fc.boolean(), approvers: fc.constantFrom('deploy', 'admin') }, { requiredKeys: [] }),
        fc.constant({ approvers: 'root' }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      backend: mostly(
        fc.oneof(
          fc.constant({ type: 'local' }),
          fc.record({ type: fc.constant('s3'), bucket: fc.oneof(fc.constantFrom('state-bucket', 'tf-state'), hostileText), region: fc.constant('us-east-1'), dynamodbTable: fc.oneof(fc.constant('locks'), hostileText) }, { requiredKeys: ['type', 'bucket', 'region'] }),
          fc.record({ type: fc.constant('gcs'), bucket: fc.oneof(fc.constant('tf-state'), hostileText) }),
          fc.record({ type: fc.constant('pg'), connStr: fc.oneof(fc.constant('postgres://ce@db:5432/state'), hostileText.map((text) => `postgres://ce@db/${text}`)) }),
        ),
        fc.jsonValue({ maxDepth: 1 }),
      ),
      policies: mostly(
        fc.constantFrom({}, { 'allowed-values': { regions: ['us-east-1'] } }, { 'destroy-guard': { allowDestroy: true } }),
        fc.dictionary(fc.constantFrom('allowed-values', 'cost-limit', 'destroy-guard', 'required-tags', 'nope', 'constructor'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
      ),
    };
    const sandboxSettings = withExtras(fc.record(kernelSettings, { requiredKeys: [] }));
    const awsSettings = withExtras(
      fc.record(
        {
          region: mostly(fc.constantFrom('us-east-1', 'eu-west-3', 'ap-southeast-2'), hostileText),
          profile: mostly(fc.constantFrom('default', 'dev'), hostileText),
          endpoints: mostly(fc.constant({ s3: 'http://localhost:4566' }), fc.dictionary(hostileText, fc.oneof(fc.webUrl(), hostileText), { maxKeys: 2 })),
          skipCredentialsValidation: mostly(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
          ...kernelSettings,
        },
        { requiredKeys: ['region'] },
      ),
    );
    const anyText = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc.string({ maxLength: 20 }),
      fc.constantFrom(
        'null',
        '[]',
        '"x"',
        '5',
        '{',
        '{}',
        '{"__proto__": {}}',
        '{"region":"us-east-1","__proto__":{"profile":"p"}}',
        '{"policies":{"__proto__":{}}}',
        '{"region":"us-east-1","profile":"\\ud800"}',
      ),
    );
    const cases = fc.oneof(
      { weight: 2, arbitrary: fc.tuple(fc.constant('sandbox'), sandboxSettings.map((settings) => JSON.stringify(settings))) },
      { weight: 2, arbitrary: fc.tuple(fc.constant('aws'), awsSettings.map((settings) => JSON.stringify(settings))) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('aws', 'sandbox'), anyText) },
    );
    const seen = tally();
    await fc.assert(
      fc.asyncProperty(cases, async ([provider, settings]) => {
        const id = unique('zz-settings-');
        const result = seen.note(await outcome(() => run('cloud-create-project', ADMIN, { project_id: id, provider, settings })));
        if (!result.ok) {
          expectInvalid(result.error, isField('settings'));
          await expect(kernel.projects.get(id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
          expect(await auditCount({ projectId: id, action: 'project.created' })).toBe(0);
          return;
        }
        // Accepted: a JSON object (or nothing), with only kernel keys for the sandbox and a region for AWS.
        const parsed: unknown = settings === '' ? {} : JSON.parse(settings);
        expect(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)).toBe(true);
        const keys = Object.keys(parsed as object);
        if (provider === 'sandbox') expect(keys.every((key) => KERNEL_KEYS.includes(key))).toBe(true);
        else expect(REGION.test((parsed as { region?: string }).region ?? '')).toBe(true);
        expect(JSON.stringify(parsed).length).toBeLessThanOrEqual(64 * 1024);
        // …and a project whose settings were accepted synthesizes.
        const project = await kernel.projects.get(id);
        const session = await kernel.orchestrator.startSession(ADMIN, project.id);
        await kernel.orchestrator.addResource(session.id, ADMIN, provider === 'aws' ? { type: 'aws.s3_bucket', name: 'b', config: { bucket: 'hostile-bucket' } } : { type: 'sandbox.bucket', name: 'b' });
        const { config } = await kernel.orchestrator.synthesize(session.id, ADMIN);
        // Settings reach the provider and backend blocks: as Terraform reads them, they must hold no expression.
        for (const [text, where] of strings({ terraform: config.terraform, provider: config.provider })) {
          expect(readTemplate(text).expression, `${where} = ${JSON.stringify(text)} from settings ${settings}`).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
    seen.expectBoth(5);
  });

  it('backend settings, which reach terraform\'s backend block unescaped, refuse template and token syntax naming the field', async () => {
    for (const [backend, field] of [
      [{ type: 's3', bucket: 'state', region: 'us-east-1', dynamodbTable: '${file("/etc/passwd")}' }, 'settings.backend.dynamodbTable'],
      [{ type: 'gcs', bucket: '%{ if true }x%{ endif }' }, 'settings.backend.bucket'],
      [{ type: 'pg', connStr: 'postgres://ce@db/#{TfToken[TOKEN.1]}' }, 'settings.backend.connStr'],
    ] as const) {
      const error = expectInvalid(await refusal(() => run('cloud-create-project', ADMIN, { project_id: 'backend-x', provider: 'sandbox', settings: JSON.stringify({ backend }) })), (f) => f === field);
      expect(error.message).toContain('would be read as Terraform expressions');
    }
    await expect(kernel.projects.get('backend-x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  describe('oversized input', () => {
    it('a ~1 MB config is refused naming the per-resource limit, quickly', async () => {
      const { orchestrator } = kernel;
      const session = await orchestrator.startSession('alice', 'hostile');
      const megabyte = 'x'.repeat(1024 * 1024);
      const many = Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`k${i}`, 'v']));
      for (const [type, config] of [
        ['sandbox.vm', { image: megabyte }],
        ['sandbox.bucket', { tags: { big: megabyte } }],
        ['sandbox.bucket', { tags: many }],
        ['sandbox.vm', { nested: JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)) as unknown }],
      ] as const) {
        const started = Date.now();
        const error = expectInvalid(await refusal(() => orchestrator.addResource(session.id, 'alice', { type, name: 'big', config })), isField('config'));
        expect(error.message).toMatch(/65536 bytes|plain JSON/);
        expect(Date.now() - started).toBeLessThan(2_000);
      }
      expect(await resourceCount(session.id)).toBe(0);
    });

    it('~1 MB of project settings are refused naming the limit', async () => {
      const regions = Array.from({ length: 80_000 }, (_, i) => `region-${i}`);
      const settings = JSON.stringify({ policies: { 'allowed-values': { regions } } });
      expect(settings.length).toBeGreaterThan(1_000_000);
      const error = expectInvalid(await refusal(() => run('cloud-create-project', ADMIN, { project_id: 'huge-settings', provider: 'sandbox', settings })), (field) => field === 'settings');
      expect(error.message).toContain('65536 bytes');
      await expect(kernel.projects.get('huge-settings')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('10,000 resources in one session: refused at the 200th with the limit named, fast, and the 200 still synthesize', async () => {
      const { orchestrator } = kernel;
      const session = await orchestrator.startSession('alice', 'hostile');
      const started = Date.now();
      let refusedAt: number | undefined;
      let refusal: unknown;
      for (let i = 0; i < 10_000; i += 1) {
        const result = await outcome(() => orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: `b${i}` }));
        if (!result.ok) {
          refusedAt = i;
          refusal = result.error;
          break;
        }
      }
      const elapsed = Date.now() - started;
      expect(refusedAt).toBe(200);
      const error = expectInvalid(refusal, () => true);
      expect(error.message).toContain('(200)');
      expect(error.details).toMatchObject({ limit: 200 });
      // Every further attempt is refused the same way; none gets in.
      for (let i = 200; i < 210; i += 1) {
        await expect(orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: `b${i}` })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      }
      expect(await resourceCount(session.id)).toBe(200);
      expect(await auditCount({ sessionId: session.id, action: 'resource.added' })).toBe(200);
      expect(elapsed).toBeLessThan(20_000);
      const synthStarted = Date.now();
      const { config } = await orchestrator.synthesize(session.id, 'alice');
      expect(Object.keys((config.resource as Record<string, Record<string, unknown>>).terraform_data!)).toHaveLength(200);
      expect(Date.now() - synthStarted).toBeLessThan(10_000);
    });
  });
});
