// @ts-check
// The binding is imported by its deep path: the package root loads every AWS resource (~2.5 s).
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue/index.js';
import { defineResourceType, tagsSchema } from 'cloud-engine';
import { z } from 'zod';

const NAME_CHARACTERS = /^[A-Za-z0-9_-]+(\.fifo)?$/;
const NAME_MESSAGE = 'queueName must be 1-80 characters: letters, digits, dashes and underscores, plus the .fifo suffix on FIFO queues';
const FIFO_SUFFIX = '.fifo';
const VISIBILITY_MESSAGE = 'visibilityTimeoutSeconds must be a whole number of seconds from 0 to 43200 (12 hours)';
const RETENTION_MESSAGE = 'messageRetentionSeconds must be a whole number of seconds from 60 (1 minute) to 1209600 (14 days)';

/** SQS keeps messages 4 days unless told otherwise; the policy falls back to it for configs saved without the field. */
export const DEFAULT_RETENTION_SECONDS = 345_600;

/** Input of an `aws.sqs_queue`; field order is the chat form's order (the first four fit a Discord modal). */
export const sqsQueueSchema = z
  .strictObject({
    queueName: z
      .string({ error: NAME_MESSAGE })
      .min(1, NAME_MESSAGE)
      .max(80, NAME_MESSAGE)
      .regex(NAME_CHARACTERS, NAME_MESSAGE)
      .optional()
      .describe('Queue name (defaults to the resource name)'),
    fifo: z.boolean({ error: 'fifo must be true or false' }).default(false).describe('FIFO queue (ordered, exactly once)'),
    visibilityTimeoutSeconds: z
      .int({ error: VISIBILITY_MESSAGE })
      .min(0, VISIBILITY_MESSAGE)
      .max(43_200, VISIBILITY_MESSAGE)
      .default(30)
      .describe('Visibility timeout (seconds)'),
    messageRetentionSeconds: z
      .int({ error: RETENTION_MESSAGE })
      .min(60, RETENTION_MESSAGE)
      .max(1_209_600, RETENTION_MESSAGE)
      .default(DEFAULT_RETENTION_SECONDS)
      .describe('Message retention (seconds)'),
    // The kernel's own tag rules (AWS limits: 50 tags, keys 1-128 and values up to 256 characters).
    tags: tagsSchema('Tags'),
  })
  .superRefine((queue, ctx) => {
    // SQS ties the suffix to the kind: a FIFO queue's name must end in .fifo, and only a FIFO queue's may.
    if (queue.queueName === undefined) return;
    const suffixed = queue.queueName.endsWith(FIFO_SUFFIX);
    if (queue.fifo && !suffixed) {
      ctx.addIssue({
        code: 'custom',
        path: ['queueName'],
        message: `queueName must end with ${FIFO_SUFFIX} because fifo is true (e.g. "${queue.queueName}${FIFO_SUFFIX}"), or leave it empty to use the resource name`,
      });
    } else if (!queue.fifo && suffixed) {
      ctx.addIssue({
        code: 'custom',
        path: ['queueName'],
        message: `queueName ends with ${FIFO_SUFFIX}, which SQS reserves for FIFO queues; set fifo to true or drop the suffix`,
      });
    }
  });

/** An Amazon SQS queue (`aws_sqs_queue`), standard or FIFO. */
export const sqsQueueResource = defineResourceType({
  type: 'aws.sqs_queue',
  provider: 'aws',
  description: 'An Amazon SQS message queue (standard or FIFO).',
  quotaKey: 'queue',
  schema: sqsQueueSchema,
  synthesize(scope, { name, config }) {
    // Resource names are 1-63 of [a-z0-9_-], so a name derived from one is always a valid queue name.
    const queueName = config.queueName ?? (config.fifo ? `${name}${FIFO_SUFFIX}` : name);
    // The construct id is the resource name: re-plans then never rename (and so never replace) the queue.
    const queue = new SqsQueue(scope, name, {
      name: queueName,
      fifoQueue: config.fifo,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      messageRetentionSeconds: config.messageRetentionSeconds,
      // Tag values arrive escaped for Terraform already; they go in unchanged. No tags, no attribute.
      ...(config.tags !== undefined && Object.keys(config.tags).length > 0 ? { tags: config.tags } : {}),
    });
    // Published as one Terraform output named after the resource; for SQS the id is the URL.
    return { url: queue.url, arn: queue.arn };
  },
});
