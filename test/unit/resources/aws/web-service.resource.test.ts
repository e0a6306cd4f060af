import { synthResource, synthSession } from 'cloud-engine/testing';
import { describe, expect, it } from 'vitest';
import { awsS3BucketResource } from '../../../../src/resources/aws/s3-bucket.resource.js';
import { awsWebServiceResource, awsWebServiceSchema } from '../../../../src/resources/aws/web-service.resource.js';

// Through the testing kit, as a plugin author would test a blueprint of their own.
const project = { settings: { region: 'us-east-1' } };

/** Every managed address a document declares, sorted. */
function addresses(json: ReturnType<typeof synthResource>): string[] {
  return Object.entries(json.resource ?? {})
    .flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`))
    .sort();
}

describe('aws.web_service synthesis (a blueprint)', () => {
  it('makes a VPC with a gateway, a public subnet in the first zone, a firewall open on the port and an Amazon Linux 2 instance in them, each named after the resource', () => {
    const json = synthResource(awsWebServiceResource, { name: 'shop', config: { port: 8080, tags: { team: 'web' } }, project });
    expect(addresses(json)).toEqual([
      'aws_instance.shop',
      'aws_internet_gateway.shop-Network-Gateway',
      'aws_route.shop-Subnet-Internet',
      'aws_route_table.shop-Subnet-Routes',
      'aws_route_table_association.shop-Subnet-Association',
      'aws_security_group.shop-Firewall',
      'aws_subnet.shop-Subnet',
      'aws_vpc.shop-Network',
    ]);
    expect(json.data?.aws_ami?.['shop-Ami']).toEqual({ most_recent: true, owners: ['amazon'], filter: [{ name: 'name', values: ['amzn2-ami-hvm-*-x86_64-gp2'] }] });
    const { resource } = json;
    expect(resource!.aws_subnet!['shop-Subnet']).toEqual({
      vpc_id: '${aws_vpc.shop-Network.id}',
      cidr_block: '10.0.1.0/24',
      map_public_ip_on_launch: true,
      availability_zone: '${element(data.aws_availability_zones.shop-Zones.names, 0)}',
      tags: { team: 'web' },
    });
    expect(resource!.aws_route!['shop-Subnet-Internet']).toMatchObject({ gateway_id: '${aws_internet_gateway.shop-Network-Gateway.id}' });
    expect(resource!.aws_security_group!['shop-Firewall']).toMatchObject({
      name: 'web-service-shop',
      vpc_id: '${aws_vpc.shop-Network.id}',
      ingress: [expect.objectContaining({ from_port: 8080, to_port: 8080, protocol: 'tcp', cidr_blocks: ['0.0.0.0/0'] })],
    });
    expect(resource!.aws_instance!.shop).toEqual({
      ami: '${data.aws_ami.shop-Ami.id}',
      instance_type: 't3.micro',
      subnet_id: '${aws_subnet.shop-Subnet.id}',
      vpc_security_group_ids: ['${aws_security_group.shop-Firewall.id}'],
      // A newer AMI must not replace the server on the deployment's next change.
      lifecycle: { ignore_changes: ['ami'] },
      tags: { team: 'web' },
    });
    // One output, named after the resource: the parts are reached through it, not by reference.
    expect(Object.keys(json.output ?? {})).toEqual(['shop']);
    expect(json.output!.shop!.value).toEqual({
      id: '${aws_instance.shop.id}',
      url: 'http://${aws_instance.shop.public_ip}:8080',
      public_ip: '${aws_instance.shop.public_ip}',
      private_ip: '${aws_instance.shop.private_ip}',
      vpc_id: '${aws_vpc.shop-Network.id}',
      subnet_id: '${aws_subnet.shop-Subnet.id}',
      security_group_id: '${aws_security_group.shop-Firewall.id}',
    });
  });

  it('with assetsBucket adds a bucket and a role, through an instance profile, that may list it and read its objects', () => {
    const json = synthResource(awsWebServiceResource, { name: 'my_shop', config: { assetsBucket: true }, project });
    expect(addresses(json)).toEqual(
      expect.arrayContaining(['aws_s3_bucket.my_shop-Assets', 'aws_iam_role.my_shop-Role', 'aws_iam_role_policy.my_shop-Role-AssetsRead', 'aws_iam_instance_profile.my_shop-Profile']),
    );
    const { resource } = json;
    // Generated names: buckets are global and roles per account; bucket names take no underscores.
    expect(resource!.aws_s3_bucket!['my_shop-Assets']).toEqual({ bucket_prefix: 'assets-my-shop-' });
    expect(resource!.aws_iam_role!['my_shop-Role']).toMatchObject({ name_prefix: 'my_shop-' });
    expect(JSON.parse(resource!.aws_iam_role!['my_shop-Role']!.assume_role_policy as string)).toMatchObject({ Statement: [{ Principal: { Service: 'ec2.amazonaws.com' } }] });
    expect(JSON.parse(resource!.aws_iam_role_policy!['my_shop-Role-AssetsRead']!.policy as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['${aws_s3_bucket.my_shop-Assets.arn}'] },
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['${aws_s3_bucket.my_shop-Assets.arn}/*'] },
      ],
    });
    expect(resource!.aws_iam_role_policy!['my_shop-Role-AssetsRead']!.role).toBe('${aws_iam_role.my_shop-Role.id}');
    expect(resource!.aws_iam_instance_profile!['my_shop-Profile']).toEqual({ name_prefix: 'my_shop-', role: '${aws_iam_role.my_shop-Role.name}' });
    expect(resource!.aws_instance!.my_shop).toMatchObject({ iam_instance_profile: '${aws_iam_instance_profile.my_shop-Profile.name}' });
    expect(json.output!.my_shop!.value).toMatchObject({
      assets_bucket: '${aws_s3_bucket.my_shop-Assets.bucket}',
      assets_bucket_arn: '${aws_s3_bucket.my_shop-Assets.arn}',
      role_arn: '${aws_iam_role.my_shop-Role.arn}',
    });
  });

  it('sits beside other resources, and beside another web service, without any address in common', () => {
    const json = synthSession({
      project,
      resources: [
        { type: awsWebServiceResource, name: 'web', config: { assetsBucket: true } },
        { type: awsWebServiceResource, name: 'api', config: {} },
        { type: awsS3BucketResource, name: 'web-assets', config: { bucket: 'ce-web-assets' } },
      ],
    });
    const all = addresses(json);
    expect(all.filter((address) => address.endsWith('.web') || address.includes('.web-'))).toHaveLength(13);
    expect(all.filter((address) => address.endsWith('.api') || address.includes('.api-'))).toHaveLength(8);
    expect(all).toContain('aws_s3_bucket.web-assets');
    expect(Object.keys(json.output ?? {}).sort()).toEqual(['api', 'web', 'web-assets']);
  });

  it('counts every part against its quota key', () => {
    expect(awsWebServiceResource.quotas!(awsWebServiceSchema.parse({}))).toEqual({ compute_vm: 1, network: 1, subnet: 1, security_group: 1 });
    expect(awsWebServiceResource.quotas!(awsWebServiceSchema.parse({ assetsBucket: true }))).toEqual({
      compute_vm: 1,
      network: 1,
      subnet: 1,
      security_group: 1,
      storage_bucket: 1,
      iam_role: 1,
    });
  });

  it.each([
    [{ port: 0 }, 'config.port', /from 1 to 65535/],
    [{ instanceType: 'T3.MICRO' }, 'config.instanceType', /e.g. t3.micro/],
    [{ assetsBucket: 'yes' }, 'config.assetsBucket', /true or false/],
    [{ ami: 'ami-12345678' }, 'config', /ami/],
  ])('refuses %j as INVALID_INPUT naming %s', (config, field, message) => {
    expect(() => synthResource(awsWebServiceResource, { name: 'web', config, project })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field, message: expect.stringMatching(message) }),
    );
  });
});
