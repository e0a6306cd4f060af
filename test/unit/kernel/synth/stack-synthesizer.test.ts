import { describe, expect, it } from 'vitest';
import { CloudEngineError } from '../../../../src/kernel/errors.js';
import { sandboxPrivateIp } from '../../../../src/resources/sandbox/vm.resource.js';
import { builtinSynthesizer, synth, type Resources } from './synth.fixture.js';

const HOSTILE_TAGS = {
  token: '${TfToken[TOKEN.1]}',
  hashToken: '#{TfToken[TOKEN.1]}',
  variable: '${var.x}',
  directive: '%{ if true }x%{ endif }',
  already: '$${kept}',
  '${key}': 'in a key',
};
const ESCAPED_TAGS = {
  token: '$${TfToken[TOKEN.1]}',
  hashToken: '#{TfToken[TOKEN.1]}',
  variable: '$${var.x}',
  directive: '%%{ if true }x%%{ endif }',
  already: '$$${kept}',
  '$${key}': 'in a key',
};

function thrown(fn: () => unknown): CloudEngineError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEngineError);
    return error as CloudEngineError;
  }
  throw new Error('expected a CloudEngineError');
}

describe('StackSynthesizer keeps user text literal', () => {
  it('escapes cdktf token markers, interpolations and directives in sandbox tags without cdktf throwing', () => {
    const { json, text } = synth('sandbox', [{ name: 'web', type: 'sandbox.vm', config: { tags: HOSTILE_TAGS } }]);
    expect(json.resource!.terraform_data!.web!.input.tags).toEqual(ESCAPED_TAGS);
    expect(text).not.toContain('ceLiteral');
  });

  it('escapes the same strings in aws tags', () => {
    const { json } = synth('aws', [{ name: 'logs', type: 'aws.s3_bucket', config: { bucket: 'acme-logs', tags: HOSTILE_TAGS } }]);
    expect(json.resource!.aws_s3_bucket!.logs!.tags).toEqual(ESCAPED_TAGS);
  });

  it('leaves no live interpolation of user text: every "${" left is a reference the resource type made', () => {
    const { text } = synth('sandbox', [{ name: 'web', type: 'sandbox.vm', config: { image: '${TfToken[TOKEN.1]}', tags: HOSTILE_TAGS } }]);
    const live = [...text.matchAll(/(?<!\$)\$\{[^}]*\}/g)].map((match) => match[0]);
    expect(live).toEqual(['${terraform_data.web.id}']);
  });

  it('does not let a user string resolve to another value of the stack', () => {
    // TOKEN.1 would be the first token cdktf minted; if it resolved, the tag would hold some other value.
    const { json } = synth('sandbox', [
      { name: 'a', type: 'sandbox.vm', config: {} },
      { name: 'b', type: 'sandbox.bucket', config: { tags: { ref: '${TfToken[TOKEN.1]}', ref2: '${TfToken[TOKEN.0]}' } } },
    ]);
    expect(json.resource!.terraform_data!.b!.input.tags).toEqual({ ref: '$${TfToken[TOKEN.1]}', ref2: '$${TfToken[TOKEN.0]}' });
  });
});

describe('StackSynthesizer hashes', () => {
  const web = { name: 'web', type: 'sandbox.vm', config: { size: 'medium', tags: { team: 'infra' } } };
  const files = { name: 'files', type: 'sandbox.bucket', config: {} };

  it('gives the same resources in a different order the same configuration and hash', () => {
    const first = synth('sandbox', [web, files]);
    const second = synth('sandbox', [files, web]);
    expect(second.hash).toBe(first.hash);
    expect(second.config).toEqual(first.config);
  });

  it('gives the same input the same hash every time, though each synthesis uses a fresh nonce', () => {
    const input: Resources = [{ name: 'web', type: 'sandbox.vm', config: { tags: HOSTILE_TAGS } }];
    expect(synth('sandbox', input).hash).toBe(synth('sandbox', input).hash);
  });

  it.each([
    ['a changed field', [{ ...web, config: { ...web.config, size: 'large' } }, files]],
    ['a changed tag', [{ ...web, config: { ...web.config, tags: { team: 'data' } } }, files]],
    ['a removed resource', [web]],
    ['a renamed resource', [{ ...web, name: 'web2' }, files]],
  ])('gives %s a different hash', (_change, resources) => {
    expect(synth('sandbox', resources as Resources).hash).not.toBe(synth('sandbox', [web, files]).hash);
  });

  it('gives a different backend a different hash', () => {
    const local = synth('aws', [], { region: 'us-east-1' });
    const s3 = synth('aws', [], { region: 'us-east-1', backend: { type: 's3', bucket: 'state', region: 'us-east-1' } });
    expect(s3.hash).not.toBe(local.hash);
  });

  it('returns a hex sha256 and text that parses back to the configuration', () => {
    const result = synth('sandbox', [web]);
    expect(result.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(result.text)).toEqual(result.config);
  });

  it('drops cdktf metadata ("//") blocks, which carry paths and versions', () => {
    expect(synth('sandbox', [web, files]).text).not.toContain('"//"');
  });
});

describe('StackSynthesizer outputs', () => {
  it('publishes one output per resource, named after it, even when one name looks like another\'s output key', () => {
    const { json } = synth('sandbox', [
      { name: 'web', type: 'sandbox.vm', config: {} },
      { name: 'web_ip', type: 'sandbox.vm', config: {} },
      { name: 'web_id', type: 'sandbox.bucket', config: {} },
    ]);
    expect(Object.keys(json.output!).sort()).toEqual(['web', 'web_id', 'web_ip']);
    expect(json.output!.web!.value).toEqual({ id: '${terraform_data.web.id}', ip: sandboxPrivateIp('s-1', 'web') });
    expect(json.output!.web_ip!.value).toEqual({ id: '${terraform_data.web_ip.id}', ip: sandboxPrivateIp('s-1', 'web_ip') });
    expect(json.output!.web_id!.value).toEqual({ id: '${terraform_data.web_id.id}', url: 'sandbox://web_id' });
  });

  it('names each resource by its persisted name, not by order of arrival', () => {
    const { json } = synth('aws', [
      { name: 'b', type: 'aws.s3_bucket', config: { bucket: 'acme-b' } },
      { name: 'a', type: 'aws.s3_bucket', config: { bucket: 'acme-a' } },
    ]);
    expect(json.resource!.aws_s3_bucket).toEqual({ a: { bucket: 'acme-a' }, b: { bucket: 'acme-b' } });
    expect(json.output!.a!.value).toEqual({ id: '${aws_s3_bucket.a.id}', arn: '${aws_s3_bucket.a.arn}' });
  });

  it.each([
    ['sandbox', 'outputs', 'sandbox.vm', {}],
    ['sandbox', 'backend', 'sandbox.vm', {}],
    ['sandbox', 'session', 'sandbox.bucket', {}],
    ['aws', 'aws', 'aws.s3_bucket', { bucket: 'acme-aws' }],
    ['aws', 'backend', 'aws.s3_bucket', { bucket: 'acme-backend' }],
    ['aws', 'outputs', 'aws.s3_bucket', { bucket: 'acme-outputs' }],
  ] as const)('in a %s project, synthesizes a resource named "%s", a name the kernel\'s own constructs once used', (provider, name, type, config) => {
    const { json } = synth(provider, [{ name, type, config }]);
    const [tfType] = Object.keys(json.resource!);
    expect(Object.keys(json.resource![tfType!]!)).toEqual([name]);
    expect(Object.keys(json.output!)).toEqual([name]);
    expect(json.terraform!.backend).toEqual({ local: { path: 'terraform.tfstate' } });
  });

  it('emits no output block for a session without resources', () => {
    expect(synth('sandbox', []).json.output).toBeUndefined();
  });
});

describe('StackSynthesizer providers and environment', () => {
  it('adds the aws provider block with the project region and pins the provider', () => {
    const { json } = synth('aws', [], { region: 'eu-west-1' });
    expect(json.provider!.aws).toEqual([{ region: 'eu-west-1' }]);
    expect(json.terraform!.required_providers).toHaveProperty('aws');
  });

  it('returns the provider\'s environment, e.g. aws endpoints as AWS_ENDPOINT_URL_*', () => {
    const result = synth('aws', [], { region: 'us-east-1', endpoints: { s3: 'http://localhost:4566' } });
    expect(result.environment).toEqual({ AWS_ENDPOINT_URL_S3: 'http://localhost:4566' });
    expect(synth('sandbox', []).environment).toEqual({});
  });
});

describe('StackSynthesizer rejects what is not loaded', () => {
  it('fails with INVALID_STATE naming a provider that is not loaded', () => {
    const error = thrown(() =>
      builtinSynthesizer().synthesize({ sessionId: 's-1', project: { id: 'proj-1', provider: 'azure', settings: {} }, resources: [] }),
    );
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain('"azure"');
    expect(error.message).toContain('proj-1');
  });

  it('fails with INVALID_STATE naming a resource type that is not loaded and the resource that has it', () => {
    const error = thrown(() =>
      builtinSynthesizer().synthesize({
        sessionId: 's-1',
        project: { id: 'proj-1', provider: 'sandbox', settings: {} },
        resources: [{ name: 'db', type: 'sandbox.database', config: {} }],
      }),
    );
    expect(error.code).toBe('INVALID_STATE');
    expect(error.message).toContain('"sandbox.database"');
    expect(error.message).toContain('"db"');
    expect(error.field).toBe('type');
    expect(error.value).toBe('sandbox.database');
  });
});

describe('StackSynthesizer without cdktf token stack traces', () => {
  it('turns Error.captureStackTrace off only while it synthesizes, and back on after a failure too', () => {
    const original = Error.captureStackTrace;
    synth('aws', [{ name: 'one', type: 'aws.s3_bucket', config: { bucket: 'one' } }]);
    expect(Error.captureStackTrace).toBe(original);
    const error = thrown(() =>
      builtinSynthesizer().synthesize({ sessionId: 's-1', project: { id: 'proj-1', provider: 'azure', settings: {} }, resources: [] }),
    );
    expect(Error.captureStackTrace).toBe(original);
    // An error thrown during synthesis keeps the stack it was created with.
    expect(error.stack).toMatch(/\n\s+at /);
    const probe: { stack?: string } = {};
    Error.captureStackTrace(probe);
    expect(probe.stack).toMatch(/\n\s+at /);
  });

  it('synthesizes the same configuration as with stack traces captured', () => {
    const resources: Resources = [
      { name: 'a', type: 'sandbox.vm', config: { size: 'small', image: 'debian-12', tags: HOSTILE_TAGS } },
      { name: 'b', type: 'sandbox.vm', config: { size: 'large', image: 'ubuntu-24.04' } },
    ];
    const synthesizer = builtinSynthesizer();
    const input = { sessionId: 's-1', project: { id: 'proj-1', provider: 'sandbox', settings: {} }, resources };
    const fast = synthesizer.synthesize(input);
    // The slow path: the build with cdktf's token stack traces left on.
    const slow = (synthesizer as unknown as { build(i: typeof input): typeof fast }).build(input);
    expect(fast.config).toEqual(slow.config);
    expect(fast.hash).toBe(slow.hash);
  });
});
