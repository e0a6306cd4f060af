import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLobby, renderLobbyText } from '../../src/chat/lobby.js';
import { chatApiOf } from '../../src/kernel/plugin/chat-adapter.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { PlanResult } from '../../src/kernel/sessions/session-view.js';
import { useEmulatorAwsEnv } from '../support/aws-emulators.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, xmlValues, type MotoServer } from '../support/moto.js';
import { createProject, HAS_AWS_MIRROR, startTestKernel, TF_PLUGIN_DIR, type TestKernel } from '../support/test-kernel.js';

const CAN_RUN = HAS_AWS_MIRROR && HAS_MOTO;
if (!HAS_AWS_MIRROR) console.warn(`Skipping RDS on moto: no offline provider mirror at ${TF_PLUGIN_DIR} (set CLOUD_ENGINE_TF_PLUGIN_DIR).`);
if (!HAS_MOTO) console.warn(NO_MOTO_REASON);

type Outputs = Record<string, Record<string, string | number>>;

/** moto reads the service and region from the credential scope and checks no signature. */
function authorization(service: string): string {
  return `AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=none`;
}

/** One RDS Query API call (XML answer); the moto helper's query() knows IAM, SQS, SNS and EC2 only. */
async function rds(moto: MotoServer, action: string, params: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${moto.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: authorization('rds') },
    body: new URLSearchParams({ Action: action, Version: '2014-10-31', ...params }).toString(),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto rds ${action} answered ${response.status}: ${text.slice(0, 500)}`);
  return text;
}

/** One Secrets Manager call (its JSON protocol), as the SDK makes it. */
async function secretsManager(moto: MotoServer, action: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(`${moto.url}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `secretsmanager.${action}`, authorization: authorization('secretsmanager') },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto secretsmanager ${action} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Every string value under a key that names a password, anywhere in `value`, with its path. */
function passwordValues(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => passwordValues(item, `${path}[${index}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const here = `${path}.${key}`;
    const own = /passw/i.test(key) && typeof item === 'string' && item !== '(redacted)' ? [`${here}=${item}`] : [];
    return [...own, ...passwordValues(item, here)];
  });
}

// An RDS database through the kernel with the real AWS provider, on a moto server of its own: moto
// gives every DB instance the same resource id, so two tests' databases must not share a server.
// Creating one takes ~90 s of the provider's own waiting and destroying ~65 s, however fast moto answers.
describe.skipIf(!CAN_RUN)('aws.db_instance (RDS) applied for real on moto', () => {
  let moto: MotoServer;
  let t: TestKernel;
  let restoreEnv: (() => void) | undefined;
  const logged: string[] = [];

  beforeAll(async () => {
    restoreEnv = useEmulatorAwsEnv();
    // Debug logs, captured: the test reads everything the kernel logged.
    [moto, t] = await Promise.all([startMoto(), startTestKernel({ logLevel: 'debug', logDestination: { write: (line: string) => logged.push(line) } })]);
    await createProject(t.kernel, { id: 'rds', provider: 'aws', settings: { region: 'us-east-1', endpoint: moto.url, skipCredentialsValidation: true } });
  }, 60_000);

  afterAll(async () => {
    await t?.dispose().catch((error: unknown) => console.warn('kernel dispose failed', error));
    await moto?.stop().catch((error: unknown) => console.warn('moto stop failed', error));
    restoreEnv?.();
  }, 30_000);

  it('a PostgreSQL database: priced, applied with its password in Secrets Manager only, tags changed in place, destroyed; the password is nowhere we write', async () => {
    const { kernel } = t;
    const { orchestrator } = kernel;
    const apply = async (sessionId: string): Promise<{ plan: PlanResult; outputs: Outputs }> => {
      const plan = await orchestrator.runPlan(sessionId, 'alice');
      const applied = await orchestrator.approveAndApply(sessionId, 'bob');
      expect(applied.state, applied.error ?? '').toBe('APPLIED');
      return { plan, outputs: applied.outputs as Outputs };
    };
    const session = await orchestrator.startSession('alice', 'rds', undefined, { deployment: 'data' });
    await orchestrator.addResource(session.id, 'alice', { type: 'aws.db_instance', name: 'orders', config: { engine: 'postgres', dbName: 'orders', tags: { team: 'data' } } });

    const created = await apply(session.id);
    expect(created.plan.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
    // db.t3.micro PostgreSQL (0.018 × 730 = 13.14) + 20 GB gp3 (20 × 0.115 = 2.30).
    expect(created.plan.cost).toMatchObject({ monthly: 15.44, unpriced: [] });
    expect(created.plan.cost?.lines[0]).toMatchObject({ address: 'aws_db_instance.orders', assumption: expect.stringContaining('db.t3.micro PostgreSQL') });
    const { orders } = created.outputs;
    expect(orders).toMatchObject({
      arn: 'arn:aws:rds:us-east-1:123456789012:db:orders',
      address: expect.stringMatching(/^orders\./),
      endpoint: expect.stringMatching(/^orders\..*:5432$/),
      port: 5432,
      master_user_secret_arn: expect.stringMatching(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-/),
    });

    // The password exists, in Secrets Manager, and only there: asked of moto the way an application would.
    const secret = await secretsManager(moto, 'GetSecretValue', { SecretId: orders!.master_user_secret_arn });
    const password = (JSON.parse(secret.SecretString as string) as { password: string }).password;
    expect(password.length).toBeGreaterThanOrEqual(8);
    const described = async () => rds(moto, 'DescribeDBInstances', { DBInstanceIdentifier: 'orders' });
    expect(xmlValues(await described(), 'Engine')).toEqual(['postgres']);
    expect(xmlValues(await described(), 'AllocatedStorage')).toEqual(['20']);

    // Tags change in place without a ModifyDBInstance (5 s); moto takes a new allocatedStorage too, but the
    // provider then waits for the instance as on create (~80 s more), so the storage price change is unit-tested.
    const change = await orchestrator.startSession('alice', 'rds', undefined, { deployment: 'data' });
    await orchestrator.updateResource(change.id, 'alice', { name: 'orders', config: { engine: 'postgres', dbName: 'orders', tags: { team: 'data', tier: 'gold' } } });
    const changed = await apply(change.id);
    expect(changed.plan.summary).toBe('Plan: 0 to add, 1 to change, 0 to destroy.');
    expect(changed.plan.cost?.lines[0]).toMatchObject({ action: 'update', monthlyDelta: 0 });
    expect(changed.outputs.orders!.arn).toBe(orders!.arn);
    expect(xmlValues(await rds(moto, 'ListTagsForResource', { ResourceName: String(orders!.arn) }), 'Value').sort()).toEqual(['data', 'gold']);

    const deploymentId = (await orchestrator.getSession(session.id)).deploymentId;
    await orchestrator.destroyDeployment(deploymentId, 'alice');
    const teardown = (await kernel.deployments.get(deploymentId)).openSessionId!;
    expect((await orchestrator.approveAndApply(teardown, 'bob')).state).toBe('APPLIED');
    expect(xmlValues(await rds(moto, 'DescribeDBInstances'), 'DBInstanceIdentifier')).toEqual([]);
    // RDS deletes the secret it made with the database.
    expect((await secretsManager(moto, 'ListSecrets', {})).SecretList).toEqual([]);

    // Nothing Cloud Engine stored, showed or logged holds the password, nor any value under a password key.
    const api = chatApiOf(kernel);
    const sessions = [session.id, change.id, teardown];
    for (const id of sessions) {
      const lines = (await orchestrator.getOutput(id)).map((line) => line.line);
      expect(lines.length).toBeGreaterThan(0);
      const planJson = await orchestrator.getPlanJson(id);
      const view = await orchestrator.getSession(id);
      const lobby = renderLobbyText(await buildLobby(api, view));
      const shown = JSON.stringify({ lines, planJson, view, lobby });
      expect(shown).not.toContain(password);
      expect(passwordValues({ planJson, view })).toEqual([]);
      expect(lines.filter((line) => /passw/i.test(line) && !/manage_master_user_password/.test(line))).toEqual([]);
    }
    expect((await orchestrator.stats()).terraform.pool).toMatchObject({ fallbacks: 0, crashes: 0 });
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain(password);
    expect(passwordValues(logged.map((line) => JSON.parse(line) as unknown))).toEqual([]);
  }, 420_000);
});
