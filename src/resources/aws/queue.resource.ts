import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue/index.js';
import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { hasEntries, tagsSchema } from '../tags.schema.js';

const FIFO_SUFFIX = '.fifo';
const NAME_MESSAGE = 'queueName must be 1-80 letters, digits, dashes and underscores, plus .fifo at the end of a FIFO queue\'s';
const VISIBILITY_MESSAGE = 'visibilityTimeoutSeconds must be a whole number of seconds from 0 to 43200 (12 hours)';
const RETENTION_MESSAGE = 'retentionSeconds must be a whole number of seconds from 60 (1 minute) to 1209600 (14 days)';

/** Input of an `aws.queue`; `tags` comes last, after the four fields a chat form has room for. */
export const awsQueueSchema = z
  .strictObject({
    queueName: z
      .string({ error: NAME_MESSAGE })
      .regex(/^[A-Za-z0-9_-]{1,75}(\.fifo)?$/, NAME_MESSAGE)
      .max(80, NAME_MESSAGE)
      .optional()
      .describe('Queue name (defaults to the resource name)'),
    fifo: z.boolean({ error: 'fifo must be true or false' }).default(false).describe('FIFO (ordered, exactly once)'),
    visibilityTimeoutSeconds: z
      .int({ error: VISIBILITY_MESSAGE })
      .min(0, VISIBILITY_MESSAGE)
      .max(43_200, VISIBILITY_MESSAGE)
      .default(30)
      .describe('Visibility timeout (seconds)'),
    retentionSeconds: z
      .int({ error: RETENTION_MESSAGE })
      .min(60, RETENTION_MESSAGE)
      .max(1_209_600, RETENTION_MESSAGE)
      .default(345_600)
      .describe('Message retention (seconds)'),
    tags: tagsSchema(),
  })
  .superRefine((queue, ctx) => {
    if (queue.queueName === undefined) return;
    // SQS ties the suffix to the kind: a FIFO queue's name ends in .fifo, and only a FIFO queue's may.
    const suffixed = queue.queueName.endsWith(FIFO_SUFFIX);
    if (queue.fifo !== suffixed) {
      ctx.addIssue({
        code: 'custom',
        path: ['queueName'],
        message: queue.fifo
          ? `queueName must end with ${FIFO_SUFFIX} because fifo is true (e.g. "${queue.queueName}${FIFO_SUFFIX}"), or leave it empty to use the resource name`
          : `queueName ends with ${FIFO_SUFFIX}, which SQS keeps for FIFO queues; set fifo to true or drop the suffix`,
      });
    }
  });

/** Validated config of an `aws.queue`. */
export type AwsQueueConfig = z.output<typeof awsQueueSchema>;

/**
 * An SQS queue (`aws_sqs_queue`), standard or FIFO. Its type is `aws.queue`:
 * `aws.sqs_queue` is the example plugin's (examples/acme-sqs-plugin), and two
 * plugins cannot register one type.
 */
export const awsQueueResource = defineResourceType({
  type: 'aws.queue',
  provider: 'aws',
  description: 'An SQS message queue, standard or FIFO.',
  quotaKey: 'queue',
  schema: awsQueueSchema,
  synthesize(scope, { name, config }) {
    // Resource names are 1-63 of [a-z0-9_-], so a name derived from one is a valid queue name.
    const queue = new SqsQueue(scope, name, {
      name: config.queueName ?? (config.fifo ? `${name}${FIFO_SUFFIX}` : name),
      fifoQueue: config.fifo,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
      messageRetentionSeconds: config.retentionSeconds,
      ...(hasEntries(config.tags) ? { tags: config.tags } : {}),
    });
    // For SQS the id is the URL.
    return { url: queue.url, arn: queue.arn };
  },
});
