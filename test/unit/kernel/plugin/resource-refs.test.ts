import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_REFS, ref, referenceFields, referencesOf, refs } from '../../../../src/kernel/plugin/resource-ref.js';
import { Registry } from '../../../../src/kernel/plugin/registry.js';
import { defineResourceType, type ResourceType } from '../../../../src/kernel/plugin/resource-type.js';
import { dependentsOf, inReferenceOrder, referenceProblems } from '../../../../src/kernel/synth/reference-graph.js';

const group = defineResourceType({ type: 'sandbox.group', provider: 'sandbox', description: 'A group.', quotaKey: 'test', schema: z.strictObject({}), synthesize: () => undefined });
const member = defineResourceType({
  type: 'sandbox.member',
  provider: 'sandbox',
  description: 'Belongs to groups.',
  quotaKey: 'test',
  schema: z.strictObject({ home: ref('sandbox.group').optional(), groups: refs('sandbox.group').optional().describe('Groups') }),
  synthesize: () => undefined,
});
const types = new Registry<ResourceType>('resource type', (type) => type.type, [
  { pluginId: 'test', item: group },
  { pluginId: 'test', item: member },
]);
const g = (name: string) => ({ name, type: 'sandbox.group', config: {} });
const m = (name: string, groups: string[]) => ({ name, type: 'sandbox.member', config: { groups } });

describe('refs(): a list of references', () => {
  it('is a reference field through optional() and describe()', () => {
    expect(referenceFields(member)).toEqual([
      { field: 'home', target: 'sandbox.group' },
      { field: 'groups', target: 'sandbox.group' },
    ]);
  });

  it.each([
    [['web', 'ssh'], ['web', 'ssh']],
    ['web, ssh', ['web', 'ssh']],
    ['web ssh,admin', ['web', 'ssh', 'admin']],
    ['["web","ssh"]', ['web', 'ssh']],
    ['', []],
  ])('reads %j as the names %j', (input, names) => {
    expect(member.schema.parse({ groups: input })).toEqual({ groups: names });
  });

  it.each([
    [['web', 'web'], 'each name may appear once'],
    [['${aws_vpc.x.id}'], 'not other text'],
    ['web; drop', 'not other text'],
    [Array.from({ length: MAX_REFS + 1 }, (_, i) => `g${i}`), `at most ${MAX_REFS} names`],
    [42, 'expected a list of names of sandbox.group resources'],
  ])('refuses %j: %s', (input, message) => {
    const result = member.schema.safeParse({ groups: input });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path[0]).toBe('groups');
    expect(result.error!.issues[0]!.message).toContain(message);
  });

  it('gives one reference per name, so each is checked, ordered first and a dependency', () => {
    expect(referencesOf(member, { home: 'a', groups: ['b', 'c'] }).map((reference) => `${reference.field}:${reference.name}`)).toEqual(['home:a', 'groups:b', 'groups:c']);
    expect(inReferenceOrder([m('x', ['b', 'a']), g('a'), g('b')], types).map((resource) => resource.name)).toEqual(['b', 'a', 'x', ]);
    expect(dependentsOf('a', [m('x', ['b', 'a']), g('a'), g('b')], types)).toEqual(['x']);
    expect(referenceProblems([m('x', ['a', 'nope']), g('a')], types)).toEqual([{ name: 'x', field: 'groups', message: expect.stringContaining('"nope"') }]);
    expect(referenceProblems([m('x', ['a', 'y']), g('a'), m('y', [])], types)).toEqual([
      { name: 'x', field: 'groups', message: 'refers to y, a sandbox.member, but needs a sandbox.group' },
    ]);
  });
});
