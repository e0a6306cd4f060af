// @ts-check
import { definePlugin } from 'cloud-engine';
import { sqsCostEstimator } from './sqs-cost.estimator.js';
import { sqsQueueResource } from './sqs-queue.resource.js';
import { sqsRetentionPolicy } from './sqs-retention.policy.js';

/** Amazon SQS for Cloud Engine: the `aws.sqs_queue` type, the `acme.sqs-retention` policy and SQS request pricing. */
export const acmeSqsPlugin = definePlugin({
  id: 'acme.sqs',
  // register only declares; the kernel calls the contributions when sessions need them.
  register(ctx) {
    ctx.addResourceType(sqsQueueResource);
    ctx.addPolicyValidator(sqsRetentionPolicy);
    ctx.addCostEstimator(sqsCostEstimator);
  },
});

export default acmeSqsPlugin;
export { sqsCostEstimator, sqsQueueResource, sqsRetentionPolicy };
