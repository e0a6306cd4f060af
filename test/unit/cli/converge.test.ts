import { describe, expect, it } from 'vitest';
import { canonicalJson, convergence, registryJudge, stepLine, type ConvergeStep, type ResourceState } from '../../../src/cli/converge.js';
import { Registry } from '../../../src/kernel/plugin/registry.js';
import type { ResourceType } from '../../../src/kernel/plugin/resource-type.js';
import { LIMITS } from '../../../src/kernel/sessions/session-inputs.js';
import { dependentsOf, referenceProblems } from '../../../src/kernel/synth/reference-graph.js';
import { sandboxBucketResource } from '../../../src/resources/sandbox/bucket.resource.js';
import { sandboxNetworkResource } from '../../../src/resources/sandbox/network.resource.js';
import { sandboxVmResource } from '../../../src/resources/sandbox/vm.resource.js';

const types = new Registry<ResourceType>('resource type', (type) => type.type, [
  { pluginId: 'sandbox', item: sandboxVmResource },
  { pluginId: 'sandbox', item: sandboxBucketResource },
  { pluginId: 'sandbox', item: sandboxNetworkResource },
]);
const judge = registryJudge(types);

/** As the kernel stores a resource: its config read through the type's schema. */
function held(type: string, name: string, config: Record<string, unknown> = {}): ResourceState {
  return { type, name, config: JSON.parse(JSON.stringify(types.get(type)!.schema.parse(config))) };
}

const brief = (steps: readonly ConvergeStep[]) => steps.map((step) => `${step.action} ${step.resource.name}`);

/**
 * Runs the steps the way the kernel would, refusing what it refuses: a
 * reference that does not hold after an edit, removing what is referred to,
 * adding a name twice, more resources than a session holds. Returns the
 * resources at the end.
 */
function replay(current: readonly ResourceState[], steps: readonly ConvergeStep[], limit: number = LIMITS.resourcesPerSession): ResourceState[] {
  let resources = current.map((resource) => ({ ...resource, config: resource.config ?? {} }));
  for (const step of steps) {
    const { name } = step.resource;
    if (step.action === 'remove') {
      expect(dependentsOf(name, resources, types), `nothing refers to ${name} when it is removed`).toEqual([]);
      resources = resources.filter((resource) => resource.name !== name);
    } else if (step.action === 'add') {
      expect(resources.map((resource) => resource.name)).not.toContain(name);
      expect(resources.length, `room for ${name}`).toBeLessThan(limit);
      resources = [...resources, { ...step.resource, config: step.resource.config ?? {} }];
    } else {
      resources = resources.map((resource) => (resource.name === name ? { ...resource, config: step.resource.config ?? {} } : resource));
    }
    expect(referenceProblems(resources, types), `references hold after ${step.action} ${name}`).toEqual([]);
  }
  return resources;
}

describe('convergence', () => {
  it('a spec the deployment already holds, defaults left out, needs no edit', () => {
    const current = [held('sandbox.vm', 'web', { size: 'medium', bootSeconds: 3 }), held('sandbox.bucket', 'assets')];
    const spec = [
      { type: 'sandbox.vm', name: 'web', config: { bootSeconds: 3, size: 'medium' } },
      { type: 'sandbox.bucket', name: 'assets' },
    ];
    expect(convergence(current, spec, judge)).toEqual({ steps: [], unchanged: ['web', 'assets'] });
  });

  it('a new deployment adds every resource of the spec, in its order', () => {
    const spec = [
      { type: 'sandbox.vm', name: 'web' },
      { type: 'sandbox.bucket', name: 'assets' },
    ];
    const { steps, unchanged } = convergence([], spec, judge);
    expect(steps).toEqual([
      { action: 'add', resource: spec[0], index: 0 },
      { action: 'add', resource: spec[1], index: 1 },
    ]);
    expect(unchanged).toEqual([]);
  });

  it('adds what is missing, updates what differs and removes what the spec no longer lists, each step naming its place in the spec', () => {
    const current = [held('sandbox.vm', 'web', { size: 'small' }), held('sandbox.bucket', 'assets'), held('sandbox.bucket', 'old')];
    const spec = [
      { type: 'sandbox.vm', name: 'web', config: { size: 'large' } },
      { type: 'sandbox.bucket', name: 'assets' },
      { type: 'sandbox.bucket', name: 'logs' },
    ];
    const { steps, unchanged } = convergence(current, spec, judge);
    expect(steps).toEqual([
      { action: 'remove', resource: current[2] },
      { action: 'update', resource: spec[0], index: 0 },
      { action: 'add', resource: spec[2], index: 2 },
    ]);
    expect(unchanged).toEqual(['assets']);
    expect(replay(current, steps).map((resource) => resource.name).sort()).toEqual(['assets', 'logs', 'web']);
    expect(steps.map(stepLine)).toEqual(['- sandbox.bucket old (no longer in the spec)', '~ sandbox.vm web (config changed)', '+ sandbox.bucket logs']);
  });

  it('a resource whose type changed is removed first and added again under its name', () => {
    const current = [held('sandbox.bucket', 'thing')];
    const spec = [{ type: 'sandbox.vm', name: 'thing' }];
    const { steps } = convergence(current, spec, judge);
    expect(brief(steps)).toEqual(['remove thing', 'add thing']);
    expect(steps[0]).toMatchObject({ action: 'remove', index: 0 });
    expect(stepLine(steps[0]!)).toBe('- sandbox.bucket thing (its type changed)');
    expect(replay(current, steps)).toEqual([{ type: 'sandbox.vm', name: 'thing', config: {} }]);
  });

  it('a config the schema refuses counts as changed, so the kernel names the field', () => {
    const current = [held('sandbox.vm', 'web')];
    expect(brief(convergence(current, [{ type: 'sandbox.vm', name: 'web', config: { size: 'huge' } }], judge).steps)).toEqual(['update web']);
  });

  it('moving a VM to a new network: the network is added before the update that refers to it, the old one removed after', () => {
    const current = [held('sandbox.network', 'net-a'), held('sandbox.vm', 'web', { network: 'net-a' })];
    const spec = [
      { type: 'sandbox.vm', name: 'web', config: { network: 'net-b' } },
      { type: 'sandbox.network', name: 'net-b' },
    ];
    const { steps } = convergence(current, spec, judge);
    expect(brief(steps)).toEqual(['add net-b', 'update web', 'remove net-a']);
    expect(replay(current, steps).map((resource) => resource.name)).toEqual(['web', 'net-b']);
  });

  it('removing a network and the VM in it removes the VM first', () => {
    const current = [held('sandbox.network', 'net'), held('sandbox.vm', 'web', { network: 'net' }), held('sandbox.bucket', 'keep')];
    const { steps } = convergence(current, [{ type: 'sandbox.bucket', name: 'keep' }], judge);
    expect(brief(steps)).toEqual(['remove web', 'remove net']);
    expect(replay(current, steps).map((resource) => resource.name)).toEqual(['keep']);
  });

  it('removals nothing kept refers to come before additions, so a full session can swap resources', () => {
    const current = [held('sandbox.bucket', 'a'), held('sandbox.bucket', 'b')];
    const spec = [
      { type: 'sandbox.bucket', name: 'a' },
      { type: 'sandbox.bucket', name: 'c' },
    ];
    const { steps } = convergence(current, spec, judge);
    expect(brief(steps)).toEqual(['remove b', 'add c']);
    replay(current, steps, 2);
  });

  it('a VM joining a network that a kept VM leaves: every intermediate state keeps its references', () => {
    const current = [held('sandbox.network', 'n1'), held('sandbox.vm', 'a', { network: 'n1' }), held('sandbox.vm', 'b')];
    const spec = [
      { type: 'sandbox.vm', name: 'a' },
      { type: 'sandbox.vm', name: 'b', config: { network: 'n2' } },
      { type: 'sandbox.network', name: 'n2', config: { cidr: '10.1.0.0/16' } },
    ];
    const { steps } = convergence(current, spec, judge);
    expect(replay(current, steps).map((resource) => resource.name).sort()).toEqual(['a', 'b', 'n2']);
  });
});

describe('registryJudge', () => {
  it('compares a spec config with the stored one after the schema fills in defaults, key order aside', () => {
    const stored = { image: 'debian-12', bootSeconds: 0, size: 'small' };
    expect(judge.sameConfig('sandbox.vm', {}, stored)).toBe(true);
    expect(judge.sameConfig('sandbox.vm', { size: 'small', image: 'debian-12' }, stored)).toBe(true);
    expect(judge.sameConfig('sandbox.vm', { size: 'medium' }, stored)).toBe(false);
    expect(judge.sameConfig('sandbox.vm', { tags: { team: 'web' } }, stored)).toBe(false);
  });

  it('an unknown type is never the same, and references are read from the type\'s ref fields', () => {
    expect(judge.sameConfig('sandbox.nope', {}, {})).toBe(false);
    expect(judge.referencesOf({ type: 'sandbox.vm', name: 'web', config: { network: 'net' } })).toEqual(['net']);
    expect(judge.referencesOf({ type: 'sandbox.bucket', name: 'b', config: {} })).toEqual([]);
    expect(judge.referencesOf({ type: 'sandbox.nope', name: 'x', config: { network: 'net' } })).toEqual([]);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});
