import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table/index.js';
import { z } from 'zod';
import { CloudEngineError, ErrorCode } from '../../kernel/errors.js';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { hasEntries, tagsSchema } from '../tags.schema.js';

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TABLE_NAME_MESSAGE = 'tableName must be 3-255 characters: letters, digits, underscores, dots and dashes';
const CAPACITY_MESSAGE = 'capacity must be a whole number of units from 1 to 40000';

function capacity(label: string) {
  return z
    .int({ error: CAPACITY_MESSAGE })
    .min(1, CAPACITY_MESSAGE)
    .max(40_000, CAPACITY_MESSAGE)
    .optional()
    .describe(label);
}

/** Input of an `aws.dynamodb_table`. */
export const awsDynamodbTableSchema = z
  .strictObject({
    tableName: z
      .string()
      .regex(TABLE_NAME, TABLE_NAME_MESSAGE)
      .optional()
      .describe('Table name (defaults to the resource name)'),
    hashKey: z
      .string({ error: 'hashKey is required, e.g. id' })
      .min(1, 'hashKey must be 1-255 characters')
      .max(255, 'hashKey must be 1-255 characters')
      .describe('Partition key attribute'),
    hashKeyType: z
      .enum(['S', 'N', 'B'], { error: 'hashKeyType must be S (string), N (number) or B (binary)' })
      .default('S')
      .describe('Partition key type'),
    billingMode: z
      .enum(['PAY_PER_REQUEST', 'PROVISIONED'], { error: 'billingMode must be PAY_PER_REQUEST or PROVISIONED' })
      .default('PAY_PER_REQUEST')
      .describe('Billing mode'),
    readCapacity: capacity('Read capacity units (PROVISIONED only)'),
    writeCapacity: capacity('Write capacity units (PROVISIONED only)'),
    tags: tagsSchema(),
  })
  .superRefine((table, ctx) => {
    for (const field of ['readCapacity', 'writeCapacity'] as const) {
      if (table.billingMode === 'PROVISIONED' && table[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `${field} is required when billingMode is PROVISIONED` });
      }
      // The AWS provider rejects capacities on on-demand tables at plan time; say so before planning.
      if (table.billingMode === 'PAY_PER_REQUEST' && table[field] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} must be empty when billingMode is PAY_PER_REQUEST (choose PROVISIONED to set capacity)`,
        });
      }
    }
  });

/** Validated config of an `aws.dynamodb_table`. */
export type AwsDynamodbTableConfig = z.output<typeof awsDynamodbTableSchema>;

/** A DynamoDB table keyed by one partition key (`aws_dynamodb_table`). */
export const awsDynamodbTableResource = defineResourceType({
  type: 'aws.dynamodb_table',
  provider: 'aws',
  description: 'A DynamoDB table with a partition key.',
  quotaKey: 'database',
  schema: awsDynamodbTableSchema,
  synthesize(scope, { name, config }) {
    const tableName = config.tableName ?? name;
    // The schema cannot see the resource name, so a defaulted name is checked here.
    if (!TABLE_NAME.test(tableName)) {
      throw new CloudEngineError(
        ErrorCode.INVALID_INPUT,
        `Table name ${JSON.stringify(tableName)} (from the resource name) is too short for DynamoDB; set tableName to 3-255 letters, digits, underscores, dots or dashes.`,
        { field: 'tableName', value: tableName },
      );
    }
    const table = new DynamodbTable(scope, name, {
      name: tableName,
      hashKey: config.hashKey,
      attribute: [{ name: config.hashKey, type: config.hashKeyType }],
      billingMode: config.billingMode,
      ...(config.billingMode === 'PROVISIONED'
        ? { readCapacity: config.readCapacity, writeCapacity: config.writeCapacity }
        : {}),
      ...(hasEntries(config.tags) ? { tags: config.tags } : {}),
    });
    return { id: table.id, arn: table.arn };
  },
});
