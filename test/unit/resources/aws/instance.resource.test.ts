import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsInstanceResource, awsInstanceSchema } from '../../../../src/resources/aws/instance.resource.js';
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
