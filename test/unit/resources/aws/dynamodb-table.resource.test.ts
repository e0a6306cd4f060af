import { describe, expect, it } from 'vitest';
import { isCloudEngineError } from '../../../../src/kernel/errors.js';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import {
  awsDynamodbTableResource,
  awsDynamodbTableSchema,
} from '../../../../src/resources/aws/dynamodb-table.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown, name = 'orders') {
  return synthSession({
    provider: awsProvider,
    settings: { region: 'us-east-1' },
    resources: [{ type: awsDynamodbTableResource, name, config }],
  });
}

describe('aws.dynamodb_table schema', () => {
  it('defaults the key type to S and billing to PAY_PER_REQUEST', () => {
    expect(awsDynamodbTableSchema.parse({ hashKey: 'id' })).toEqual({
      hashKey: 'id',
      hashKeyType: 'S',
      billingMode: 'PAY_PER_REQUEST',
    });
  });

  it('requires both capacities under PROVISIONED, naming each missing field', () => {
    expect(issuesOf(awsDynamodbTableSchema, { hashKey: 'id', billingMode: 'PROVISIONED' })).toEqual([
      { path: 'readCapacity', message: 'readCapacity is required when billingMode is PROVISIONED' },
      { path: 'writeCapacity', message: 'writeCapacity is required when billingMode is PROVISIONED' },
    ]);
  });

  it('rejects a capacity under PAY_PER_REQUEST, which the AWS provider would refuse at plan time', () => {
    expect(issuesOf(awsDynamodbTableSchema, { hashKey: 'id', readCapacity: 5 })).toEqual([
      {
        path: 'readCapacity',
        message: 'readCapacity must be empty when billingMode is PAY_PER_REQUEST (choose PROVISIONED to set capacity)',
      },
    ]);
  });

  it.each([
    [{ hashKey: 'id', tableName: 'ab' }, 'tableName', /3-255 characters/],
    [{ hashKey: 'id', tableName: 'has space' }, 'tableName', /letters, digits, underscores, dots and dashes/],
    [{}, 'hashKey', /hashKey is required/],
    [{ hashKey: '' }, 'hashKey', /1-255 characters/],
    [{ hashKey: 'id', hashKeyType: 'X' }, 'hashKeyType', /S \(string\), N \(number\) or B \(binary\)/],
    [{ hashKey: 'id', billingMode: 'ON_DEMAND' }, 'billingMode', /PAY_PER_REQUEST or PROVISIONED/],
    [{ hashKey: 'id', billingMode: 'PROVISIONED', readCapacity: 0, writeCapacity: 1 }, 'readCapacity', /1 to 40000/],
    [{ hashKey: 'id', billingMode: 'PROVISIONED', readCapacity: 1, writeCapacity: 2.5 }, 'writeCapacity', /whole number/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsDynamodbTableSchema, input);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe(path);
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.dynamodb_table synthesis', () => {
  it('names the table after the resource by default and declares the hash key attribute', () => {
    const table = synth({ hashKey: 'orderId', hashKeyType: 'N' }).resource!.aws_dynamodb_table!.orders!;
    expect(table).toEqual({
      name: 'orders',
      hash_key: 'orderId',
      attribute: [{ name: 'orderId', type: 'N' }],
      billing_mode: 'PAY_PER_REQUEST',
    });
  });

  it('uses the given table name, capacities and tags under PROVISIONED', () => {
    const table = synth({
      tableName: 'Orders.v2',
      hashKey: 'id',
      billingMode: 'PROVISIONED',
      readCapacity: 5,
      writeCapacity: 2,
      tags: { team: 'shop' },
    }).resource!.aws_dynamodb_table!.orders!;
    expect(table).toMatchObject({
      name: 'Orders.v2',
      billing_mode: 'PROVISIONED',
      read_capacity: 5,
      write_capacity: 2,
      tags: { team: 'shop' },
    });
  });

  it('refuses with a user error when the defaulted name is too short for DynamoDB', () => {
    let caught: unknown;
    try {
      synth({ hashKey: 'id' }, 'db');
    } catch (error) {
      caught = error;
    }
    expect(isCloudEngineError(caught, 'INVALID_INPUT')).toBe(true);
    expect((caught as Error).message).toMatch(/set tableName/);
  });

  it('outputs the id and ARN under ids derived from the resource name', () => {
    const json = synth({ hashKey: 'id' });
    expect(json.output!.orders!.value.id).toBe('${aws_dynamodb_table.orders.id}');
    expect(json.output!.orders!.value.arn).toBe('${aws_dynamodb_table.orders.arn}');
  });
});
