// @ts-check
import { definePolicy } from 'cloud-engine';
import { z } from 'zod';
import { DEFAULT_RETENTION_SECONDS } from './sqs-queue.resource.js';

/** @import { PolicyViolation } from 'cloud-engine' */

const ID = 'acme.sqs-retention';
const SECONDS_PER_DAY = 86_400;

/** Settings at `settings.policies["acme.sqs-retention"]`; left out, every retention is allowed. */
export const sqsRetentionSettingsSchema = z
  .strictObject({
    maxRetentionDays: z
      .number({ error: 'maxRetentionDays must be a number of days, e.g. 4' })
      .positive('maxRetentionDays must be more than 0 days')
      .max(14, 'maxRetentionDays must be at most 14 days, the longest SQS keeps a message'),
  })
  .optional();

/**
 * Refuses SQS queues that keep messages longer than the project allows (data
 * retention rules), before anything is planned. `settings` is typed from the
 * schema: `{ maxRetentionDays: number } | undefined`.
 */
export const sqsRetentionPolicy = definePolicy({
  id: ID,
  description: 'Refuses SQS queues that keep messages longer than the project allows.',
  settingsSchema: sqsRetentionSettingsSchema,

  validateSession({ session, project, settings }) {
    if (!settings) return [];
    const limit = settings.maxRetentionDays * SECONDS_PER_DAY;
    /** @type {PolicyViolation[]} */
    const violations = [];
    for (const resource of session.resources) {
      if (resource.type !== 'aws.sqs_queue') continue;
      const configured = resource.config.messageRetentionSeconds;
      const seconds = typeof configured === 'number' ? configured : DEFAULT_RETENTION_SECONDS;
      if (seconds <= limit) continue;
      violations.push({
        code: 'SQS_RETENTION',
        address: resource.name,
        message:
          `aws.sqs_queue "${resource.name}" keeps messages for ${days(seconds)} (messageRetentionSeconds ${seconds}), ` +
          `longer than project ${project.id} allows (${days(limit)}). Remove the queue and add it again with ` +
          `messageRetentionSeconds at most ${limit}, or ask an admin to raise settings.policies["${ID}"].maxRetentionDays.`,
      });
    }
    return violations;
  },
});

/**
 * 345600 → "4 days", 3600 → "0.04 days"
 * @param {number} seconds
 */
function days(seconds) {
  const value = Number((seconds / SECONDS_PER_DAY).toFixed(2));
  return `${value} day${value === 1 ? '' : 's'}`;
}
