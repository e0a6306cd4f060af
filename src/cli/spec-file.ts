import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CloudEngineError, describeValue } from '../kernel/errors.js';
import { LIMITS } from '../kernel/sessions/orchestrator.js';

/** A spec file larger than this is a mistake, not a deployment. */
export const MAX_SPEC_BYTES = 1024 * 1024;

const missingOr = (expected: string) => (issue: { input?: unknown }) => (issue.input === undefined ? `missing; ${expected}` : expected);
const text = (what: string) => z.string({ error: missingOr(`expected ${what}`) }).min(1, `expected ${what}, not empty text`);

const ResourceSpecSchema = z.strictObject({
  type: text('a resource type such as sandbox.vm'),
  name: text('a resource name such as web'),
  config: z.record(z.string(), z.unknown(), { error: 'expected a mapping of the resource type\'s fields, e.g. { size: small }' }).optional(),
});

/** What `cloud-engine plan` and `deploy` read: one session's project, provider and resources. */
export const DeploymentSpecSchema = z
  .strictObject({
    project: text('a project id such as sandbox'),
    provider: text('a provider id such as sandbox').optional(),
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
      `${source}: expected a mapping with project, provider (optional) and resources; received ${describeValue(raw ?? null)}.`,
      { details: { file: source }, value: raw },
    );
  }
  const result = DeploymentSpecSchema.safeParse(raw);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const allowed = path.length === 0 ? 'project, provider, resources' : 'type, name, config';
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

/** Reads a spec from a file, or from stdin when `path` is `-`. */
export async function readSpec(path: string, readStdin: () => Promise<string>): Promise<DeploymentSpec> {
  if (path === '-') return parseSpec(await readStdin(), 'stdin', 'yaml');
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CloudEngineError(
      'INVALID_INPUT',
      code === 'ENOENT' ? `Spec file ${path} does not exist. Pass the path of a YAML or JSON spec, or - for stdin.` : `Cannot read spec file ${path}: ${(error as Error).message}.`,
      { field: 'spec', value: path },
    );
  }
  if (content.byteLength > MAX_SPEC_BYTES) {
    throw new CloudEngineError('INVALID_INPUT', `Spec file ${path} is ${content.byteLength} bytes, more than ${MAX_SPEC_BYTES}; a spec names one session's resources.`, {
      field: 'spec',
      value: path,
    });
  }
  return parseSpec(content.toString('utf8'), path, specFormat(path));
}
