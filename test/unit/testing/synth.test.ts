import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CloudEngineError } from '../../../src/kernel/errors.js';
import type { CloudProvider } from '../../../src/kernel/plugin/cloud-provider.js';
import { defineResourceType } from '../../../src/kernel/plugin/resource-type.js';
import { awsS3BucketResource } from '../../../src/resources/aws/s3-bucket.resource.js';
import { sandboxBucketResource } from '../../../src/resources/sandbox/bucket.resource.js';
import { sandboxVmResource } from '../../../src/resources/sandbox/vm.resource.js';
import { synthResource, synthSession } from '../../../src/testing/synth.js';
import { synth } from '../kernel/synth/synth.fixture.js';

function thrown(work: () => unknown): CloudEngineError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(CloudEngineError);
    return error as CloudEngineError;
  }
  throw new Error('expected a CloudEngineError');
}

describe('synthResource', () => {
  it('returns the Terraform JSON the kernel synthesizes: the same document as the kernel synthesizer for the same session', () => {
    const json = synthResource(sandboxVmResource, { name: 'web', config: { size: 'small' }, project: { id: 'proj-1' } });
    const kernel = synth('sandbox', [{ name: 'web', type: 'sandbox.vm', config: sandboxVmResource.schema.parse({ size: 'small' }) }], {}, { sessionId: 'test-session' });
    expect(json).toEqual(kernel.json);
    expect(json.resource?.terraform_data?.web).toBeDefined();
  });

  it('escapes user text for Terraform as the kernel does, and publishes one output named after the resource', () => {
    const json = synthResource(awsS3BucketResource, { name: 'assets', config: { bucket: 'acme-assets', tags: { note: '${var.x} and %{ if }' } }, project: { settings: { region: 'eu-west-1' } } });
    expect(json.resource?.aws_s3_bucket?.assets?.tags).toEqual({ note: '$${var.x} and %%{ if }' });
    expect(Object.keys(json.output ?? {})).toEqual(['assets']);
    expect(json.provider?.aws).toEqual([expect.objectContaining({ region: 'eu-west-1' })]);
  });

  it('refuses a config its schema refuses as INVALID_INPUT naming config.<field>, as addResource does', () => {
    const error = thrown(() => synthResource(sandboxVmResource, { name: 'web', config: { size: 'enormous' } }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.field).toBe('config.size');
  });

  it('refuses a resource name the kernel would refuse, naming the field', () => {
    expect(thrown(() => synthResource(sandboxBucketResource, { name: 'Web Site' }))).toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
  });

  it("validates project settings with the provider's schema, naming settings.<field>", () => {
    const error = thrown(() => synthResource(awsS3BucketResource, { name: 'assets', config: { bucket: 'acme-assets' } }));
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'settings.region' });
    expect(error.message).toContain('region is required');
  });
});

describe('synthSession', () => {
  it('synthesizes several resources of one provider into one document, each under its own name', () => {
    const json = synthSession({ resources: [{ type: sandboxVmResource, name: 'web' }, { type: sandboxBucketResource, name: 'assets' }] });
    expect(Object.keys(json.resource?.terraform_data ?? {}).sort()).toEqual(['assets', 'web']);
  });

  it('refuses two resources with one name, and resources of two providers', () => {
    expect(thrown(() => synthSession({ resources: [{ type: sandboxVmResource, name: 'web' }, { type: sandboxBucketResource, name: 'web' }] })).message).toContain('"web" is used twice');
    expect(
      thrown(() => synthSession({ resources: [{ type: sandboxVmResource, name: 'web' }, { type: awsS3BucketResource, name: 'assets', config: { bucket: 'acme-assets' } }], project: { settings: { region: 'us-east-1' } } })).message,
    ).toContain('these resources belong to sandbox, aws');
  });

  it("synthesizes a plugin's own provider when given it, and says to pass it when not", () => {
    const acme: CloudProvider = { id: 'acme', displayName: 'Acme', settingsSchema: z.strictObject({}), configure: () => {} };
    const widget = defineResourceType({
      type: 'acme.widget',
      provider: 'acme',
      description: 'A widget.',
      quotaKey: 'widget',
      schema: z.strictObject({ size: z.number().default(1) }),
      synthesize: (_scope, { config }) => ({ size: config.size }),
    });
    expect(synthResource(widget, { name: 'w', providers: [acme] }).output).toEqual({ w: { value: { size: 1 } } });
    expect(thrown(() => synthResource(widget, { name: 'w' })).message).toContain('Provider "acme" is not built in; pass it in providers');
  });
});
