import { tmpdir } from 'node:os';
import { App, TerraformOutput, TerraformResource, TerraformStack } from 'cdktf';
import { invokeAspects } from 'cdktf/lib/synthesize/synthesizer.js';
import { Construct } from 'constructs';
import { CloudEngineError, invalidInput } from '../errors.js';
import type { CloudProvider } from '../plugin/cloud-provider.js';
import type { Registry } from '../plugin/registry.js';
import type { ResourceOutputs, ResourceType } from '../plugin/resource-type.js';
import { inReferenceOrder } from './reference-graph.js';
import { token } from '../plugin/token.js';
import { KernelSettingsSchema, splitSettings } from '../projects/project-settings.js';
import { canonicalJson, sha256 } from './canonical-json.js';
import { LiteralGuard } from './literal-guard.js';
import { addStateBackend, stateBackendEnvironment, type BackendSettings } from './state-backend.js';

export interface SynthesisInput {
  readonly sessionId: string;
  readonly project: { readonly id: string; readonly provider: string; readonly settings: Readonly<Record<string, unknown>> };
  readonly resources: readonly { readonly name: string; readonly type: string; readonly config: Readonly<Record<string, unknown>> }[];
}

export interface SynthesisResult {
  /** The Terraform JSON configuration (`main.tf.json`). */
  readonly config: Record<string, unknown>;
  readonly text: string;
  /** sha256 of the canonical configuration: equal configs, equal hashes. */
  readonly hash: string;
  /** Environment the provider wants terraform to run with (endpoints, …). */
  readonly environment: Record<string, string>;
  /** The Terraform addresses of the managed resources each session resource made, by resource name. */
  readonly addresses: Readonly<Record<string, readonly string[]>>;
}

/** Turns a session's resources into a cdktf stack, in code, and synthesizes its JSON. */
/** Where state lives when a project names no backend, and whether every project's state must be shared (workers). */
export interface StateDefaults {
  /** The backend of projects without `settings.backend`, with the environment terraform needs for it (a password). */
  readonly backend?: { readonly settings: BackendSettings; readonly environment: Readonly<Record<string, string>> };
  /** Workers with data dirs of their own cannot share a local state: a project that sets one is refused. */
  readonly shared?: boolean;
}

export class StackSynthesizer {
  constructor(
    private readonly providers: Registry<CloudProvider>,
    private readonly resourceTypes: Registry<ResourceType>,
    private readonly state: StateDefaults = {},
  ) {}

  /** Whether state must be shared between processes (the job queue's workers): a project without a backend keeps it in PostgreSQL. */
  get sharedState(): boolean {
    return this.state.shared === true;
  }

  synthesize(input: SynthesisInput): SynthesisResult {
    return withoutCapturedStacks(() => this.build(input));
  }

  private build(input: SynthesisInput): SynthesisResult {
    const provider = this.providers.get(input.project.provider);
    if (!provider) {
      throw new CloudEngineError(
        'INVALID_STATE',
        `Project ${input.project.id} uses provider "${input.project.provider}", which is not loaded. Load its plugin (CLOUD_ENGINE_PLUGINS) and try again.`,
      );
    }
    const { kernel: kernelOwn, provider: ownSettings } = splitSettings(input.project.settings as Record<string, unknown>);
    const kernel = KernelSettingsSchema.parse(kernelOwn);
    const providerSettings = provider.settingsSchema.parse(ownSettings);
    const guard = new LiteralGuard();

    // stackTraces off: cdktf would otherwise capture a stack trace per construct.
    const app = new App({ outdir: tmpdir(), stackTraces: false, skipValidation: true });
    const stack = new TerraformStack(app, 'session');
    // Resources sit at the stack root, because their construct ids are their logical ids. The kernel's own
    // constructs (provider, backend, outputs) go in capitalized scopes, which no resource name can match
    // (RESOURCE_NAME is lowercase), so a resource may be called "aws", "backend" or "outputs".
    provider.configure(new Construct(stack, 'Provider'), { projectId: input.project.id, sessionId: input.sessionId, settings: providerSettings });
    if (this.state.shared && kernel.backend?.type === 'local') {
      throw new CloudEngineError(
        'CONFIG_INVALID',
        `Project ${input.project.id} keeps its Terraform state in a local backend (settings.backend.type "local"), which workers with data dirs of their own cannot share. Remove settings.backend to keep it in the kernel's PostgreSQL database, or use a pg or s3 backend.`,
        { field: 'settings.backend' },
      );
    }
    const backend = kernel.backend ?? this.state.backend?.settings;
    addStateBackend(new Construct(stack, 'Backend'), backend, {
      projectId: input.project.id,
      sessionId: input.sessionId,
      skipCredentialsValidation: (providerSettings as { skipCredentialsValidation?: boolean }).skipCredentialsValidation,
    });

    const outputs = new Construct(stack, 'Outputs');
    const addresses: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
    const made = new Map<string, ResourceOutputs>();
    // Referred-to resources first; otherwise as given (construct ids are names, so order never changes a plan).
    for (const resource of inReferenceOrder(input.resources, this.resourceTypes)) {
      const type = this.resourceTypes.get(resource.type);
      if (!type) {
        throw new CloudEngineError(
          'INVALID_STATE',
          `Resource "${resource.name}" has type "${resource.type}", which is not loaded. Load its plugin or remove the resource.`,
          { field: 'type', value: resource.type },
        );
      }
      const config = guard.protectDeep(type.schema.parse(resource.config) as Record<string, unknown>);
      let values: ReturnType<ResourceType['synthesize']>;
      const before = new Set(stack.node.children);
      try {
        values = type.synthesize(stack, {
          name: resource.name,
          config,
          project: { id: input.project.id, settings: input.project.settings },
          sessionId: input.sessionId,
          reference: (name) => referenceTo(made, resource.name, name),
        });
      } catch (error) {
        if (error instanceof CloudEngineError) throw error;
        const pluginId = this.resourceTypes.pluginOf(resource.type) ?? 'unknown';
        throw new CloudEngineError(
          'PLUGIN_FAILED',
          `Resource type ${resource.type} (plugin "${pluginId}") failed to synthesize "${resource.name}": ${(error as Error)?.message ?? String(error)}. Fix or unload the plugin, or remove the resource.`,
          { cause: error, details: { pluginId, type: resource.type, name: resource.name } },
        );
      }
      addresses[resource.name] = stack.node.children
        .filter((child) => !before.has(child))
        .flatMap((child) => child.node.findAll())
        .filter((construct): construct is TerraformResource => construct instanceof TerraformResource)
        .map((made) => `${made.terraformResourceType}.${made.friendlyUniqueId}`);
      made.set(resource.name, values ?? {});
      if (values && Object.keys(values).length > 0) {
        const output = new TerraformOutput(outputs, resource.name, { value: values });
        output.overrideLogicalId(resource.name);
      }
    }

    invokeAspects(stack);
    const config = guard.reveal(stripMetadata(stack.toTerraform())) as Record<string, unknown>;
    const canonical = canonicalJson(config);
    return {
      config,
      text: `${JSON.stringify(config, null, 2)}\n`,
      hash: sha256(canonical),
      // pg state: each session's own named workspace, so sessions never share terraform's creation lock.
      environment: {
        ...stateBackendEnvironment(backend),
        ...(kernel.backend ? {} : (this.state.backend?.environment ?? {})),
        ...(provider.environment?.(providerSettings) ?? {}),
      },
      addresses,
    };
  }
}

/** The outputs of the resource `name`, for one that refers to it; the kernel has checked it exists and comes first. */
function referenceTo(made: ReadonlyMap<string, ResourceOutputs>, from: string, name: string): ResourceOutputs {
  const outputs = made.get(name);
  if (outputs === undefined) {
    throw invalidInput('reference', `${from} refers to ${JSON.stringify(name)}, which is not a reference field's resource of this deployment`, { field: 'config', value: name });
  }
  return outputs;
}

export const StackSynthesizerToken = token<StackSynthesizer>('kernel.stack-synthesizer');

/**
 * Runs synchronous work with `Error.captureStackTrace` as a no-op. cdktf captures a full stack
 * trace (with `Error.stackTraceLimit` raised to MAX_SAFE_INTEGER) for every token it creates,
 * whatever `stackTraces: false` says, and only ever shows it in its own error messages about
 * tokens: that was half of synthesis time (measured: 59 ms of 100 S3 buckets, 31 ms of it stack
 * traces). Errors made with `new Error` keep the stack they were created with.
 */
export function withoutCapturedStacks<T>(work: () => T): T {
  const original = Error.captureStackTrace;
  Error.captureStackTrace = () => undefined;
  try {
    return work();
  } finally {
    Error.captureStackTrace = original;
  }
}

/** Drops cdktf's "//" metadata blocks: they carry paths and versions, not configuration. */
function stripMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripMetadata);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (key !== '//') out[key] = stripMetadata(item);
    return out;
  }
  return value;
}
