import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../support/postgres.js';
import { rejection } from '../support/rejection.js';
import { startTestKernel } from '../support/test-kernel.js';

if (!HAS_POSTGRES) console.warn(NO_POSTGRES_REASON);

describe.skipIf(!HAS_POSTGRES)('dashboard sign-ins on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('migrates dashboard_sessions, and of two kernels opening one link at once exactly one opens a session', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-dashboard-pg-'));
    const options = { dataDir, lifecycleInterval: 0, database: { type: 'postgres', url: server.url } };
    const a = await startTestKernel(options);
    const b = await startTestKernel(options);
    try {
      const link = await a.kernel.signIns.issueLink('alice', 'http://127.0.0.1:8080');
      const results = await Promise.allSettled([a.kernel.signIns.redeem(link.token), b.kernel.signIns.redeem(link.token)]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const opened = results.find((result) => result.status === 'fulfilled') as PromiseFulfilledResult<{ token: string }>;
      expect(await b.kernel.signIns.authenticate(opened.value.token)).toMatchObject({ userId: 'alice' });
      expect((await rejection(a.kernel.signIns.redeem(link.token))).code).toBe('INVALID_INPUT');
      expect(await a.kernel.signIns.revokeUser('alice')).toBe(1);
      expect(await b.kernel.signIns.authenticate(opened.value.token)).toBeNull();
    } finally {
      await a.dispose();
      await b.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
