import { describe, expect, it } from 'vitest';
import { layoutGraph, referenceGraph, type GraphResource } from '../../../src/dashboard/render/reference-graph.js';
import { awsInstanceResource } from '../../../src/resources/aws/instance.resource.js';
import { awsSecurityGroupResource } from '../../../src/resources/aws/security-group.resource.js';
import { awsSubnetResource } from '../../../src/resources/aws/subnet.resource.js';
import { awsVpcResource } from '../../../src/resources/aws/vpc.resource.js';

const TYPES = new Map([awsVpcResource, awsSubnetResource, awsSecurityGroupResource, awsInstanceResource].map((type) => [type.type, type]));
const typeOf = (type: string) => TYPES.get(type);

/** A VPC, a subnet and two security groups in it, and an instance on the subnet in both groups. */
const STACK: GraphResource[] = [
  { name: 'vm', type: 'aws.instance', config: { subnet: 'public', securityGroups: ['web', 'ssh'] } },
  { name: 'web', type: 'aws.security_group', config: { vpc: 'main' } },
  { name: 'main', type: 'aws.vpc', config: {} },
  { name: 'ssh', type: 'aws.security_group', config: { vpc: 'main' } },
  { name: 'public', type: 'aws.subnet', config: { vpc: 'main' } },
];

describe('the reference graph of a deployment', () => {
  it('layers resources by reference depth, rows by name, one edge per named reference (each name of a refs() list)', () => {
    const { nodes, edges } = layoutGraph(STACK, typeOf);
    expect(nodes.map((node) => `${node.name}@${node.layer}.${node.row}`)).toEqual(['main@0.0', 'public@1.0', 'ssh@1.1', 'vm@2.0', 'web@1.2']);
    expect(edges.map((edge) => `${edge.from}.${edge.field}→${edge.to}`)).toEqual([
      'public.vpc→main',
      'ssh.vpc→main',
      'vm.securityGroups→ssh',
      'vm.securityGroups→web',
      'vm.subnet→public',
      'web.vpc→main',
    ]);
  });

  it('draws the same SVG whatever order the resources come in', () => {
    const once = referenceGraph(STACK, typeOf).text;
    expect(referenceGraph([...STACK].reverse(), typeOf).text).toBe(once);
    expect(once).toContain('5 resources, 6 references');
    expect(once.match(/<path class="edge"/g)).toHaveLength(6);
  });

  it('draws a reference to a resource that is not there as no edge, an unknown type as a plain node, and nothing for no resources', () => {
    const { nodes, edges } = layoutGraph(
      [
        { name: 'lonely', type: 'aws.subnet', config: { vpc: 'gone' } },
        { name: 'odd', type: 'someone.elses', config: { vpc: 'lonely' } },
      ],
      typeOf,
    );
    expect(edges).toEqual([]);
    expect(nodes.map((node) => node.layer)).toEqual([0, 0]);
    expect(referenceGraph([], typeOf).text).toBe('');
  });

  it('escapes every label and cuts long ones, keeping the whole name in the title', () => {
    const hostile = '<script>alert("x")</script>&more-text-that-is-long';
    const svg = referenceGraph(
      [
        { name: hostile, type: 'aws.vpc', config: {} },
        { name: 'sub"net', type: 'aws.subnet', config: { vpc: hostile } },
      ],
      typeOf,
    ).text;
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('sub"net');
    expect(svg).toContain('data-from="sub&quot;net" data-to="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;more-text-that-is-long"');
    expect(svg).toContain('<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;more-text-that-is-long (aws.vpc)</title>');
    expect(svg).toContain('class="name">&lt;script&gt;alert(&quot;x&quot;)&lt;/scr…</text>');
  });
});
