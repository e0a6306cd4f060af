import { definePlugin } from '../../kernel/plugin/define-plugin.js';
import { awsDynamodbTableResource } from '../../resources/aws/dynamodb-table.resource.js';
import { awsInstanceResource } from '../../resources/aws/instance.resource.js';
import { awsS3BucketResource } from '../../resources/aws/s3-bucket.resource.js';
import { googleComputeInstanceResource } from '../../resources/google/compute-instance.resource.js';
import { googleStorageBucketResource } from '../../resources/google/storage-bucket.resource.js';
import { sandboxBucketResource } from '../../resources/sandbox/bucket.resource.js';
import { sandboxVmResource } from '../../resources/sandbox/vm.resource.js';
import { allowedValuesPolicy } from './allowed-values.policy.js';
import { costLimitPolicy } from './cost-limit.policy.js';
import { destroyGuardPolicy } from './destroy-guard.policy.js';
import { createRequiredTagsPolicy, taggableTypes } from './required-tags.policy.js';

// Read from the schemas rather than listed by hand, so a built-in type that gains tags is covered at once.
const BUILTIN_TAGGABLE = taggableTypes([
  awsInstanceResource,
  awsS3BucketResource,
  awsDynamodbTableResource,
  googleComputeInstanceResource,
  googleStorageBucketResource,
  sandboxVmResource,
  sandboxBucketResource,
]);

/** The built-in policies: allowed values, required tags, cost limits and the destroy guard, each configured per project. */
export const policiesPlugin = definePlugin({
  id: 'policies',
  register(ctx) {
    ctx.addPolicyValidator(allowedValuesPolicy);
    ctx.addPolicyValidator(createRequiredTagsPolicy(BUILTIN_TAGGABLE));
    ctx.addPolicyValidator(costLimitPolicy);
    ctx.addPolicyValidator(destroyGuardPolicy);
  },
});

export default policiesPlugin;
