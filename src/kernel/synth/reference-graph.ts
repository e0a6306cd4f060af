import { invalidInput } from '../errors.js';
import type { Registry } from '../plugin/registry.js';
import { referencesOf } from '../plugin/resource-ref.js';
import type { ResourceType } from '../plugin/resource-type.js';

interface Node {
  readonly name: string;
  readonly type: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** One reference that does not hold: the resource, its field, and what is wrong. */
export interface ReferenceProblem {
  readonly name: string;
  readonly field: string;
  readonly message: string;
}

/**
 * What is wrong with the references among a session's resources: a name
 * that no resource has, a resource of another type, a cycle. Empty when
 * every reference holds.
 */
export function referenceProblems(resources: readonly Node[], types: Registry<ResourceType>): ReferenceProblem[] {
  const byName = new Map(resources.map((resource) => [resource.name, resource]));
  const problems: ReferenceProblem[] = [];
  for (const resource of resources) {
    for (const { field, target, name } of referencesOf(types.get(resource.type), resource.config)) {
      const other = byName.get(name);
      if (!other) problems.push({ name: resource.name, field, message: `refers to ${JSON.stringify(name)}, but this deployment has no resource of that name; add a ${target} named ${name}, or name an existing one` });
      else if (other.type !== target) problems.push({ name: resource.name, field, message: `refers to ${name}, a ${other.type}, but needs a ${target}` });
    }
  }
  if (problems.length === 0) {
    const cycle = findCycle(resources, types);
    if (cycle) problems.push({ name: cycle[0]!, field: '', message: `is part of a cycle of references (${cycle.join(' → ')}); one of them must not refer to the next` });
  }
  return problems;
}

/**
 * The resources in an order where each comes after every resource it refers
 * to, otherwise as given (so construct ids and re-plans never depend on it).
 * Throws INVALID_INPUT naming the problem when references do not hold.
 */
export function inReferenceOrder<T extends Node>(resources: readonly T[], types: Registry<ResourceType>): T[] {
  const problems = referenceProblems(resources, types);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw invalidInput('reference', `${first.name}${first.field ? `.${first.field}` : ''} ${first.message}`, {
      field: first.field ? `config.${first.field}` : 'config',
      details: { problems },
    });
  }
  const ordered: T[] = [];
  const placed = new Set<string>();
  const visit = (resource: T): void => {
    if (placed.has(resource.name)) return;
    placed.add(resource.name);
    for (const { name } of referencesOf(types.get(resource.type), resource.config)) {
      const dependency = resources.find((candidate) => candidate.name === name);
      if (dependency) visit(dependency);
    }
    ordered.push(resource);
  };
  resources.forEach(visit);
  return ordered;
}

/** The names of the resources that refer to `name`. */
export function dependentsOf(name: string, resources: readonly Node[], types: Registry<ResourceType>): string[] {
  return resources.filter((resource) => referencesOf(types.get(resource.type), resource.config).some((reference) => reference.name === name)).map((resource) => resource.name);
}

function findCycle(resources: readonly Node[], types: Registry<ResourceType>): string[] | undefined {
  const edges = new Map(resources.map((resource) => [resource.name, referencesOf(types.get(resource.type), resource.config).map((reference) => reference.name)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const walk = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const next of edges.get(name) ?? []) {
      const cycle = walk(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of edges.keys()) {
    const cycle = walk(name);
    if (cycle) return cycle;
  }
  return undefined;
}
