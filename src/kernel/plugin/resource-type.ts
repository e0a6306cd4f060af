import type { Construct } from 'constructs';
import type { z } from 'zod';

/** What a resource type's synthesis receives for one resource of a session. */
export interface ResourceSynthContext<C> {
  /** The resource's persisted name; also its construct id, so re-plans never reorder. */
  readonly name: string;
  /**
   * The validated config. Every string in it has already been escaped for
   * Terraform (`${` and `%{` are literal), so pass them through unchanged.
   */
  readonly config: C;
  readonly project: { readonly id: string; readonly settings: Readonly<Record<string, unknown>> };
  /** Stable across the changes of one deployment (its state key): derive lasting values from it. */
  readonly sessionId: string;
  /**
   * The outputs of the resource a reference field names (`ref(...)` in the
   * schema), as Terraform references — e.g. `ctx.reference(config.network).id`.
   * That resource is synthesized first.
   */
  reference(name: string): ResourceOutputs;
}

/** Counts by quota key: whole numbers, 0 or more. */
export type QuotaCounts = Readonly<Record<string, number>>;

/** Output values of one resource (token strings from cdktf attributes, or literals). */
export type ResourceOutputs = Record<string, unknown>;

/** A kind of cloud resource a session can hold (`aws.s3_bucket`, `sandbox.vm`, …). */
export interface ResourceType<C = any> {
  /** `<provider>.<kind>`, e.g. `aws.s3_bucket`. */
  readonly type: string;
  /** Id of the cloud provider this type belongs to. */
  readonly provider: string;
  /** One line shown to users when they pick a type. */
  readonly description: string;
  /** Quota bucket the resource counts against (`compute_vm`, `storage_bucket`, …); with `quotas`, the one it is listed under. */
  readonly quotaKey: string;
  /** What one resource counts, key by key, when it makes several things (a blueprint's `{ compute_vm: 1, network: 1 }`), instead of 1 of `quotaKey`. */
  quotas?(config: C): QuotaCounts;
  /**
   * Input schema; its fields, in order, drive chat forms. Use `.describe()`
   * for the label and `.default()` for prefilled values.
   */
  readonly schema: z.ZodObject<any>;
  /**
   * Schema fields that hold secrets (passwords, keys): shown as "(secret)"
   * everywhere, to their author too; synthesis still gets the real value
   * (wrap it in `Fn.sensitive` so terraform hides it in plans and state).
   */
  readonly secretFields?: readonly string[];
  /**
   * Adds this resource's constructs to the session stack; use `ctx.name` as
   * the main construct's id. Returns the values to show as the resource's
   * outputs (ids, addresses); the kernel publishes them as one Terraform
   * output named after the resource, so output names can never collide.
   */
  synthesize(scope: Construct, ctx: ResourceSynthContext<C>): ResourceOutputs | void;
}

/** Declares a resource type with its config type inferred from the schema. */
export function defineResourceType<S extends z.ZodObject<any>>(
  definition: Omit<ResourceType<z.output<S>>, 'schema'> & { schema: S },
): ResourceType<z.output<S>> {
  return definition;
}
