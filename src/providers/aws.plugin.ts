import { definePlugin } from '../kernel/plugin/define-plugin.js';
import { awsDynamodbTableResource } from '../resources/aws/dynamodb-table.resource.js';
import { awsInstanceResource } from '../resources/aws/instance.resource.js';
import { awsS3BucketResource } from '../resources/aws/s3-bucket.resource.js';
import { awsProvider } from './aws.provider.js';

/** AWS and its resource types (`aws.instance`, `aws.s3_bucket`, `aws.dynamodb_table`). */
export const awsPlugin = definePlugin({
  id: 'aws',
  register(ctx) {
    ctx.addProvider(awsProvider);
    ctx.addResourceType(awsInstanceResource);
    ctx.addResourceType(awsS3BucketResource);
    ctx.addResourceType(awsDynamodbTableResource);
  },
});

export default awsPlugin;
