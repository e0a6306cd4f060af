import { CloudEngineError } from '../kernel/errors.js';
import type { CloudProvider } from '../kernel/plugin/cloud-provider.js';
import { Registry } from '../kernel/plugin/registry.js';
import type { ResourceType } from '../kernel/plugin/resource-type.js';
import { KernelSettingsSchema, splitSettings } from '../kernel/projects/project-settings.js';
import { StackSynthesizer } from '../kernel/synth/stack-synthesizer.js';
import { parseInput, RESOURCE_NAME, requirePattern } from '../kernel/validation.js';
import { awsProvider } from '../providers/aws.provider.js';
import { googleProvider } from '../providers/google.provider.js';
import { sandboxProvider } from '../providers/sandbox.provider.js';

/** The Terraform JSON a session synthesizes to (its `main.tf.json`), parsed. */
export interface TerraformJson {
  readonly terraform?: { readonly required_providers?: Record<string, unknown>; readonly backend?: Record<string, Record<string, unknown>> };
  readonly provider?: Record<string, readonly Record<string, unknown>[]>;
  /** By Terraform type, then by resource name: `resource.aws_sqs_queue.orders`. */
  readonly resource?: Record<string, Record<string, Record<string, any>>>;
  readonly data?: Record<string, Record<string, Record<string, any>>>;
  /** One output per session resource that returned values, named after it: `output.orders.value.url`. */
  readonly output?: Record<string, { readonly value: any }>;
  readonly [block: string]: unknown;
}

/** The project a test session belongs to. */
export interface TestProject {
  /** Default `test`. */
  readonly id?: string;
  /** Its settings (`region`, `backend`, …), validated as project creation validates them; default `{}`. */
  readonly settings?: Record<string, unknown>;
}

/** One resource of a test session: its type, name and (raw) config. */
export interface TestResource {
  readonly type: ResourceType;
  readonly name: string;
  /** Validated by the type's schema first, as `addResource` does; default `{}`. */
  readonly config?: unknown;
}

export interface SynthSessionInput {
  readonly resources: readonly TestResource[];
  readonly project?: TestProject;
  /** Providers besides the built-in sandbox, aws and google (a plugin's own cloud). */
  readonly providers?: readonly CloudProvider[];
  /** Default `test-session`. */
  readonly sessionId?: string;
}

const BUILTIN_PROVIDERS: readonly CloudProvider[] = [sandboxProvider, awsProvider, googleProvider];

/**
 * The Terraform JSON a session of `resources` synthesizes to, through the
 * kernel's own synthesizer, without a database or terraform (cdktf's
 * `Testing.synth`, for Cloud Engine). Names, configs and settings are
 * validated first, so a bad one fails as the kernel fails it: INVALID_INPUT
 * naming the field (`config.queueName`).
 */
export function synthSession(input: SynthSessionInput): TerraformJson {
  const providers = new Registry<CloudProvider>('provider', (provider) => provider.id);
  for (const provider of [...(input.providers ?? []), ...BUILTIN_PROVIDERS]) if (!providers.has(provider.id)) providers.add({ pluginId: 'test', item: provider });
  const kinds = [...new Set(input.resources.map((resource) => resource.type.provider))];
  if (kinds.length !== 1) {
    throw new CloudEngineError(
      'INVALID_INPUT',
      kinds.length === 0
        ? 'synthSession needs at least one resource: its type says which provider the session deploys to.'
        : `A session deploys to one provider; these resources belong to ${kinds.join(', ')}. Synthesize them in separate sessions.`,
      { field: 'resources' },
    );
  }
  const provider = providers.get(kinds[0]!);
  if (!provider) {
    throw new CloudEngineError('INVALID_INPUT', `Provider "${kinds[0]}" is not built in; pass it in providers (synthSession({ providers: [myProvider], … })).`, {
      field: 'providers',
      value: kinds[0],
    });
  }
  const types = new Registry<ResourceType>('resource type', (type) => type.type);
  const names = new Set<string>();
  const resources = input.resources.map(({ type, name, config }) => {
    if (!types.has(type.type)) types.add({ pluginId: 'test', item: type });
    requirePattern(name, RESOURCE_NAME, 'name', '1-63 lowercase letters, digits, dashes and underscores, starting with a letter or underscore (e.g. "web-1")');
    if (names.has(name)) throw new CloudEngineError('INVALID_INPUT', `Invalid name: "${name}" is used twice; each resource of a session needs its own name.`, { field: 'name', value: name });
    names.add(name);
    return { name, type: type.type, config: parseInput(type.schema, config ?? {}, 'config', `See the fields of ${type.type}.`) as Record<string, unknown> };
  });
  const result = new StackSynthesizer(providers, types).synthesize({
    sessionId: input.sessionId ?? 'test-session',
    project: { id: input.project?.id ?? 'test', provider: provider.id, settings: projectSettings(provider, input.project?.settings ?? {}) },
    resources,
  });
  return result.config as TerraformJson;
}

/** The Terraform JSON one resource of `type` synthesizes to, in a session of its own (see `synthSession`). */
export function synthResource(
  type: ResourceType,
  resource: { readonly name: string; readonly config?: unknown; readonly project?: TestProject; readonly providers?: readonly CloudProvider[] },
): TerraformJson {
  return synthSession({ resources: [{ type, name: resource.name, config: resource.config }], project: resource.project, providers: resource.providers });
}

/** Settings as project creation normalizes them: the kernel's keys and the provider's, each by its schema. */
function projectSettings(provider: CloudProvider, settings: Record<string, unknown>): Record<string, unknown> {
  const { kernel, provider: own } = splitSettings(settings);
  const kernelSettings = parseInput(KernelSettingsSchema, kernel, 'settings');
  const providerSettings = parseInput(provider.settingsSchema, own, 'settings', `(settings for the ${provider.id} provider)`) as Record<string, unknown>;
  return { ...providerSettings, ...Object.fromEntries(Object.entries(kernelSettings).filter(([, value]) => value !== undefined)) };
}
