import type { CloudProvider } from '../../../../src/kernel/plugin/cloud-provider.js';
import { Registry } from '../../../../src/kernel/plugin/registry.js';
import type { ResourceType } from '../../../../src/kernel/plugin/resource-type.js';
import { KernelSettingsSchema, splitSettings } from '../../../../src/kernel/projects/project-settings.js';
import { StackSynthesizer, type SynthesisInput, type SynthesisResult } from '../../../../src/kernel/synth/stack-synthesizer.js';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { sandboxProvider } from '../../../../src/providers/sandbox.provider.js';
import { awsS3BucketResource } from '../../../../src/resources/aws/s3-bucket.resource.js';
import { sandboxBucketResource } from '../../../../src/resources/sandbox/bucket.resource.js';
import { sandboxVmResource } from '../../../../src/resources/sandbox/vm.resource.js';

/** A synthesizer over the real built-in sandbox and aws providers and resource types. */
export function builtinSynthesizer(): StackSynthesizer {
  const providers = new Registry<CloudProvider>('provider', (provider) => provider.id, [
    { pluginId: 'sandbox', item: sandboxProvider },
    { pluginId: 'aws', item: awsProvider },
  ]);
  const types = new Registry<ResourceType>('resource type', (type) => type.type, [
    { pluginId: 'sandbox', item: sandboxVmResource },
    { pluginId: 'sandbox', item: sandboxBucketResource },
    { pluginId: 'aws', item: awsS3BucketResource },
  ]);
  return new StackSynthesizer(providers, types);
}

/** Normalizes the kernel's settings keys the way a project's settings are normalized when saved. */
export function normalizeSettings(settings: Record<string, unknown>): Record<string, unknown> {
  const { kernel, provider } = splitSettings(settings);
  const parsed = KernelSettingsSchema.parse(kernel);
  return { ...provider, ...(parsed.backend ? { backend: parsed.backend } : {}) };
}

export type Resources = SynthesisInput['resources'];

export interface SynthJson {
  terraform?: { backend?: Record<string, Record<string, unknown>>; required_providers?: Record<string, unknown> };
  provider?: Record<string, Record<string, unknown>[]>;
  resource?: Record<string, Record<string, Record<string, any>>>;
  output?: Record<string, { value: Record<string, unknown> }>;
}

export function synth(
  provider: 'sandbox' | 'aws',
  resources: Resources,
  settings: Record<string, unknown> = provider === 'aws' ? { region: 'us-east-1' } : {},
  ids: { projectId?: string; sessionId?: string } = {},
): SynthesisResult & { json: SynthJson } {
  const result = builtinSynthesizer().synthesize({
    sessionId: ids.sessionId ?? 's-1',
    project: { id: ids.projectId ?? 'proj-1', provider, settings: normalizeSettings(settings) },
    resources,
  });
  return { ...result, json: result.config as SynthJson };
}
