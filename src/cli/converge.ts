import { isCloudEngineError } from '../kernel/errors.js';
import { referencesOf } from '../kernel/plugin/resource-ref.js';
import type { Registry } from '../kernel/plugin/registry.js';
import type { ResourceType } from '../kernel/plugin/resource-type.js';
import { parseInput } from '../kernel/validation.js';

/** A resource as a spec states it or a deployment holds it. */
export interface ResourceState {
  readonly name: string;
  readonly type: string;
  readonly config?: Readonly<Record<string, unknown>>;
}

/** One edit of a change; `index` is the resource's place in the spec (absent for a resource the spec no longer lists). */
export type ConvergeStep =
  | { readonly action: 'add'; readonly resource: ResourceState; readonly index: number }
  | { readonly action: 'update'; readonly resource: ResourceState; readonly index: number }
  | { readonly action: 'remove'; readonly resource: ResourceState; readonly index?: number };

/** The edits that make a deployment's resources exactly a spec's, in an order the kernel accepts. */
export interface Convergence {
  readonly steps: readonly ConvergeStep[];
  /** Names the spec lists with the config the deployment already holds. */
  readonly unchanged: readonly string[];
}

/** What convergence needs to know about resource types. */
export interface ConvergeJudge {
  /** Whether the config a spec states is the config a deployment holds (the spec's may leave defaults out). */
  sameConfig(type: string, wanted: Readonly<Record<string, unknown>>, held: Readonly<Record<string, unknown>>): boolean;
  /** The names of the resources a resource's config refers to. */
  referencesOf(resource: ResourceState): readonly string[];
}

/**
 * The edits from `current` (a deployment's resources) to `wanted` (a spec's):
 * add what is missing, update what differs, remove what the spec no longer
 * lists, and a resource whose type changed is removed and added again.
 *
 * The kernel checks references after every edit, so the order matters:
 * removals nothing kept refers to go first (they also make room under the
 * per-session limit); then the spec's resources in reference order, each
 * after what it refers to, so an update that refers to a new resource
 * finds it; then removals a kept resource referred to, once its update has
 * let go. Removals run dependents first.
 */
export function convergence(current: readonly ResourceState[], wanted: readonly ResourceState[], judge: ConvergeJudge): Convergence {
  const held = new Map(current.map((resource) => [resource.name, resource]));
  const wantedByName = new Map(wanted.map((resource, index) => [resource.name, { resource, index }]));
  const retyped = new Set(wanted.filter((resource) => held.has(resource.name) && held.get(resource.name)!.type !== resource.type).map((resource) => resource.name));
  const gone = new Set(current.filter((resource) => !wantedByName.has(resource.name) || retyped.has(resource.name)).map((resource) => resource.name));

  // A removal waits for the updates when a kept resource still refers to it (directly, or through other removals).
  const late = new Set<string>();
  const holdOn = (name: string): void => {
    if (!gone.has(name) || late.has(name) || retyped.has(name)) return;
    late.add(name);
    for (const next of judge.referencesOf(held.get(name)!)) holdOn(next);
  };
  for (const resource of current) if (!gone.has(resource.name)) for (const name of judge.referencesOf(resource)) holdOn(name);

  const removals = inReferenceOrder(current, judge)
    .reverse()
    .filter((resource) => gone.has(resource.name))
    .map((resource): ConvergeStep => ({ action: 'remove', resource, ...(retyped.has(resource.name) ? { index: wantedByName.get(resource.name)!.index } : {}) }));

  const edits: ConvergeStep[] = [];
  const unchanged: string[] = [];
  for (const resource of inReferenceOrder(wanted, judge)) {
    const index = wantedByName.get(resource.name)!.index;
    const before = gone.has(resource.name) ? undefined : held.get(resource.name);
    if (!before) edits.push({ action: 'add', resource, index });
    else if (!judge.sameConfig(resource.type, resource.config ?? {}, before.config ?? {})) edits.push({ action: 'update', resource, index });
    else unchanged.push(resource.name);
  }
  return {
    steps: [...removals.filter((step) => !late.has(step.resource.name)), ...edits, ...removals.filter((step) => late.has(step.resource.name))],
    unchanged: wanted.map((resource) => resource.name).filter((name) => unchanged.includes(name)),
  };
}

/** Each resource after those it refers to, otherwise as given; a cycle is left for the kernel to name. */
function inReferenceOrder(resources: readonly ResourceState[], judge: ConvergeJudge): ResourceState[] {
  const byName = new Map(resources.map((resource) => [resource.name, resource]));
  const ordered: ResourceState[] = [];
  const placed = new Set<string>();
  const visit = (resource: ResourceState): void => {
    if (placed.has(resource.name)) return;
    placed.add(resource.name);
    for (const name of judge.referencesOf(resource)) {
      const target = byName.get(name);
      if (target) visit(target);
    }
    ordered.push(resource);
  };
  resources.forEach(visit);
  return ordered;
}

/**
 * Judges configs the way the kernel stores them: a spec's config is read
 * through its type's schema (defaults filled in) and compared with the held
 * config as JSON, key order aside. A config the schema refuses counts as
 * changed, so the kernel's update names the field at fault.
 */
export function registryJudge(types: Registry<ResourceType>): ConvergeJudge {
  return {
    sameConfig(type, wanted, held) {
      const resourceType = types.get(type);
      if (!resourceType) return false;
      let parsed: unknown;
      try {
        parsed = parseInput(resourceType.schema, wanted, 'config');
      } catch (error) {
        if (isCloudEngineError(error, 'INVALID_INPUT')) return false;
        throw error;
      }
      return canonicalJson(parsed) === canonicalJson(held);
    },
    referencesOf: (resource) => referencesOf(types.get(resource.type), resource.config ?? {}).map((reference) => reference.name),
  };
}

/** JSON with object keys sorted and undefined members left out, as a database's JSON column gives it back. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    member !== null && typeof member === 'object' && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

/** The edit a step makes, as people read it: `+ sandbox.vm web`. */
export function stepLine(step: ConvergeStep): string {
  const symbol = step.action === 'add' ? '+' : step.action === 'update' ? '~' : '-';
  const why = step.action === 'update' ? ' (config changed)' : step.action === 'remove' ? (step.index === undefined ? ' (no longer in the spec)' : ' (its type changed)') : '';
  return `${symbol} ${step.resource.type} ${step.resource.name}${why}`;
}

