import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../src/kernel/errors.js';
import { MAX_SPEC_BYTES, parseSpec, readAtMost, readSpec, specFormat } from '../../../src/cli/spec-file.js';

const YAML_SPEC = `
project: sandbox
provider: sandbox
resources:
  - type: sandbox.vm
    name: web
    config:
      size: medium
      bootSeconds: 2
      tags: { team: web }
  - type: sandbox.bucket
    name: assets
`;

/** The INVALID_INPUT a spec raises, so tests can assert on its field and message. */
function specError(content: string, source = 'spec.yaml'): CloudEngineError {
  try {
    parseSpec(content, source);
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEngineError);
    expect((error as CloudEngineError).code).toBe('INVALID_INPUT');
    return error as CloudEngineError;
  }
  throw new Error(`expected ${JSON.stringify(content)} to be refused`);
}

describe('parseSpec', () => {
  it('reads a YAML spec with project, provider and resources, keeping each config as written', () => {
    expect(parseSpec(YAML_SPEC, 'spec.yaml')).toEqual({
      project: 'sandbox',
      provider: 'sandbox',
      resources: [
        { type: 'sandbox.vm', name: 'web', config: { size: 'medium', bootSeconds: 2, tags: { team: 'web' } } },
        { type: 'sandbox.bucket', name: 'assets' },
      ],
    });
  });

  it('reads the same spec as JSON, and a .json file as JSON only', () => {
    const json = JSON.stringify({ project: 'dev', resources: [{ type: 'sandbox.bucket', name: 'b' }] });
    expect(parseSpec(json, 'spec.json')).toEqual({ project: 'dev', resources: [{ type: 'sandbox.bucket', name: 'b' }] });
    const error = specError('project: dev\nresources: []\n', 'spec.json');
    expect(error.message).toMatch(/^spec\.json is not valid JSON/);
  });

  it('chooses the format by extension; anything else, and stdin, is YAML (which accepts JSON too)', () => {
    expect(specFormat('a/b.JSON')).toBe('json');
    expect(specFormat('deploy.yml')).toBe('yaml');
    expect(specFormat('deploy.yaml')).toBe('yaml');
    expect(specFormat('deploy.spec')).toBe('yaml');
    expect(parseSpec('{"project": "dev", "resources": [{"type": "sandbox.vm", "name": "x"}]}', 'stdin', 'yaml').project).toBe('dev');
  });

  it.each([
    ['a missing project', 'resources: [{ type: sandbox.vm, name: web }]', 'project', /project: missing; expected a project id/],
    ['a project that is not text', 'project: 42\nresources: [{ type: sandbox.vm, name: web }]', 'project', /project: expected a project id/],
    ['an empty provider', 'project: dev\nprovider: ""\nresources: [{ type: sandbox.vm, name: web }]', 'provider', /provider: expected a provider id such as sandbox, not empty text/],
    ['missing resources', 'project: dev', 'resources', /resources: missing; expected a list of resources/],
    ['resources that are a mapping', 'project: dev\nresources: { web: sandbox.vm }', 'resources', /resources: expected a list of resources/],
    ['no resources at all', 'project: dev\nresources: []', 'resources', /resources: expected at least one resource/],
    ['a resource without a type', 'project: dev\nresources: [{ name: web }]', 'resources.0.type', /resources\.0\.type: missing; expected a resource type/],
    ['a second resource whose name is a number', 'project: dev\nresources: [{ type: sandbox.vm, name: web }, { type: sandbox.vm, name: 7 }]', 'resources.1.name', /resources\.1\.name: expected a resource name/],
    ['a config that is a list', 'project: dev\nresources: [{ type: sandbox.vm, name: web, config: [1] }]', 'resources.0.config', /resources\.0\.config: expected a mapping/],
    ['an unknown top-level field (a typo)', 'projct: dev\nproject: dev\nresources: [{ type: sandbox.vm, name: web }]', 'projct', /projct: unknown field; expected only project, provider, deployment, ttl, resources/],
    ['an unknown resource field', 'project: dev\nresources: [{ type: sandbox.vm, name: web, size: small }]', 'resources.0.size', /resources\.0\.size: unknown field; expected only type, name, config/],
    ['two resources with one name', 'project: dev\nresources: [{ type: sandbox.vm, name: web }, { type: sandbox.bucket, name: web }]', 'resources.1.name', /resources\.1\.name: duplicate name "web"/],
  ])('refuses %s, naming the field %s and the file', (_situation, content, field, message) => {
    const error = specError(content, 'deploy/web.yaml');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(/^deploy\/web\.yaml: invalid /);
    expect(error.message).toMatch(message);
    expect(error.details.file).toBe('deploy/web.yaml');
  });

  it('reads the deployment a spec names', () => {
    expect(parseSpec('project: dev\ndeployment: web-prod_2\nresources: [{ type: sandbox.vm, name: web }]', 'spec.yaml')).toEqual({
      project: 'dev',
      deployment: 'web-prod_2',
      resources: [{ type: 'sandbox.vm', name: 'web' }],
    });
  });

  it.each([
    ['uppercase letters', 'Web', '"Web"'],
    ['a leading underscore (ids the kernel also takes are not names)', '_web', '"_web"'],
    ['a leading digit', '1web', '"1web"'],
    ['a dot', 'web.prod', '"web.prod"'],
    ['64 characters', `w${'x'.repeat(63)}`, '"wxxx'],
    ['empty text', '""', '""'],
    ['a number', '42', '42'],
  ])('refuses a deployment name with %s, naming the field deployment and what it received', (_situation, value, received) => {
    const error = specError(`project: dev\ndeployment: ${value}\nresources: [{ type: sandbox.vm, name: web }]`);
    expect(error.field).toBe('deployment');
    expect(error.message).toContain('spec.yaml: invalid deployment: expected a deployment name of 1-63 lowercase letters, digits, dashes and underscores, starting with a letter');
    expect(error.message).toContain(`received ${received}`);
  });

  it('lists every problem of a spec, not only the first', () => {
    const error = specError('resources: [{ type: sandbox.vm }]');
    expect(error.field).toBe('project');
    expect(error.message).toContain('resources.0.name: missing');
    expect((error.details.problems as unknown[]).length).toBe(2);
  });

  it('refuses YAML that does not parse with the line and column, and no code excerpt', () => {
    const error = specError('project: [dev\nresources: x\n');
    expect(error.message).toMatch(/^spec\.yaml is not valid YAML: .*line 2, column 1/);
    expect(error.message).not.toContain('\n');
  });

  it('refuses a duplicate YAML key rather than silently keeping the last', () => {
    expect(specError('project: dev\nproject: prod\nresources: [{ type: sandbox.vm, name: web }]').message).toContain('Map keys must be unique');
  });

  it.each([
    ['at the top of a YAML config', 'yaml', 'project: dev\nresources: [{ type: sandbox.vm, name: web, config: { __proto__: { size: huge }, image: debian-12 } }]', 'resources.0.config.__proto__'],
    ['deep in a YAML config', 'yaml', 'project: dev\nresources:\n  - type: sandbox.vm\n    name: web\n    config:\n      tags:\n        __proto__: { team: web }\n', 'resources.0.config.tags.__proto__'],
    ['on a YAML resource', 'yaml', 'project: dev\nresources: [{ type: sandbox.vm, name: web, __proto__: { config: {} } }]', 'resources.0.__proto__'],
    ['at the top of a YAML spec', 'yaml', '__proto__: { project: dev }\nproject: dev\nresources: [{ type: sandbox.vm, name: web }]', '__proto__'],
    ['in a JSON config', 'json', '{"project":"dev","resources":[{"type":"sandbox.vm","name":"web","config":{"__proto__":{"size":"huge"}}}]}', 'resources.0.config.__proto__'],
    ['behind a YAML alias', 'yaml', 'project: dev\nresources: [{ type: sandbox.vm, name: web, config: { tags: &evil { __proto__: { a: 1 } } } }, { type: sandbox.vm, name: db, config: { tags: *evil } }]', /^resources\.[01]\.config\.tags\.__proto__$/],
  ])('refuses a __proto__ key %s the way the API does, naming its path, rather than dropping it', (_situation, format, content, path) => {
    let error: CloudEngineError | undefined;
    try {
      parseSpec(content, `deploy/web.${format}`, format as 'yaml' | 'json');
    } catch (caught) {
      error = caught as CloudEngineError;
    }
    expect(error, 'the spec must be refused').toBeInstanceOf(CloudEngineError);
    expect(error!.code).toBe('INVALID_INPUT');
    if (path instanceof RegExp) expect(error!.field).toMatch(path);
    else expect(error!.field).toBe(path);
    const field = error!.field!;
    expect(error!.message).toContain(`deploy/web.${format}: Invalid ${field}: "__proto__" cannot be used as a key; rename it`);
    expect(error!.details.file).toBe(`deploy/web.${format}`);
  });

  it('keeps a YAML key named constructor or prototype in a config as a plain key (the API allows them)', () => {
    const spec = parseSpec('project: dev\nresources: [{ type: sandbox.vm, name: web, config: { tags: { constructor: a, prototype: b } } }]', 'spec.yaml');
    expect(spec.resources[0]!.config).toEqual({ tags: { constructor: 'a', prototype: 'b' } });
  });

  it.each([
    ['an empty file', ''],
    ['a bare scalar', 'sandbox'],
    ['a list', '- project: dev'],
  ])('refuses %s, saying a mapping is expected', (_situation, content) => {
    expect(specError(content).message).toMatch(/^spec\.yaml: expected a mapping with project, provider \(optional\), deployment \(optional\) and resources/);
  });
});

describe('readSpec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloud-engine-spec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const noStdin = () => Promise.reject(new Error('stdin must not be read'));

  it('reads a file by its path and names that path in errors', async () => {
    const path = join(dir, 'ok.yml');
    writeFileSync(path, YAML_SPEC);
    expect((await readSpec(path, noStdin)).resources).toHaveLength(2);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ project: 'dev', resources: [{ type: 'sandbox.vm' }] }));
    await expect(readSpec(bad, noStdin)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'resources.0.name', message: expect.stringContaining(`${bad}: invalid`) });
  });

  it('reads - from stdin, as YAML or JSON', async () => {
    expect((await readSpec('-', async () => YAML_SPEC)).project).toBe('sandbox');
    expect((await readSpec('-', async () => '{"project":"x","resources":[{"type":"t","name":"n"}]}')).project).toBe('x');
    await expect(readSpec('-', async () => 'project: x')).rejects.toMatchObject({ field: 'resources', message: expect.stringMatching(/^stdin: invalid/) });
  });

  it('says a missing file does not exist, as a user error', async () => {
    await expect(readSpec(join(dir, 'nope.yaml'), noStdin)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'spec', message: expect.stringContaining('does not exist') });
  });

  it('refuses stdin larger than a spec may be, naming the field spec and the limit', async () => {
    const huge = `# ${'x'.repeat(MAX_SPEC_BYTES)}\nproject: dev\nresources: [{ type: sandbox.vm, name: web }]\n`;
    const asked: number[] = [];
    const error = await readSpec('-', async (maxBytes) => {
      asked.push(maxBytes);
      return huge;
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'spec', message: expect.stringContaining(`more than ${MAX_SPEC_BYTES} bytes (1 MiB)`) });
    expect((error as Error).message).toContain('stdin');
    // stdin is never asked for more than one byte past the limit.
    expect(asked).toEqual([MAX_SPEC_BYTES + 1]);
  });

  it('accepts stdin of exactly the limit', async () => {
    const spec = 'project: dev\nresources: [{ type: sandbox.vm, name: web }]\n';
    const padded = `${spec}#${'x'.repeat(MAX_SPEC_BYTES - spec.length - 2)}\n`;
    expect(Buffer.byteLength(padded)).toBe(MAX_SPEC_BYTES);
    expect((await readSpec('-', async () => padded)).project).toBe('dev');
  });

  it('cuts an endless file such as /dev/zero at the limit instead of reading until killed', { timeout: 5_000 }, async () => {
    const started = Date.now();
    await expect(readSpec('/dev/zero', noStdin)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'spec', message: expect.stringContaining(`/dev/zero holds more than ${MAX_SPEC_BYTES} bytes`) });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('says a directory cannot be read as a spec, as a user error', async () => {
    await expect(readSpec(dir, noStdin)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'spec', message: expect.stringContaining(`Cannot read spec file ${dir}`) });
  });
  it('refuses a file larger than a spec can sensibly be', async () => {
    const path = join(dir, 'huge.yaml');
    writeFileSync(path, `# ${'x'.repeat(MAX_SPEC_BYTES)}\n`);
    await expect(readSpec(path, noStdin)).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'spec' });
  });
});

describe('readAtMost', () => {
  it('stops pulling from an endless stream one chunk past the limit and returns at most that many bytes', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield new Uint8Array(1000);
      }
    }
    const content = await readAtMost(endless(), 2_500);
    expect(content.byteLength).toBe(2_500);
    expect(pulled).toBe(3);
  });

  it('returns everything a short stream holds, strings as UTF-8', async () => {
    async function* short(): AsyncGenerator<string | Uint8Array> {
      yield 'héllo ';
      yield Buffer.from('world');
    }
    expect(Buffer.from(await readAtMost(short(), 100)).toString('utf8')).toBe('héllo world');
  });
});
