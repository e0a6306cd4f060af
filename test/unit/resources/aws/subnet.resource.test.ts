import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsSubnetResource, awsSubnetSchema } from '../../../../src/resources/aws/subnet.resource.js';
import { awsVpcResource } from '../../../../src/resources/aws/vpc.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(subnet: unknown, vpc: unknown = {}) {
  return synthSession({
    provider: awsProvider,
    settings: { region: 'us-east-1' },
    resources: [
      { type: awsSubnetResource, name: 'app', config: subnet },
      { type: awsVpcResource, name: 'main', config: vpc },
    ],
  });
}

describe('aws.subnet schema', () => {
  it.each([
    [{ cidr: '10.0.1.0/24' }, 'vpc', /name of a aws.vpc resource/],
    [{ vpc: 'main' }, 'cidr', /IPv4 network/],
    [{ vpc: '${aws_vpc.other.id}', cidr: '10.0.1.0/24' }, 'vpc', /not other text/],
    [{ vpc: 'main', cidr: '10.0.1.0/24', availabilityZone: 'us-east-1' }, 'availabilityZone', /e.g. us-east-1a/],
    [{ vpc: 'main', cidr: '10.0.1.0/24', public: 'yes' }, 'public', /true or false/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsSubnetSchema, input);
    expect(issues[0]).toMatchObject({ path });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.subnet synthesis', () => {
  it('a private subnet refers to its VPC by a Terraform reference and has no routes of its own', () => {
    const json = synth({ vpc: 'main', cidr: '10.0.1.0/24', availabilityZone: 'us-east-1b' });
    expect(json.resource!.aws_subnet!.app).toEqual({ vpc_id: '${aws_vpc.main.id}', cidr_block: '10.0.1.0/24', availability_zone: 'us-east-1b', map_public_ip_on_launch: false });
    expect(json.resource!.aws_route_table).toBeUndefined();
    expect(json.output!.app!.value).toMatchObject({ id: '${aws_subnet.app.id}', availability_zone: '${aws_subnet.app.availability_zone}' });
  });

  it('a public subnet gets public IPs and its own route table with a default route to the VPC\'s gateway', () => {
    const json = synth({ vpc: 'main', cidr: '10.0.1.0/24', public: true });
    expect(json.resource!.aws_subnet!.app).toMatchObject({ map_public_ip_on_launch: true });
    expect(json.resource!.aws_route_table!['app-Routes']).toEqual({ vpc_id: '${aws_vpc.main.id}' });
    expect(json.resource!.aws_route!['app-Internet']).toEqual({
      route_table_id: '${aws_route_table.app-Routes.id}',
      destination_cidr_block: '0.0.0.0/0',
      gateway_id: '${aws_internet_gateway.main-Gateway.id}',
    });
    expect(json.resource!.aws_route_table_association!['app-Association']).toEqual({ subnet_id: '${aws_subnet.app.id}', route_table_id: '${aws_route_table.app-Routes.id}' });
  });

  it('a public subnet in a VPC without an internet gateway is INVALID_INPUT naming public and what to change', () => {
    expect(() => synth({ vpc: 'main', cidr: '10.0.1.0/24', public: true }, { internetGateway: false })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'config.public', message: expect.stringContaining('set internetGateway to true on main') }),
    );
  });
});
