import { describe, expect, it } from 'vitest';
import { awsProvider, awsSettingsSchema } from '../../../src/providers/aws.provider.js';
import { awsS3BucketResource } from '../../../src/resources/aws/s3-bucket.resource.js';
import { issuesOf, synthSession } from '../resources/synth.helper.js';

function providerBlock(settings: unknown) {
  const json = synthSession({ provider: awsProvider, settings });
  return json.provider!.aws![0]!;
}

describe('aws settings schema', () => {
  it.each(['us-east-1', 'eu-central-1', 'ap-southeast-2', 'us-gov-west-1'])('accepts the region %s', (region) => {
    expect(issuesOf(awsSettingsSchema, { region })).toEqual([]);
  });

  it.each([
    [{}, 'region', /region is required/],
    [{ region: 'US-EAST-1' }, 'region', /us-east-1/],
    [{ region: 'useast1' }, 'region', /us-east-1/],
    [{ region: 'us-east-1', profile: 'has space' }, 'profile', /1-64 letters/],
    [{ region: 'us-east-1', endpoints: { s3: 'localhost:4566' } }, 'endpoints.s3', /http\(s\) URLs/],
    [{ region: 'us-east-1', endpoints: { s3: 'ftp://localhost' } }, 'endpoints.s3', /http\(s\) URLs/],
    [{ region: 'us-east-1', endpoints: { S3: 'http://localhost:4566' } }, 'endpoints.S3', /lowercase letters and digits/],
    [{ region: 'us-east-1', endpoints: { 'my-svc': 'http://localhost' } }, 'endpoints.my-svc', /lowercase/],
    [{ region: 'us-east-1', skipCredentialsValidation: 'yes' }, 'skipCredentialsValidation', /true or false/],
    [{ region: 'us-east-1', endpoint: '127.0.0.1:5000' }, 'endpoint', /endpoint must be an http\(s\) URL/],
    [{ region: 'us-east-1', endpoint: 'file:///etc/passwd' }, 'endpoint', /endpoint must be an http\(s\) URL/],
    [{ region: 'us-east-1', endpoint: 42 }, 'endpoint', /endpoint must be an http\(s\) URL/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsSettingsSchema, input);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(message);
  });

  it('refuses credential keys, which must come from the environment', () => {
    const issues = issuesOf(awsSettingsSchema, { region: 'us-east-1', accessKey: 'AKIA...', secretKey: 's' });
    expect(issues[0]!.message).toMatch(/accessKey/);
  });
});

describe('awsProvider.configure', () => {
  it('sets only the region by default', () => {
    expect(providerBlock({ region: 'us-east-1' })).toEqual({ region: 'us-east-1' });
  });

  it('puts the profile in the provider block when given', () => {
    expect(providerBlock({ region: 'us-east-1', profile: 'dev' })).toEqual({ region: 'us-east-1', profile: 'dev' });
  });

  it('turns on all four skip flags when credential validation is skipped', () => {
    expect(providerBlock({ region: 'us-east-1', skipCredentialsValidation: true })).toEqual({
      region: 'us-east-1',
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: 'true',
      skip_region_validation: true,
    });
  });

  it('uses path-style S3 addressing and no endpoints block when an S3 endpoint is set', () => {
    const block = providerBlock({ region: 'us-east-1', endpoints: { s3: 'http://localhost:4566', sts: 'http://localhost:4566' } });
    expect(block).toEqual({ region: 'us-east-1', s3_use_path_style: true });
    expect(block).not.toHaveProperty('endpoints');
  });

  it('uses path-style S3 addressing and no endpoints block when one endpoint serves every service', () => {
    const block = providerBlock({ region: 'us-east-1', endpoint: 'http://127.0.0.1:5000' });
    expect(block).toEqual({ region: 'us-east-1', s3_use_path_style: true });
  });

  it('leaves S3 addressing alone when only other endpoints are set', () => {
    expect(providerBlock({ region: 'us-east-1', endpoints: { dynamodb: 'http://localhost:8000' } })).toEqual({
      region: 'us-east-1',
    });
  });

  it('pins hashicorp/aws to 5.100.0 in required_providers', () => {
    const json = synthSession({ provider: awsProvider, settings: { region: 'us-east-1' } });
    expect(json.terraform!.required_providers!.aws).toEqual({ source: 'aws', version: '5.100.0' });
  });

  it('keeps the endpoint URLs out of the synthesized JSON entirely', () => {
    const json = synthSession({
      provider: awsProvider,
      settings: { region: 'us-east-1', endpoint: 'http://moto.internal:5000', endpoints: { s3: 'http://emulator.internal:4566' } },
      resources: [{ type: awsS3BucketResource, name: 'b', config: { bucket: 'bucket-b' } }],
    });
    expect(JSON.stringify(json)).not.toContain('emulator.internal');
    expect(JSON.stringify(json)).not.toContain('moto.internal');
  });
});

describe('awsProvider.environment', () => {
  it('maps each endpoint to AWS_ENDPOINT_URL_<SERVICE> and nothing else', () => {
    const settings = awsSettingsSchema.parse({
      region: 'us-east-1',
      profile: 'dev',
      endpoints: { s3: 'http://localhost:4566', dynamodb: 'https://ddb.local:8000', ec2: 'http://localhost:4566' },
    });
    expect(awsProvider.environment!(settings)).toEqual({
      AWS_ENDPOINT_URL_S3: 'http://localhost:4566',
      AWS_ENDPOINT_URL_DYNAMODB: 'https://ddb.local:8000',
      AWS_ENDPOINT_URL_EC2: 'http://localhost:4566',
    });
  });

  it('gives one endpoint to every service as AWS_ENDPOINT_URL, beside per-service endpoints, which win for theirs', () => {
    const settings = awsSettingsSchema.parse({ region: 'us-east-1', endpoint: 'http://127.0.0.1:5000', endpoints: { s3: 'http://127.0.0.1:4569' } });
    expect(awsProvider.environment!(settings)).toEqual({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' });
  });

  it('is empty without endpoints', () => {
    expect(awsProvider.environment!(awsSettingsSchema.parse({ region: 'us-east-1' }))).toEqual({});
  });
});
