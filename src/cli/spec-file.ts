import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CloudEngineError, describeValue, isCloudEngineError } from '../kernel/errors.js';
import { LIMITS } from '../kernel/sessions/orchestrator.js';
import { requireFaithfulJson } from '../kernel/validation.js';

/** A spec file larger than this is a mistake, not a deployment; no more than one byte past it is ever read. */
export const MAX_SPEC_BYTES = 1024 * 1024;

const missingOr = (expected: string) => (issue: { input?: unknown }) => (issue.input === undefined ? `missing; ${expected}` : expected);
const text = (what: string) => z.string({ error: missingOr(`expected ${what}`) }).min(1, `expected ${what}, not empty text`);

const ResourceSpecSchema = z.strictObject({
  type: text('a resource type such as sandbox.vm'),
  name: text('a resource name such as web'),
  config: z.record(z.string(), z.unknown(), { error: 'expected a mapping of the resource type\'s fields, e.g. { size: small }' }).optional(),
});

/** A deployment's name as a spec gives it; the kernel also takes ids and a leading underscore, a spec names deployments people read. */
export const DEPLOYMENT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
const deploymentNameError = (issue: { input?: unknown }) =>
  `expected a deployment name of 1-63 lowercase letters, digits, dashes and underscores, starting with a letter (e.g. web-prod); received ${describeValue(issue.input)}`;

/**
 * What `cloud-engine plan` and `deploy` read: a project, its provider, and
 * the resources a deployment should hold (`deployment` names it; without
 * it, each run is a new deployment with a generated name).
 */
export const DeploymentSpecSchema = z
  .strictObject({
    project: text('a project id such as sandbox'),
    provider: text('a provider id such as sandbox').optional(),
    deployment: z
      .string({ error: deploymentNameError })
      .regex(DEPLOYMENT_NAME, { error: deploymentNameError })
      .optional(),
    /** A new deployment expires after this ("2h"); the kernel checks it against the project's maximum. */
    ttl: z.string({ error: 'expected a duration such as 2h, 30m or 7d' }).min(1, 'expected a duration such as 2h, 30m or 7d').optional(),
    resources: z
      .array(ResourceSpecSchema, { error: missingOr('expected a list of resources, each { type, name, config? }') })
      .min(1, 'expected at least one resource')
      .max(LIMITS.resourcesPerSession, `expected at most ${LIMITS.resourcesPerSession} resources (the most one session may hold)`),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.resources.forEach((resource, index) => {
      if (seen.has(resource.name)) ctx.addIssue({ code: 'custom', path: ['resources', index, 'name'], message: `duplicate name "${resource.name}"; each resource needs its own name` });
      seen.add(resource.name);
    });
  });
export type DeploymentSpec = z.output<typeof DeploymentSpecSchema>;

/** How a spec file is parsed. */
export type SpecFormat = 'yaml' | 'json';

/** YAML or JSON by extension; anything else (and stdin) is read as YAML, which accepts JSON too. */
export function specFormat(path: string): SpecFormat {
  return extname(path).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/**
 * Parses and validates a spec. Errors are INVALID_INPUT naming the file
 * (`source`) and the field path, e.g. `resources.1.type`.
 */
export function parseSpec(content: string, source: string, format: SpecFormat = specFormat(source)): DeploymentSpec {
  let raw: unknown;
  try {
    raw = format === 'json' ? JSON.parse(content) : parseYaml(content);
  } catch (error) {
    const reason = ((error as Error).message ?? String(error)).split('\n')[0]!.replace(/:$/, '');
    throw new CloudEngineError('INVALID_INPUT', `${source} is not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${reason}. Fix the syntax and try again.`, {
      details: { file: source },
    });
  }
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CloudEngineError(
      'INVALID_INPUT',
      `${source}: expected a mapping with project, provider (optional), deployment (optional) and resources; received ${describeValue(raw ?? null)}.`,
      { details: { file: source }, value: raw },
    );
  }
  refuseWhatTheApiRefuses(raw, source);
  const result = DeploymentSpecSchema.safeParse(raw);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const allowed = path.length === 0 ? 'project, provider, deployment, ttl, resources' : 'type, name, config';
      // Name the unknown key itself, so the field points at the line to fix.
      return { field: [...path, issue.keys[0]!].join('.'), message: `unknown field${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''}; expected only ${allowed}` };
    }
    return { field: path.join('.') || '(root)', message: issue.message };
  });
  const first = problems[0]!;
  const shown = problems.slice(0, 5).map((problem) => `${problem.field}: ${problem.message}`);
  const more = problems.length > 5 ? `; and ${problems.length - 5} more` : '';
  throw new CloudEngineError('INVALID_INPUT', `${source}: invalid ${shown.join('; ')}${more}.`, {
    field: first.field,
    details: { file: source, problems },
  });
}

/**
 * Both parsers keep a `__proto__` key as an own property, which schema
 * parsing and every object copy then drop without a word; the kernel API
 * refuses such keys (and text that is not valid Unicode), so the spec is
 * refused the same way, naming the field path, before anything is copied.
 */
function refuseWhatTheApiRefuses(raw: unknown, source: string): void {
  try {
    requireFaithfulJson(raw, '');
  } catch (error) {
    if (!isCloudEngineError(error)) throw error;
    throw new CloudEngineError(error.code, `${source}: ${error.message}`, { field: error.field, value: error.value, details: { file: source }, cause: error });
  }
}

/** Reads a spec from a file, or from stdin when `path` is `-`, never more than MAX_SPEC_BYTES + 1 bytes of either. */
export async function readSpec(path: string, readStdin: (maxBytes: number) => Promise<string | Uint8Array>): Promise<DeploymentSpec> {
  const source = path === '-' ? 'stdin' : path;
  let content: string | Uint8Array;
  try {
    content = path === '-' ? await readStdin(MAX_SPEC_BYTES + 1) : await readFileAtMost(path, MAX_SPEC_BYTES + 1);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = (error as Error)?.message ?? String(error);
    throw new CloudEngineError(
      'INVALID_INPUT',
      path === '-'
        ? `Cannot read the spec from stdin: ${reason}.`
        : code === 'ENOENT'
          ? `Spec file ${path} does not exist. Pass the path of a YAML or JSON spec, or - for stdin.`
          : `Cannot read spec file ${path}: ${reason}.`,
      { field: 'spec', value: path },
    );
  }
  const bytes = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.byteLength;
  if (bytes > MAX_SPEC_BYTES) {
    throw new CloudEngineError(
      'INVALID_INPUT',
      `Invalid spec: ${source} holds more than ${MAX_SPEC_BYTES} bytes (1 MiB), the most a spec may hold; a spec names one session's resources, so pass the spec file you meant.`,
      { field: 'spec', value: path },
    );
  }
  const text = typeof content === 'string' ? content : Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8');
  return path === '-' ? parseSpec(text, 'stdin', 'yaml') : parseSpec(text, path, specFormat(path));
}

/**
 * The first `maxBytes` bytes of a stream (stdin): stops pulling, which ends
 * the iteration and so destroys a Node stream, as soon as it has that many.
 */
export async function readAtMost(source: AsyncIterable<string | Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    chunks.push(buffer);
    total += buffer.byteLength;
    if (total >= maxBytes) break;
  }
  return Buffer.concat(chunks).subarray(0, maxBytes);
}

/**
 * The first `maxBytes` bytes of a file. Reads sequentially rather than by
 * size, so a pipe (`plan <(make-spec)`) works and a device that never ends
 * (/dev/zero) is cut at the limit instead of read until memory runs out.
 */
async function readFileAtMost(path: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    let total = 0;
    while (total < maxBytes) {
      const { bytesRead } = await handle.read(buffer, total, maxBytes - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return buffer.subarray(0, total);
  } finally {
    await handle.close();
  }
}
