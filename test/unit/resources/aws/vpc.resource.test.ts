import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsVpcResource, awsVpcSchema } from '../../../../src/resources/aws/vpc.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown) {
  return synthSession({ provider: awsProvider, settings: { region: 'us-east-1' }, resources: [{ type: awsVpcResource, name: 'main', config }] });
}

describe('aws.vpc schema', () => {
  it('defaults to 10.0.0.0/16 with an internet gateway', () => {
    expect(awsVpcSchema.parse({})).toEqual({ cidr: '10.0.0.0/16', internetGateway: true });
  });

  it.each([
    [{ cidr: '10.0.0.0/8' }, 'cidr', /prefix \/16 to \/28/],
    [{ cidr: '10.0.0.0/29' }, 'cidr', /prefix \/16 to \/28/],
    [{ cidr: '10.0.1.5/24' }, 'cidr', /first address/],
    [{ cidr: '256.0.0.0/16' }, 'cidr', /IPv4 network/],
    [{ cidr: '${var.cidr}' }, 'cidr', /IPv4 network/],
    [{ internetGateway: 'yes' }, 'internetGateway', /true or false/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsVpcSchema, input);
    expect(issues[0]).toMatchObject({ path });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.vpc synthesis', () => {
  it('emits the VPC and its internet gateway, whose id is an output', () => {
    const json = synth({ cidr: '10.20.0.0/16', tags: { team: 'net' } });
    expect(json.resource!.aws_vpc!.main).toEqual({ cidr_block: '10.20.0.0/16', tags: { team: 'net' } });
    // A part's id has a capital letter: no resource name (lowercase) can take it.
    expect(json.resource!.aws_internet_gateway!['main-Gateway']).toEqual({ vpc_id: '${aws_vpc.main.id}', tags: { team: 'net' } });
    expect(json.output!.main!.value).toEqual({
      id: '${aws_vpc.main.id}',
      arn: '${aws_vpc.main.arn}',
      cidr: '${aws_vpc.main.cidr_block}',
      internet_gateway_id: '${aws_internet_gateway.main-Gateway.id}',
    });
  });

  it('makes no gateway when internetGateway is false', () => {
    const json = synth({ internetGateway: false });
    expect(json.resource!.aws_internet_gateway).toBeUndefined();
    expect(json.output!.main!.value).not.toHaveProperty('internet_gateway_id');
  });
});
