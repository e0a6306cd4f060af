import { DbInstance } from '@cdktf/provider-aws/lib/db-instance/index.js';
import { z } from 'zod';
import { CloudEngineError, ErrorCode } from '../../kernel/errors.js';
import { defineResourceType } from '../../kernel/plugin/resource-type.js';
import { hasEntries, tagsSchema } from '../tags.schema.js';

/** What RDS accepts as a DB instance identifier: a letter, then letters, digits and single dashes, at most 63. */
const IDENTIFIER = /^[a-z](?:-?[a-z0-9])*$/;
const CLASS_MESSAGE = 'instanceClass must be an RDS instance class: db.family.size in lowercase, e.g. db.t3.micro';
const STORAGE_MESSAGE = 'allocatedStorage must be a whole number of GB from 20 to 65536 (it can grow later, never shrink)';
const DB_NAME_MESSAGE = 'dbName must be 1-63 letters, digits and underscores, starting with a letter';
const USERNAME_MESSAGE = 'username must be 1-16 letters, digits and underscores, starting with a letter';

/** Input of an `aws.db_instance`. There is deliberately no password field: RDS keeps the password in Secrets Manager. */
export const awsDbInstanceSchema = z.strictObject({
  engine: z.enum(['postgres', 'mysql'], { error: 'engine must be postgres or mysql' }).default('postgres').describe('Engine (changing it replaces the DB)'),
  instanceClass: z
    .string({ error: CLASS_MESSAGE })
    .regex(/^db\.[a-z][a-z0-9-]{0,15}\.[a-z0-9]{1,16}$/, CLASS_MESSAGE)
    .default('db.t3.micro')
    .describe('Instance class'),
  allocatedStorage: z.int({ error: STORAGE_MESSAGE }).min(20, STORAGE_MESSAGE).max(65_536, STORAGE_MESSAGE).default(20).describe('Storage in GB (grows only)'),
  dbName: z
    .string({ error: DB_NAME_MESSAGE })
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,62}$/, DB_NAME_MESSAGE)
    .optional()
    .describe('Database to create (none when empty)'),
  username: z
    .string({ error: USERNAME_MESSAGE })
    .regex(/^[A-Za-z][A-Za-z0-9_]{0,15}$/, USERNAME_MESSAGE)
    .default('dbadmin')
    .describe('Master user name'),
  tags: tagsSchema(),
});

/** Validated config of an `aws.db_instance`. */
export type AwsDbInstanceConfig = z.output<typeof awsDbInstanceSchema>;

/**
 * An RDS database instance (`aws_db_instance`), PostgreSQL or MySQL, named
 * after the resource. Its master password is generated and kept by AWS in
 * Secrets Manager (`manage_master_user_password`): it is in no field, no
 * plan and no state, and the outputs carry only the secret's ARN. Changes
 * apply immediately, and a teardown takes no final snapshot.
 */
export const awsDbInstanceResource = defineResourceType({
  type: 'aws.db_instance',
  provider: 'aws',
  description: 'An RDS database (PostgreSQL or MySQL); AWS keeps its password in Secrets Manager.',
  quotaKey: 'database',
  schema: awsDbInstanceSchema,
  synthesize(scope, { name, config }) {
    // The schema cannot see the resource name, which RDS restricts more than the kernel does.
    if (!IDENTIFIER.test(name)) {
      throw new CloudEngineError(
        ErrorCode.INVALID_INPUT,
        `Database ${name}: RDS needs an identifier of lowercase letters, digits and single dashes, starting with a letter and not ending with a dash; remove it and add it again under such a name (e.g. ${name.replace(/[^a-z0-9]+/g, '-').replace(/^[^a-z]+|-+$/g, '') || 'db'}).`,
        { field: 'name', value: name },
      );
    }
    const db = new DbInstance(scope, name, {
      identifier: name,
      engine: config.engine,
      instanceClass: config.instanceClass,
      allocatedStorage: config.allocatedStorage,
      storageType: 'gp3',
      username: config.username,
      // AWS generates the password and keeps it in Secrets Manager: nothing here, in the plan or in the state holds it.
      manageMasterUserPassword: true,
      ...(config.dbName === undefined ? {} : { dbName: config.dbName }),
      // A change asked for in chat is meant now, not in the next maintenance window.
      applyImmediately: true,
      // A snapshot would need a name unique forever. Deletes nobody asked for (a replacement, e.g. a new engine) are what
      // destroy-guard refuses by default; a teardown is asked for and approved.
      skipFinalSnapshot: true,
      ...(hasEntries(config.tags) ? { tags: config.tags } : {}),
    });
    return {
      id: db.resourceId,
      arn: db.arn,
      endpoint: db.endpoint,
      address: db.address,
      port: db.port,
      master_user_secret_arn: db.masterUserSecret.get(0).secretArn,
    };
  },
});
