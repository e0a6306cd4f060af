import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_AWS_EMULATORS, NO_AWS_EMULATORS_REASON, startAwsEmulators, useEmulatorAwsEnv, type AwsEmulators } from '../support/aws-emulators.js';
import { localStateFiles, runTerraform, sessionTerraformEnv } from '../support/terraform-cli.js';
import { createProject, plannedVmSession, startTestKernel, type TestKernel } from '../support/test-kernel.js';

if (!HAS_AWS_EMULATORS) console.warn(NO_AWS_EMULATORS_REASON);

const BUCKET = 'ce-state';
const LOCK_TABLE = 'ce-state-locks';
const PROJECT = 'remote-s3';
const KEY_PREFIX = 'team-a';

interface LockItem {
  LockID?: { S?: string };
  Info?: { S?: string };
  Digest?: { S?: string };
}

// Sandbox sessions (terraform_data: no provider binary) whose state lives in an s3 backend on s3rver,
// locked through a DynamoDB table on dynalite. The backend is built into terraform.
describe.skipIf(!HAS_AWS_EMULATORS)('sessions with s3 state on s3rver, locked in a DynamoDB table on dynalite', () => {
  let emulators: AwsEmulators | undefined;
  let t: TestKernel | undefined;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    restoreEnv = useEmulatorAwsEnv();
    emulators = await startAwsEmulators({ buckets: [BUCKET] });
    // The key schema terraform's s3 backend documents for its lock table: a string hash key LockID.
    await emulators.dynamodb.createLockTable(LOCK_TABLE);
    t = await startTestKernel();
    await createProject(t.kernel, {
      id: PROJECT,
      provider: 'sandbox',
      settings: {
        backend: {
          type: 's3',
          bucket: BUCKET,
          keyPrefix: KEY_PREFIX,
          region: 'us-east-1',
          dynamodbTable: LOCK_TABLE,
          endpoints: { s3: emulators.s3.url, dynamodb: emulators.dynamodb.url },
          // A sandbox project has no skipCredentialsValidation of its own; without it the backend asks STS.
          skipCredentialsValidation: true,
        },
      },
    });
  }, 30_000);

  afterAll(async () => {
    await t?.dispose().catch((error: unknown) => console.warn('kernel dispose failed', error));
    await emulators?.stop().catch((error: unknown) => console.warn('emulator stop failed', error));
    restoreEnv?.();
  }, 30_000);

  const stateKey = (deploymentId: string) => `${KEY_PREFIX}/${PROJECT}/${deploymentId}.tfstate`;
  const lockItems = async () => (await emulators!.dynamodb.scan(LOCK_TABLE)) as LockItem[];

  const plannedSession = (name: string, bootSeconds: number) => plannedVmSession(t!.kernel, PROJECT, name, bootSeconds);

  it('writes each session\'s state to its own key in the bucket and nothing to the working dir', async () => {
    const { orchestrator } = t!.kernel;
    const first = await plannedSession('web', 0);
    // A plan writes no state.
    expect(await emulators!.s3.listKeys(BUCKET)).toEqual([]);
    const applied = await orchestrator.approveAndApply(first.id, 'bob');
    expect(applied.state, applied.error ?? '').toBe('APPLIED');

    const second = await plannedSession('db', 0);
    expect((await orchestrator.approveAndApply(second.id, 'bob')).state).toBe('APPLIED');

    expect(await emulators!.s3.listKeys(BUCKET, `${KEY_PREFIX}/`)).toEqual([stateKey(first.deploymentId), stateKey(second.deploymentId)].sort());
    const state = JSON.parse(await emulators!.s3.getText(BUCKET, stateKey(first.deploymentId))) as { resources: { type: string; name: string }[] };
    expect(state.resources.map((resource) => `${resource.type}.${resource.name}`)).toEqual(['terraform_data.web']);

    expect(localStateFiles(applied.workingDir)).toEqual([]);
    // The lock table keeps the state's digest; no lock is left behind.
    const items = await lockItems();
    expect(items.map((item) => item.LockID?.S).sort()).toEqual([`${BUCKET}/${stateKey(first.deploymentId)}-md5`, `${BUCKET}/${stateKey(second.deploymentId)}-md5`].sort());
  }, 40_000);

  it('refuses a second terraform operation on the session while its apply holds the DynamoDB lock', async () => {
    const { orchestrator } = t!.kernel;
    const session = await plannedSession('slow', 6);
    const lockId = `${BUCKET}/${stateKey(session.deploymentId)}`;
    const applying = orchestrator.approveAndApply(session.id, 'bob');
    applying.catch(() => undefined);
    try {
      // Wait (bounded) until the apply has taken the lock: its item shows up in the lock table.
      const deadline = Date.now() + 15_000;
      let lock: LockItem | undefined;
      while (!lock && Date.now() < deadline) {
        lock = (await lockItems()).find((item) => item.LockID?.S === lockId);
        if (!lock) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(lock, `no lock item ${lockId} appeared while the apply ran`).toBeDefined();
      expect(JSON.parse(lock!.Info!.S!)).toMatchObject({ Operation: 'OperationTypeApply', Path: lockId });

      const view = await orchestrator.getSession(session.id);
      expect(view.state).toBe('APPLYING');
      const env = await sessionTerraformEnv(t!.kernel, session.id);
      const second = await runTerraform(['plan', '-input=false', '-no-color', '-lock-timeout=0s'], { cwd: view.workingDir, env, timeoutMs: 20_000 });
      expect(second.code, second.output).toBe(1);
      expect(second.stderr).toContain('Error acquiring the state lock');
      expect(second.stderr).toContain('ConditionalCheckFailedException');
      expect(second.stderr).toContain('OperationTypeApply');
    } finally {
      // Never leave the apply running past the test, whatever failed above (its own failure is reported below).
      await applying.catch(() => undefined);
    }
    const applied = await applying;
    expect(applied.state, applied.error ?? '').toBe('APPLIED');

    // The apply released its lock: the same operation now goes through, and finds nothing to change.
    expect((await lockItems()).some((item) => item.LockID?.S === lockId)).toBe(false);
    const view = await orchestrator.getSession(session.id);
    const env = await sessionTerraformEnv(t!.kernel, session.id);
    const again = await runTerraform(['plan', '-input=false', '-no-color', '-lock-timeout=0s', '-detailed-exitcode'], { cwd: view.workingDir, env, timeoutMs: 20_000 });
    expect(again.code, again.output).toBe(0);
    expect(localStateFiles(view.workingDir)).toEqual([]);
  }, 45_000);
});
