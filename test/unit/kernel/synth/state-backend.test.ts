import { describe, expect, it } from 'vitest';
import { BackendSettingsSchema, PG_SESSION_WORKSPACE, stateBackendEnvironment } from '../../../../src/kernel/synth/state-backend.js';
import { synth } from './synth.fixture.js';

const AWS = { region: 'us-east-1' };

function backendOf(provider: 'sandbox' | 'aws', settings: Record<string, unknown>, ids = { projectId: 'proj-1', sessionId: 's-1' }) {
  return synth(provider, [], settings, ids).json.terraform!.backend;
}

describe('state backend block', () => {
  it('is a local terraform.tfstate when the project names no backend', () => {
    expect(backendOf('sandbox', {})).toEqual({ local: { path: 'terraform.tfstate' } });
    expect(backendOf('aws', AWS)).toEqual({ local: { path: 'terraform.tfstate' } });
  });

  it('is local when the backend is { type: "local" }', () => {
    expect(backendOf('sandbox', { backend: { type: 'local' } })).toEqual({ local: { path: 'terraform.tfstate' } });
  });

  it('keys s3 state per session as <keyPrefix>/<projectId>/<sessionId>.tfstate, with the default prefix', () => {
    expect(backendOf('aws', { ...AWS, backend: { type: 's3', bucket: 'acme-state', region: 'eu-west-1' } })).toEqual({
      s3: { bucket: 'acme-state', key: 'cloud-engine/proj-1/s-1.tfstate', region: 'eu-west-1' },
    });
  });

  it('gives two sessions of one project different s3 keys', () => {
    const settings = { ...AWS, backend: { type: 's3', bucket: 'acme-state', keyPrefix: 'team/a', region: 'us-east-1' } };
    expect(backendOf('aws', settings, { projectId: 'p', sessionId: 'one' })!.s3!.key).toBe('team/a/p/one.tfstate');
    expect(backendOf('aws', settings, { projectId: 'p', sessionId: 'two' })!.s3!.key).toBe('team/a/p/two.tfstate');
  });

  it('uses path-style s3 addressing when an s3 endpoint is set (emulators serve buckets under one host)', () => {
    const s3 = backendOf('aws', {
      ...AWS,
      backend: { type: 's3', bucket: 'acme-state', region: 'us-east-1', dynamodbTable: 'locks', endpoints: { s3: 'http://localhost:4566' } },
    })!.s3!;
    expect(s3).toMatchObject({ use_path_style: true, dynamodb_table: 'locks', endpoints: { s3: 'http://localhost:4566' } });
  });

  it('does not set path-style addressing when only a dynamodb endpoint is set', () => {
    const s3 = backendOf('aws', {
      ...AWS,
      backend: { type: 's3', bucket: 'acme-state', region: 'us-east-1', endpoints: { dynamodb: 'http://localhost:4566' } },
    })!.s3!;
    expect(s3).not.toHaveProperty('use_path_style');
  });

  it('carries the project\'s skipCredentialsValidation to the s3 backend as all four skip flags', () => {
    const backend = { type: 's3', bucket: 'acme-state', region: 'us-east-1' };
    expect(backendOf('aws', { ...AWS, skipCredentialsValidation: true, backend })!.s3).toMatchObject({
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
    });
    const strict = backendOf('aws', { ...AWS, skipCredentialsValidation: false, backend })!.s3!;
    expect(Object.keys(strict).filter((key) => key.startsWith('skip_'))).toEqual([]);
  });

  it('lets the s3 backend set skipCredentialsValidation itself, over the project\'s (a sandbox project has none)', () => {
    const backend = { type: 's3', bucket: 'acme-state', region: 'us-east-1', endpoints: { s3: 'http://127.0.0.1:4568' } };
    expect(backendOf('sandbox', { backend: { ...backend, skipCredentialsValidation: true } })!.s3).toMatchObject({
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
      use_path_style: true,
    });
    const overridden = backendOf('aws', { ...AWS, skipCredentialsValidation: true, backend: { ...backend, skipCredentialsValidation: false } })!.s3!;
    expect(Object.keys(overridden).filter((key) => key.startsWith('skip_'))).toEqual([]);
  });

  it('gives each session its own pg schema, made safe for Postgres', () => {
    const backend = { type: 'pg', connStr: 'postgres://ce@db.internal:5432/state' };
    expect(backendOf('sandbox', { backend }, { projectId: 'p', sessionId: 'a1-B2.c3' })).toEqual({
      pg: { conn_str: 'postgres://ce@db.internal:5432/state', schema_name: 'cloud_engine_a1__2_c3' },
    });
    expect(backendOf('sandbox', { backend: { ...backend, schema: 'team_a' } })!.pg!.schema_name).toBe('team_a_s_1');
  });

  it('prefixes gcs state per session as <prefix>/<projectId>/<sessionId>', () => {
    expect(backendOf('sandbox', { backend: { type: 'gcs', bucket: 'acme-state' } })).toEqual({
      gcs: { bucket: 'acme-state', prefix: 'cloud-engine/proj-1/s-1' },
    });
    expect(backendOf('sandbox', { backend: { type: 'gcs', bucket: 'acme-state', prefix: 'tf' } })!.gcs!.prefix).toBe('tf/proj-1/s-1');
  });
});

describe('stateBackendEnvironment', () => {
  it('selects a named workspace on a pg backend, so a session never holds the database-wide creation lock while it works', () => {
    expect(stateBackendEnvironment({ type: 'pg', connStr: 'postgres://ce@db/state', schema: 'cloud_engine' })).toEqual({ TF_WORKSPACE: PG_SESSION_WORKSPACE });
  });

  it('adds nothing for local, s3 and gcs state (s3 keys would move under env:/ with a workspace)', () => {
    expect(stateBackendEnvironment(undefined)).toEqual({});
    expect(stateBackendEnvironment({ type: 'local' })).toEqual({});
    expect(stateBackendEnvironment(BackendSettingsSchema.parse({ type: 's3', bucket: 'acme', region: 'us-east-1' }))).toEqual({});
    expect(stateBackendEnvironment(BackendSettingsSchema.parse({ type: 'gcs', bucket: 'acme' }))).toEqual({});
  });
});

describe('BackendSettingsSchema', () => {
  const messages = (input: unknown) => {
    const result = BackendSettingsSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('rejects a pg connStr that contains a password and says to use PGPASSWORD', () => {
    const issues = messages({ type: 'pg', connStr: 'postgres://ce:hunter2@db.internal:5432/state' });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^connStr: /);
    expect(issues[0]).toContain('PGPASSWORD');
  });

  it('accepts a pg connStr with a user and no password', () => {
    expect(messages({ type: 'pg', connStr: 'postgresql://ce@db.internal:5432/state?sslmode=require' })).toEqual([]);
  });

  it.each([
    ['an unknown backend type', { type: 'azurerm' }],
    ['an s3 backend without a bucket', { type: 's3', region: 'us-east-1' }],
    ['an s3 backend with a malformed region', { type: 's3', bucket: 'acme', region: 'US_EAST' }],
    ['an s3 skipCredentialsValidation that is not a boolean', { type: 's3', bucket: 'acme', region: 'us-east-1', skipCredentialsValidation: 'yes' }],
    ['an s3 endpoint that is not http(s)', { type: 's3', bucket: 'acme', region: 'us-east-1', endpoints: { s3: 'ftp://x' } }],
    ['a key prefix with spaces', { type: 's3', bucket: 'acme', region: 'us-east-1', keyPrefix: 'a b' }],
    ['a pg schema in uppercase', { type: 'pg', connStr: 'postgres://ce@db/state', schema: 'Team' }],
    ['an unknown key (typo)', { type: 'local', path: '/tmp/x' }],
  ])('rejects %s', (_situation, input) => {
    expect(messages(input).length).toBeGreaterThan(0);
  });
});
