import { GcsBackend, LocalBackend, PgBackend, S3Backend } from 'cdktf';
import type { Construct } from 'constructs';
import { z } from 'zod';

const prefix = z
  .string()
  .regex(/^[a-zA-Z0-9._\-/]{1,200}$/, 'use letters, digits, dots, dashes, underscores and slashes')
  .default('cloud-engine');
const url = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/** Where a project keeps Terraform state: `settings.backend`. */
export const BackendSettingsSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('local') }),
  z.strictObject({
    type: z.literal('s3'),
    bucket: z.string().min(3).max(63),
    keyPrefix: prefix,
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region like us-east-1'),
    dynamodbTable: z.string().min(3).max(255).optional(),
    endpoints: z.strictObject({ s3: url.optional(), dynamodb: url.optional() }).optional(),
    /**
     * Skip the backend's credential, account and region checks (emulators). Defaults to the project's
     * `skipCredentialsValidation`; set it here when the project's provider has no such setting (sandbox).
     */
    skipCredentialsValidation: z.boolean({ error: 'skipCredentialsValidation must be true or false' }).optional(),
  }),
  z.strictObject({
    type: z.literal('pg'),
    // The password never goes here: terraform reads PGPASSWORD / PG_CONN_STR from the environment.
    connStr: z
      .string()
      .regex(/^postgres(ql)?:\/\/([^:@/]+@)?[^:@/]+(:\d+)?\/[^\s]*$/, 'expected postgres://user@host:port/db without a password (set PGPASSWORD in the environment)'),
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,30}$/, 'use up to 31 lowercase letters, digits and underscores').default('cloud_engine'),
  }),
  z.strictObject({ type: z.literal('gcs'), bucket: z.string().min(3).max(222), prefix }),
]);
export type BackendSettings = z.output<typeof BackendSettingsSchema>;

export interface BackendContext {
  readonly projectId: string;
  readonly sessionId: string;
  /** The project's `skipCredentialsValidation` (AWS), also applied to an s3 backend unless the backend sets its own. */
  readonly skipCredentialsValidation?: boolean;
}

/** Adds the session's state backend; each session gets its own key, prefix or schema. */
export function addStateBackend(scope: Construct, backend: BackendSettings | undefined, ctx: BackendContext): void {
  const sessionKey = `${ctx.projectId}/${ctx.sessionId}`;
  switch (backend?.type ?? 'local') {
    case 'local':
      new LocalBackend(scope, { path: 'terraform.tfstate' });
      return;
    case 's3': {
      const s3 = backend as Extract<BackendSettings, { type: 's3' }>;
      // Without the skips the backend asks STS who the caller is, which an emulator (or no network) cannot answer.
      const skip = (s3.skipCredentialsValidation ?? ctx.skipCredentialsValidation) === true;
      new S3Backend(scope, {
        bucket: s3.bucket,
        key: `${s3.keyPrefix}/${sessionKey}.tfstate`,
        region: s3.region,
        dynamodbTable: s3.dynamodbTable,
        endpoints: s3.endpoints ? { s3: s3.endpoints.s3, dynamodb: s3.endpoints.dynamodb } : undefined,
        usePathStyle: s3.endpoints?.s3 ? true : undefined,
        skipCredentialsValidation: skip || undefined,
        skipRequestingAccountId: skip || undefined,
        skipMetadataApiCheck: skip || undefined,
        skipRegionValidation: skip || undefined,
      });
      return;
    }
    case 'pg': {
      const pg = backend as Extract<BackendSettings, { type: 'pg' }>;
      new PgBackend(scope, {
        connStr: pg.connStr,
        schemaName: `${pg.schema}_${ctx.sessionId.replace(/[^a-z0-9_]/g, '_')}`,
      });
      return;
    }
    case 'gcs': {
      const gcs = backend as Extract<BackendSettings, { type: 'gcs' }>;
      new GcsBackend(scope, { bucket: gcs.bucket, prefix: `${gcs.prefix}/${sessionKey}` });
      return;
    }
  }
}

/** The workspace a session's state lives in on a pg backend (see `stateBackendEnvironment`). */
export const PG_SESSION_WORKSPACE = 'session';

/**
 * Environment terraform needs for the session's backend, to be merged into every terraform run of the
 * session (with the provider's environment).
 *
 * pg: terraform's pg backend locks a workspace with an advisory lock on its row, but while the row does
 * not exist yet it takes the creation lock `pg_advisory_lock(-1)` instead, which is one lock for the whole
 * database. The `default` workspace only gets its row when state is first written, so every session's
 * first plan and apply would hold that one lock, and another session's plan or apply on the same database
 * (in its own schema) would be refused. A named workspace gets its row when it is selected — `init` creates
 * it, holding the creation lock only for that moment — and from then on each session locks only its own row.
 */
export function stateBackendEnvironment(backend: BackendSettings | undefined): Record<string, string> {
  return backend?.type === 'pg' ? { TF_WORKSPACE: PG_SESSION_WORKSPACE } : {};
}
