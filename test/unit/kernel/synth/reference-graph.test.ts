import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ref, referenceFields } from '../../../../src/kernel/plugin/resource-ref.js';
import { Registry } from '../../../../src/kernel/plugin/registry.js';
import { defineResourceType, type ResourceType } from '../../../../src/kernel/plugin/resource-type.js';
import { dependentsOf, inReferenceOrder, referenceProblems } from '../../../../src/kernel/synth/reference-graph.js';

const node = defineResourceType({
  type: 'sandbox.node',
  provider: 'sandbox',
  description: 'Refers to another node.',
  quotaKey: 'test',
  // A refined reference (describe, min) is still a reference.
  schema: z.strictObject({ peer: ref('sandbox.node').describe('Peer').min(2).optional(), note: z.string().optional() }),
  synthesize: () => undefined,
});
const types = new Registry<ResourceType>('resource type', (type) => type.type, [{ pluginId: 'test', item: node }]);
const r = (name: string, peer?: string) => ({ name, type: 'sandbox.node', config: peer === undefined ? {} : { peer } });

describe('references among resources', () => {
  it('finds reference fields through optional() and refinements', () => {
    expect(referenceFields(node)).toEqual([{ field: 'peer', target: 'sandbox.node' }]);
  });

  it('orders each resource after the ones it refers to, otherwise as given', () => {
    const ordered = inReferenceOrder([r('a', 'c'), r('b'), r('c', 'b'), r('d')], types).map((resource) => resource.name);
    expect(ordered).toEqual(['b', 'c', 'a', 'd']);
  });

  it('names a missing target and a cycle, and refuses to order them', () => {
    expect(referenceProblems([r('a', 'zz')], types)).toEqual([{ name: 'a', field: 'peer', message: expect.stringContaining('no resource of that name') }]);
    const cycle = referenceProblems([r('a', 'b'), r('b', 'c'), r('c', 'a')], types);
    expect(cycle).toEqual([{ name: 'a', field: '', message: 'is part of a cycle of references (a → b → c → a); one of them must not refer to the next' }]);
    expect(() => inReferenceOrder([r('a', 'b'), r('b', 'a')], types)).toThrow(/cycle of references \(a → b → a\)/);
  });

  it('lists the dependents of a resource', () => {
    expect(dependentsOf('b', [r('a', 'b'), r('b'), r('c', 'b')], types)).toEqual(['a', 'c']);
  });
});
