import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadBucketCommand, ListBucketsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/**
 * Local AWS emulators for integration tests, each on 127.0.0.1 on a free port:
 * s3rver (S3, files in a fresh tmp dir) and dynalite (DynamoDB, in memory).
 * They are checked with the services' own API through the AWS SDK clients.
 */

const require = createRequire(import.meta.url);

// The SDK warns once per process that its releases from 2027 on need Node 22; the versions pinned here run on 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function resolvable(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

export const HAS_S3RVER = resolvable('s3rver');
export const HAS_DYNALITE = resolvable('dynalite');
export const HAS_AWS_EMULATORS = HAS_S3RVER && HAS_DYNALITE;

const MISSING = [HAS_S3RVER ? '' : 's3rver', HAS_DYNALITE ? '' : 'dynalite'].filter(Boolean);

/** Why the emulator tests are skipped, for a console message; empty when they can run. */
export const NO_AWS_EMULATORS_REASON = HAS_AWS_EMULATORS
  ? ''
  : `AWS emulator tests skipped: npm package ${MISSING.join(' and ')} not installed (devDependencies: run npm ci).`;

export const EMULATOR_REGION = 'us-east-1';

/** The key pair s3rver accepts by default (it verifies SigV4 signatures against it); dynalite accepts any. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * The environment terraform needs to talk to the emulators as the standard AWS
 * chain would: the fake keys, and no EC2 metadata lookups, shared files or profiles.
 */
export const EMULATOR_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  AWS_REGION: EMULATOR_REGION,
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_CONFIG_FILE: '/dev/null',
};
const UNSET_AWS_ENV = ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_DYNAMODB'];

/**
 * Puts `EMULATOR_AWS_ENV` into process.env (the kernel's terraform runs inherit it, as in production)
 * and returns a function that restores every variable it touched.
 */
export function useEmulatorAwsEnv(): () => void {
  const touched = [...Object.keys(EMULATOR_AWS_ENV), ...UNSET_AWS_ENV];
  const saved = new Map(touched.map((name) => [name, process.env[name]]));
  for (const name of UNSET_AWS_ENV) delete process.env[name];
  Object.assign(process.env, EMULATOR_AWS_ENV);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

/** Rejects after `ms` with a message naming what took too long. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000}s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes an HTTP server, cutting idle and active keep-alive connections so close cannot hang. */
async function closeServer(server: Server, close: (done: (error?: Error) => void) => void, what: string): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => close((error) => (error && (error as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(error) : resolve())));
  server.closeIdleConnections();
  server.closeAllConnections();
  await within(STOP_TIMEOUT_MS, `stopping ${what}`, closed);
}

function urlOf(server: Server): string {
  const address = server.address() as AddressInfo | null;
  if (!address || typeof address !== 'object') throw new Error('emulator is not listening');
  return `http://127.0.0.1:${address.port}`;
}

// --- s3rver ---------------------------------------------------------------------------------------

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(callback: (error?: Error) => void): unknown;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

export interface S3Emulator {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** An SDK client for the emulator (path-style, the emulator's keys). */
  readonly client: S3Client;
  bucketNames(): Promise<string[]>;
  bucketExists(bucket: string): Promise<boolean>;
  /** Keys under `prefix` (all keys without one). */
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  getText(bucket: string, key: string): Promise<string>;
  /** Stops the server and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 on a free port, silent, storing objects in a fresh tmp dir. */
export async function startS3rver(options: { buckets?: readonly string[] } = {}): Promise<S3Emulator> {
  if (!HAS_S3RVER) throw new Error(NO_AWS_EMULATORS_REASON);
  const S3rver = require('s3rver') as S3rverConstructor;
  const directory = mkdtempSync(join(tmpdir(), 'cloud-engine-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Buckets are reached path-style only (http://127.0.0.1:port/bucket/key).
    vhostBuckets: false,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  let client: S3Client | undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client?.destroy();
    try {
      if (server.httpServer) await closeServer(server.httpServer, (done) => server.close(done), 's3rver');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
  try {
    await within(START_TIMEOUT_MS, 'starting s3rver', server.run());
    const url = urlOf(server.httpServer!);
    const s3 = new S3Client({ endpoint: url, region: EMULATOR_REGION, forcePathStyle: true, credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });
    client = s3;
    const emulator: S3Emulator = {
      url,
      client: s3,
      async bucketNames() {
        const listed = await s3.send(new ListBucketsCommand({}));
        return (listed.Buckets ?? []).map((bucket) => bucket.Name ?? '').sort();
      },
      async bucketExists(bucket) {
        try {
          await s3.send(new HeadBucketCommand({ Bucket: bucket }));
          return true;
        } catch (error) {
          if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
          throw error;
        }
      },
      async listKeys(bucket, prefix) {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
        return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
      },
      async getText(bucket, key) {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return (await object.Body?.transformToString('utf8')) ?? '';
      },
      stop,
    };
    // Proves the server answers signed S3 requests before any test relies on it.
    await within(START_TIMEOUT_MS, 'the first s3rver request', emulator.bucketNames());
    return emulator;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

// --- dynalite -------------------------------------------------------------------------------------

type DynaliteFactory = (options: Record<string, unknown>) => Server;

export interface DynamoEmulator {
  readonly url: string;
  readonly client: DynamoDBClient;
  tableNames(): Promise<string[]>;
  /** The table's description, or undefined when there is no such table. */
  describeTable(name: string): Promise<TableDescription | undefined>;
  /** Creates a terraform state-lock table (hash key LockID, a string) and waits until it is ACTIVE. */
  createLockTable(name: string): Promise<void>;
  /** Every item of a table, in DynamoDB's JSON. */
  scan(name: string): Promise<Record<string, unknown>[]>;
  /** Stops the server (its data lived in memory). Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 on a free port, in memory, with tables ACTIVE at once. */
export async function startDynalite(): Promise<DynamoEmulator> {
  if (!HAS_DYNALITE) throw new Error(NO_AWS_EMULATORS_REASON);
  const dynalite = require('dynalite') as DynaliteFactory;
  // No `path`: the store is memory-level. Zero delays: tables are ACTIVE as soon as they are created.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  let client: DynamoDBClient | undefined;
  let listening = false;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client?.destroy();
    if (listening) await closeServer(server, (done) => server.close(done), 'dynalite');
  };
  try {
    await within(
      START_TIMEOUT_MS,
      'starting dynalite',
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      }),
    );
    listening = true;
    const url = urlOf(server);
    const dynamodb = new DynamoDBClient({ endpoint: url, region: EMULATOR_REGION, credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });
    client = dynamodb;
    const describeTable = async (name: string) => {
      try {
        return (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    };
    const emulator: DynamoEmulator = {
      url,
      client: dynamodb,
      async tableNames() {
        return ((await dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).sort();
      },
      describeTable,
      async createLockTable(name) {
        await dynamodb.send(
          new CreateTableCommand({
            TableName: name,
            AttributeDefinitions: [{ AttributeName: 'LockID', AttributeType: 'S' }],
            KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        );
        const deadline = Date.now() + START_TIMEOUT_MS;
        while ((await describeTable(name))?.TableStatus !== 'ACTIVE') {
          if (Date.now() > deadline) throw new Error(`lock table ${name} did not become ACTIVE within ${START_TIMEOUT_MS / 1000}s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
      async scan(name) {
        return ((await dynamodb.send(new ScanCommand({ TableName: name }))).Items ?? []) as Record<string, unknown>[];
      },
      stop,
    };
    await within(START_TIMEOUT_MS, 'the first dynalite request', emulator.tableNames());
    return emulator;
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

// --- both -----------------------------------------------------------------------------------------

export interface AwsEmulators {
  readonly s3: S3Emulator;
  readonly dynamodb: DynamoEmulator;
  /** Stops both; safe to call twice, and after a failed start. */
  stop(): Promise<void>;
}

/** Starts s3rver and dynalite; if either fails, whatever started is stopped again. */
export async function startAwsEmulators(options: { buckets?: readonly string[] } = {}): Promise<AwsEmulators> {
  const [s3, dynamodb] = await Promise.allSettled([startS3rver(options), startDynalite()]);
  const stopAll = async () => {
    const results = await Promise.allSettled([
      s3.status === 'fulfilled' ? s3.value.stop() : undefined,
      dynamodb.status === 'fulfilled' ? dynamodb.value.stop() : undefined,
    ]);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
  if (s3.status === 'rejected' || dynamodb.status === 'rejected') {
    await stopAll().catch(() => undefined);
    throw s3.status === 'rejected' ? s3.reason : (dynamodb as PromiseRejectedResult).reason;
  }
  return { s3: s3.value, dynamodb: dynamodb.value, stop: stopAll };
}
