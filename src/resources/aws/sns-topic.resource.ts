import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic/index.js';
import { z } from 'zod';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { hasEntries, tagsSchema } from '../tags.schema.js';

const FIFO_SUFFIX = '.fifo';
const NAME_MESSAGE = 'topicName must be 1-256 letters, digits, dashes and underscores, plus .fifo at the end of a FIFO topic\'s';

/** Input of an `aws.sns_topic`. */
export const awsSnsTopicSchema = z
  .strictObject({
    topicName: z
      .string({ error: NAME_MESSAGE })
      .regex(/^[A-Za-z0-9_-]{1,251}(\.fifo)?$/, NAME_MESSAGE)
      .optional()
      .describe('Topic name (defaults to the resource name)'),
    fifo: z.boolean({ error: 'fifo must be true or false' }).default(false).describe('FIFO (ordered)'),
    displayName: z
      .string({ error: 'displayName must be text' })
      .max(100, 'displayName must be at most 100 characters')
      .optional()
      .describe('Display name (SMS sender)'),
    tags: tagsSchema(),
  })
  .superRefine((topic, ctx) => {
    if (topic.topicName === undefined) return;
    const suffixed = topic.topicName.endsWith(FIFO_SUFFIX);
    if (topic.fifo !== suffixed) {
      ctx.addIssue({
        code: 'custom',
        path: ['topicName'],
        message: topic.fifo
          ? `topicName must end with ${FIFO_SUFFIX} because fifo is true (e.g. "${topic.topicName}${FIFO_SUFFIX}"), or leave it empty to use the resource name`
          : `topicName ends with ${FIFO_SUFFIX}, which SNS keeps for FIFO topics; set fifo to true or drop the suffix`,
      });
    }
  });

/** Validated config of an `aws.sns_topic`. */
export type AwsSnsTopicConfig = z.output<typeof awsSnsTopicSchema>;

/** An SNS topic (`aws_sns_topic`), standard or FIFO. */
export const awsSnsTopicResource = defineResourceType({
  type: 'aws.sns_topic',
  provider: 'aws',
  description: 'An SNS topic (publish/subscribe), standard or FIFO.',
  quotaKey: 'topic',
  schema: awsSnsTopicSchema,
  synthesize(scope, { name, config }) {
    const topic = new SnsTopic(scope, name, {
      name: config.topicName ?? (config.fifo ? `${name}${FIFO_SUFFIX}` : name),
      fifoTopic: config.fifo,
      ...(config.displayName === undefined ? {} : { displayName: config.displayName }),
      ...(hasEntries(config.tags) ? { tags: config.tags } : {}),
    });
    return { arn: topic.arn, name: topic.name };
  },
});
