import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import { z } from 'zod';
import type { CloudProvider } from '../kernel/plugin/cloud-provider.js';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const PROFILE = /^[A-Za-z0-9_.@+=,-]{1,64}$/;
const SERVICE = /^[a-z][a-z0-9]{0,31}$/;
const MAX_ENDPOINTS = 50;

/** A project's AWS settings; credentials are never here (the provider reads the standard AWS chain). */
export const awsSettingsSchema = z.strictObject({
  region: z
    .string({ error: 'region is required, e.g. us-east-1' })
    .regex(REGION, 'region must look like us-east-1 (area-direction-number)')
    .describe('Region'),
  profile: z
    .string()
    .regex(PROFILE, 'profile must be 1-64 letters, digits or _.@+=,- (a profile name from ~/.aws/config)')
    .optional()
    .describe('Shared config profile'),
  endpoint: z
    .url({ protocol: /^https?$/, error: 'endpoint must be an http(s) URL, e.g. http://127.0.0.1:5000 (one emulator for every service)' })
    .optional()
    .describe('Endpoint for every service (e.g. moto)'),
  endpoints: z
    .record(
      z.string(),
      z.url({ protocol: /^https?$/, error: 'endpoints must be http(s) URLs, e.g. http://localhost:4566' }),
    )
    .superRefine((endpoints, ctx) => {
      const services = Object.keys(endpoints);
      if (services.length > MAX_ENDPOINTS) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_ENDPOINTS} endpoints are allowed (got ${services.length})` });
      }
      for (const service of services) {
        if (!SERVICE.test(service)) {
          ctx.addIssue({
            code: 'custom',
            path: [service],
            message: 'endpoint keys must be AWS service names in lowercase letters and digits (s3, dynamodb, sts, ec2, …)',
          });
        }
      }
    })
    .optional()
    .describe('Service endpoints (override endpoint per service)'),
  skipCredentialsValidation: z
    .boolean({ error: 'skipCredentialsValidation must be true or false' })
    .optional()
    .describe('Skip credential and account checks (emulators)'),
});

/** Settings of the AWS provider, as validated by `awsSettingsSchema`. */
export type AwsSettings = z.output<typeof awsSettingsSchema>;

/** Amazon Web Services through the `hashicorp/aws` provider (pinned by @cdktf/provider-aws to 5.100.0). */
export const awsProvider: CloudProvider<AwsSettings> = {
  id: 'aws',
  displayName: 'Amazon Web Services',
  settingsSchema: awsSettingsSchema,
  configure(scope, { settings }) {
    const skip = settings.skipCredentialsValidation === true;
    new AwsProvider(scope, 'aws', {
      region: settings.region,
      ...(settings.profile === undefined ? {} : { profile: settings.profile }),
      ...(skip
        ? {
            skipCredentialsValidation: true,
            skipRequestingAccountId: true,
            // The binding types this one attribute as a string.
            skipMetadataApiCheck: 'true',
            skipRegionValidation: true,
          }
        : {}),
      // Emulators serve buckets under one host, so virtual-hosted bucket names would not resolve.
      ...(settings.endpoint === undefined && settings.endpoints?.s3 === undefined ? {} : { s3UsePathStyle: true }),
    });
  },
  // Endpoints go to the environment rather than an `endpoints` block, which adds seconds to every plan.
  // The SDK's own precedence applies: AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL.
  environment(settings) {
    const env: Record<string, string> = settings.endpoint === undefined ? {} : { AWS_ENDPOINT_URL: settings.endpoint };
    for (const [service, url] of Object.entries(settings.endpoints ?? {})) {
      env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] = url;
    }
    return env;
  },
};
