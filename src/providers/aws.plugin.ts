import { definePlugin } from '../kernel/plugin/define-plugin.js';
import { awsDbInstanceResource } from '../resources/aws/db-instance.resource.js';
import { awsDynamodbTableResource } from '../resources/aws/dynamodb-table.resource.js';
import { awsIamRoleResource } from '../resources/aws/iam-role.resource.js';
import { awsInstanceResource } from '../resources/aws/instance.resource.js';
import { awsQueueResource } from '../resources/aws/queue.resource.js';
import { awsS3BucketResource } from '../resources/aws/s3-bucket.resource.js';
import { awsSecurityGroupResource } from '../resources/aws/security-group.resource.js';
import { awsSnsTopicResource } from '../resources/aws/sns-topic.resource.js';
import { awsSubnetResource } from '../resources/aws/subnet.resource.js';
import { awsVpcResource } from '../resources/aws/vpc.resource.js';
import { awsWebServiceResource } from '../resources/aws/web-service.resource.js';
import { awsProvider } from './aws.provider.js';

/**
 * AWS and its resource types: networks (`aws.vpc`, `aws.subnet`,
 * `aws.security_group`), `aws.instance`, `aws.iam_role`, `aws.s3_bucket`,
 * `aws.dynamodb_table`, `aws.queue` (SQS), `aws.sns_topic`, `aws.db_instance`
 * (RDS), and the blueprint `aws.web_service` (all of a web server's parts in one).
 */
export const awsPlugin = definePlugin({
  id: 'aws',
  register(ctx) {
    ctx.addProvider(awsProvider);
    ctx.addResourceType(awsInstanceResource);
    ctx.addResourceType(awsS3BucketResource);
    ctx.addResourceType(awsDynamodbTableResource);
    ctx.addResourceType(awsVpcResource);
    ctx.addResourceType(awsSubnetResource);
    ctx.addResourceType(awsSecurityGroupResource);
    ctx.addResourceType(awsIamRoleResource);
    ctx.addResourceType(awsQueueResource);
    ctx.addResourceType(awsSnsTopicResource);
    ctx.addResourceType(awsDbInstanceResource);
    ctx.addResourceType(awsWebServiceResource);
  },
});

export default awsPlugin;
