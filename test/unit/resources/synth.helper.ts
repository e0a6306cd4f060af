import type { z } from 'zod';
import type { CloudProvider } from '../../../src/kernel/plugin/cloud-provider.js';
import { Registry } from '../../../src/kernel/plugin/registry.js';
import type { ResourceType } from '../../../src/kernel/plugin/resource-type.js';
import { StackSynthesizer } from '../../../src/kernel/synth/stack-synthesizer.js';

/** The parts of a synthesized Terraform JSON document the tests read. */
export interface TerraformJson {
  terraform?: { required_providers?: Record<string, { source: string; version: string }>; backend?: Record<string, unknown> };
  provider?: Record<string, Array<Record<string, unknown>>>;
  resource?: Record<string, Record<string, Record<string, any>>>;
  output?: Record<string, { value: any; description?: string }>;
}

export interface SynthResource {
  type: ResourceType;
  name: string;
  /** Raw input; validated with the type's schema first, as the kernel does. */
  config: unknown;
}

export interface SynthOptions {
  provider: CloudProvider;
  settings: unknown;
  resources?: SynthResource[];
  projectId?: string;
  sessionId?: string;
}

/** Synthesizes one session stack with the kernel's own synthesizer and parses the JSON. */
export function synthSession(options: SynthOptions): TerraformJson {
  const providers = new Registry<CloudProvider>('provider', (provider) => provider.id, [{ pluginId: 'test', item: options.provider }]);
  const types = new Registry<ResourceType>('resource type', (type) => type.type);
  for (const resource of options.resources ?? []) if (!types.has(resource.type.type)) types.add({ pluginId: 'test', item: resource.type });
  const synthesizer = new StackSynthesizer(providers, types);
  const result = synthesizer.synthesize({
    sessionId: options.sessionId ?? 'session-1',
    project: { id: options.projectId ?? 'proj-1', provider: options.provider.id, settings: (options.settings ?? {}) as Record<string, unknown> },
    resources: (options.resources ?? []).map((resource) => ({
      name: resource.name,
      type: resource.type.type,
      config: resource.type.schema.parse(resource.config) as Record<string, unknown>,
    })),
  });
  return result.config as TerraformJson;
}

/** A schema's rejections as `path: message` pairs, or `[]` when the input is valid. */
export function issuesOf(schema: z.ZodType, input: unknown): Array<{ path: string; message: string }> {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
