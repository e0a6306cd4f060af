import { GoogleProvider } from '@cdktf/provider-google/lib/provider/index.js';
import { z } from 'zod';
import type { CloudProvider } from '../kernel/plugin/cloud-provider.js';

const PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const REGION = /^[a-z]+-[a-z]+\d{1,2}$/;
const ZONE = /^[a-z]+-[a-z]+\d{1,2}-[a-z]$/;

/** A project's Google Cloud settings; credentials come from the environment (ADC) only. */
export const googleSettingsSchema = z
  .strictObject({
    project: z
      .string({ error: 'project is required, e.g. my-project-123' })
      .regex(
        PROJECT,
        'project must be a Google Cloud project id: 6-30 lowercase letters, digits or dashes, starting with a letter and not ending with a dash',
      )
      .describe('Google Cloud project id'),
    region: z
      .string({ error: 'region is required, e.g. us-central1' })
      .regex(REGION, 'region must look like us-central1 or europe-west4')
      .describe('Region'),
    zone: z
      .string()
      .regex(ZONE, 'zone must look like us-central1-a (a region followed by a dash and a letter)')
      .optional()
      .describe('Default zone'),
  })
  .superRefine((settings, ctx) => {
    // zod runs this even when a field failed, so a malformed zone is left to its own message.
    const { zone, region } = settings;
    if (zone !== undefined && ZONE.test(zone) && REGION.test(region) && !zone.startsWith(`${region}-`)) {
      ctx.addIssue({
        code: 'custom',
        path: ['zone'],
        message: `zone must be in region ${region}, e.g. ${region}-a`,
      });
    }
  });

/** Settings of the Google provider, as validated by `googleSettingsSchema`. */
export type GoogleSettings = z.output<typeof googleSettingsSchema>;

/** Google Cloud through the `hashicorp/google` provider (pinned by @cdktf/provider-google). */
export const googleProvider: CloudProvider<GoogleSettings> = {
  id: 'google',
  displayName: 'Google Cloud',
  settingsSchema: googleSettingsSchema,
  configure(scope, { settings }) {
    new GoogleProvider(scope, 'google', {
      project: settings.project,
      region: settings.region,
      ...(settings.zone === undefined ? {} : { zone: settings.zone }),
    });
  },
};
