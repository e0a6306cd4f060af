import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsIamRoleResource } from '../../../../src/resources/aws/iam-role.resource.js';
import { awsInstanceResource, awsInstanceSchema } from '../../../../src/resources/aws/instance.resource.js';
import { awsSecurityGroupResource } from '../../../../src/resources/aws/security-group.resource.js';
import { awsSubnetResource } from '../../../../src/resources/aws/subnet.resource.js';
import { awsVpcResource } from '../../../../src/resources/aws/vpc.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

const valid = { ami: 'ami-0abcdef1234567890', instanceType: 't3.micro' };

function synth(config: unknown) {
  return synthSession({
    provider: awsProvider,
    settings: { region: 'us-east-1' },
    resources: [{ type: awsInstanceResource, name: 'web', config }],
  });
}

describe('aws.instance schema', () => {
  it.each(['ami-12345678', 'ami-0abcdef1234567890', 'ami-024f768332f0'])('accepts the AMI id %s', (ami) => {
    expect(issuesOf(awsInstanceSchema, { ...valid, ami })).toEqual([]);
  });

  it.each(['t3.micro', 'm5d.24xlarge', 'u-6tb1.metal', 'c7gn.16xlarge'])('accepts the instance type %s', (instanceType) => {
    expect(issuesOf(awsInstanceSchema, { ...valid, instanceType })).toEqual([]);
  });

  it.each([
    [{ ...valid, ami: 'ubuntu' }, 'ami', /"ami-" followed by/],
    [{ instanceType: 't3.micro' }, 'ami', /ami is required/],
    [{ ...valid, instanceType: 'T3.Micro' }, 'instanceType', /family.size/],
    [{ ...valid, instanceType: 't3micro' }, 'instanceType', /family.size/],
    [{ ...valid, subnetId: 'sn-1' }, 'subnetId', /"subnet-" followed by/],
    [{ ...valid, tags: { '': 'v' } }, 'tags.', /1-128 characters/],
    [{ ...valid, subnet: 'app', subnetId: 'subnet-0123abcd' }, 'subnetId', /set one of them/],
    [{ ...valid, securityGroups: 'web' }, 'securityGroups', /need a subnet/],
    [{ ...valid, subnet: 'app', securityGroups: 'web, web' }, 'securityGroups', /once/],
    [{ ...valid, role: 'arn:aws:iam::123456789012:role/x' }, 'role', /not other text/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsInstanceSchema, input);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.instance synthesis', () => {
  it('emits an aws_instance named after the resource with only the given attributes', () => {
    const instance = synth(valid).resource!.aws_instance!.web!;
    expect(instance).toEqual({ ami: valid.ami, instance_type: 't3.micro' });
  });

  it('passes subnet and tags through when given', () => {
    const instance = synth({ ...valid, subnetId: 'subnet-0123abcd', tags: { Name: 'web' } }).resource!.aws_instance!.web!;
    expect(instance).toMatchObject({ subnet_id: 'subnet-0123abcd', tags: { Name: 'web' } });
  });

  it('outputs the id and private IP under ids derived from the resource name', () => {
    const json = synth(valid);
    expect(json.output!.web!.value.id).toBe('${aws_instance.web.id}');
    expect(json.output!.web!.value.private_ip).toBe('${aws_instance.web.private_ip}');
  });
});

describe('aws.instance in a subnet, with security groups and a role of the same deployment', () => {
  const network = (instance: unknown) =>
    synthSession({
      provider: awsProvider,
      settings: { region: 'us-east-1' },
      resources: [
        // Listed first, yet synthesized after what it refers to.
        { type: awsInstanceResource, name: 'web', config: instance },
        { type: awsVpcResource, name: 'main', config: {} },
        { type: awsSubnetResource, name: 'app', config: { vpc: 'main', cidr: '10.0.1.0/24' } },
        { type: awsSecurityGroupResource, name: 'ssh', config: { vpc: 'main', ingress: '22/tcp/10.0.0.0/8' } },
        { type: awsSecurityGroupResource, name: 'http', config: { vpc: 'main', ingress: '80/tcp/0.0.0.0/0' } },
        { type: awsIamRoleResource, name: 'reader', config: {} },
      ],
    });

  it('refers to them by Terraform references, and reaches the role through an instance profile made for it', () => {
    const json = network({ ...valid, subnet: 'app', securityGroups: 'http, ssh', role: 'reader' });
    expect(json.resource!.aws_instance!.web).toEqual({
      ami: valid.ami,
      instance_type: 't3.micro',
      subnet_id: '${aws_subnet.app.id}',
      vpc_security_group_ids: ['${aws_security_group.http.id}', '${aws_security_group.ssh.id}'],
      iam_instance_profile: '${aws_iam_instance_profile.web-Profile.name}',
    });
    // Generated from the resource name: profile names are per account, not per deployment.
    expect(json.resource!.aws_iam_instance_profile!['web-Profile']).toEqual({ name_prefix: 'web-', role: '${aws_iam_role.reader.name}' });
    expect(json.output!.web!.value).toEqual({ id: '${aws_instance.web.id}', private_ip: '${aws_instance.web.private_ip}', public_ip: '${aws_instance.web.public_ip}' });
  });

  it('without them is what it always was: no profile, no groups, the same outputs', () => {
    const json = network(valid);
    expect(json.resource!.aws_instance!.web).toEqual({ ami: valid.ami, instance_type: 't3.micro' });
    expect(json.resource!.aws_iam_instance_profile).toBeUndefined();
    expect(json.output!.web!.value).toEqual({ id: '${aws_instance.web.id}', private_ip: '${aws_instance.web.private_ip}' });
  });
});
