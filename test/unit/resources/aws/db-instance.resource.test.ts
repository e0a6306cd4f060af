import { describe, expect, it } from 'vitest';
import { awsProvider } from '../../../../src/providers/aws.provider.js';
import { awsDbInstanceResource, awsDbInstanceSchema } from '../../../../src/resources/aws/db-instance.resource.js';
import { issuesOf, synthSession } from '../synth.helper.js';

function synth(config: unknown, name = 'orders') {
  return synthSession({ provider: awsProvider, settings: { region: 'us-east-1' }, resources: [{ type: awsDbInstanceResource, name, config }] });
}

describe('aws.db_instance schema', () => {
  it('has no field a password could go in, and refuses one', () => {
    expect(Object.keys(awsDbInstanceSchema.shape)).toEqual(['engine', 'instanceClass', 'allocatedStorage', 'dbName', 'username', 'tags']);
    expect(issuesOf(awsDbInstanceSchema, { password: 'hunter2hunter2' })).toEqual([{ path: '', message: expect.stringContaining('password') }]);
  });

  it.each([
    [{ engine: 'oracle' }, 'engine', /postgres or mysql/],
    [{ instanceClass: 't3.micro' }, 'instanceClass', /db\.t3\.micro/],
    [{ allocatedStorage: 10 }, 'allocatedStorage', /from 20 to 65536/],
    [{ allocatedStorage: 20.5 }, 'allocatedStorage', /whole number/],
    [{ dbName: '1orders' }, 'dbName', /starting with a letter/],
    [{ username: 'a-b' }, 'username', /letters, digits and underscores/],
  ])('rejects %j at its field with what is expected', (input, path, message) => {
    const issues = issuesOf(awsDbInstanceSchema, input);
    expect(issues[0]).toMatchObject({ path });
    expect(issues[0]!.message).toMatch(message);
  });
});

describe('aws.db_instance synthesis', () => {
  it('names the database after the resource, lets AWS keep the password in Secrets Manager, and outputs where to connect and the secret ARN', () => {
    const json = synth({ dbName: 'orders', tags: { team: 'data' } });
    expect(json.resource!.aws_db_instance!.orders).toEqual({
      identifier: 'orders',
      engine: 'postgres',
      instance_class: 'db.t3.micro',
      allocated_storage: 20,
      storage_type: 'gp3',
      username: 'dbadmin',
      manage_master_user_password: true,
      db_name: 'orders',
      apply_immediately: true,
      skip_final_snapshot: true,
      tags: { team: 'data' },
    });
    expect(json.output!.orders!.value).toEqual({
      id: '${aws_db_instance.orders.resource_id}',
      arn: '${aws_db_instance.orders.arn}',
      endpoint: '${aws_db_instance.orders.endpoint}',
      address: '${aws_db_instance.orders.address}',
      port: '${aws_db_instance.orders.port}',
      master_user_secret_arn: '${aws_db_instance.orders.master_user_secret[0].secret_arn}',
    });
    expect(JSON.stringify(json)).not.toMatch(/"password"/);
  });

  it('refuses a resource name RDS cannot take as an identifier, naming it and a name that works', () => {
    expect(() => synth({}, 'orders_db')).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', field: 'name', message: expect.stringContaining('(e.g. orders-db)') }),
    );
  });
});
