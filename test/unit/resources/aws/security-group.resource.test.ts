import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsSecurityGroupResource, awsSecurityGroupSchema, ruleText } from '../../../../src/resources/aws/security-group.resource.js';
import { awsVpcResource } from '../../../../src/resources/aws/vpc.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown, name = 'web') {
  return synthSession({
    provider: awsProvider,
    settings: { region: 'us-east-1' },
    resources: [
      { type: awsVpcResource, name: 'main', config: {} },
      { type: awsSecurityGroupResource, name, config },
    ],
  });
}

const ssh = { port: 22, protocol: 'tcp', cidr: '0.0.0.0/0' };

describe('aws.security_group ingress', () => {
  it.each([
    ['22/tcp/0.0.0.0/0, 443/tcp/0.0.0.0/0', [ssh, { port: 443, protocol: 'tcp', cidr: '0.0.0.0/0' }]],
    ['8000-8080/udp/10.0.0.0/8', [{ port: 8000, toPort: 8080, protocol: 'udp', cidr: '10.0.0.0/8' }]],
    ['[{"port":22,"protocol":"tcp","cidr":"0.0.0.0/0"}]', [ssh]],
    [[ssh], [ssh]],
    [['22/tcp/0.0.0.0/0'], [ssh]],
    ['', []],
  ])('reads %j', (ingress, rules) => {
    expect(awsSecurityGroupSchema.parse({ vpc: 'main', ingress }).ingress).toEqual(rules);
  });

  it('defaults to no inbound rules', () => {
    expect(awsSecurityGroupSchema.parse({ vpc: 'main' }).ingress).toEqual([]);
  });

  it('writes a rule back as the text a chat user types', () => {
    expect(ruleText({ port: 8000, toPort: 8080, protocol: 'udp', cidr: '10.0.0.0/8' })).toBe('8000-8080/udp/10.0.0.0/8');
  });

  it.each([
    ['ssh', 'ingress.0', /"ssh" is not a rule; write each rule as port\/protocol\/cidr/],
    ['22/icmp/0.0.0.0/0', 'ingress.0', /is not a rule/],
    ['70000/tcp/0.0.0.0/0', 'ingress.0.port', /0 to 65535/],
    ['90-80/tcp/0.0.0.0/0', 'ingress.0.toPort', /at least port/],
    ['22/tcp/10.0.0.1/8', 'ingress.0.cidr', /first address/],
    ['22/tcp/${var.x}', 'ingress.0.cidr', /IPv4 network/],
    ['22/tcp/0.0.0.0/0, 22/tcp/0.0.0.0/0', 'ingress', /once/],
    [[{ port: 22, protocol: 'tcp' }], 'ingress.0.cidr', /IPv4 network/],
    [{ port: 22 }, 'ingress', /list of rules/],
  ])('refuses %j at %s', (ingress, path, message) => {
    const issues = issuesOf(awsSecurityGroupSchema, { vpc: 'main', ingress });
    expect(issues[0]).toMatchObject({ path });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.security_group synthesis', () => {
  it('puts every rule inline with all its attributes, allows all outbound traffic, and names the group after the resource', () => {
    const json = synth({ vpc: 'main', ingress: '22/tcp/10.0.0.0/8, 8000-8080/udp/0.0.0.0/0', description: 'Web ${tier}' });
    const group = json.resource!.aws_security_group!.web!;
    const none = { description: '', ipv6_cidr_blocks: [], prefix_list_ids: [], security_groups: [], self: false };
    expect(group).toEqual({
      name: 'web',
      vpc_id: '${aws_vpc.main.id}',
      description: 'Web $${tier}',
      ingress: [
        { from_port: 22, to_port: 22, protocol: 'tcp', cidr_blocks: ['10.0.0.0/8'], ...none },
        { from_port: 8000, to_port: 8080, protocol: 'udp', cidr_blocks: ['0.0.0.0/0'], ...none },
      ],
      egress: [{ from_port: 0, to_port: 0, protocol: '-1', cidr_blocks: ['0.0.0.0/0'], ...none }],
    });
    expect(json.output!.web!.value).toEqual({ id: '${aws_security_group.web.id}', arn: '${aws_security_group.web.arn}', name: '${aws_security_group.web.name}' });
  });

  it('refuses a resource name starting with sg-, which AWS keeps for group ids', () => {
    expect(() => synth({ vpc: 'main' }, 'sg-web')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'name', message: expect.stringContaining('starting with "sg-"') }));
  });
});
