import { PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedMessage } from '../support/discord-emulator/index.js';
import { useEmulatorAwsEnv } from '../support/aws-emulators.js';
import { button, embedText, startDiscordWorld, type DiscordWorld } from '../support/discord-harness.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, type MotoServer } from '../support/moto.js';
import { HAS_AWS_MIRROR } from '../support/test-kernel.js';

const CAN_RUN = HAS_AWS_MIRROR && HAS_MOTO;
if (!HAS_MOTO) console.warn(NO_MOTO_REASON);

const sessionOf = (message: EmulatedMessage | undefined) => String(message?.embeds[0]?.title ?? '').replace('Deployment ', '');

// Drift in Discord with the real discord.js client against the emulator and a bucket on moto:
// /cloud-drift answers in the channel with what differs and Reconcile / Dismiss; a scheduled check's
// drift is posted where the deployment's lobby is, once; Dismiss acknowledges it; Reconcile posts the
// lobby of a change whose plan puts the tags back; someone without access is refused privately.
describe.skipIf(!CAN_RUN)('drift in Discord', () => {
  let w: DiscordWorld;
  let moto: MotoServer;
  let s3: S3Client;
  let restoreEnv: (() => void) | undefined;

  beforeAll(async () => {
    restoreEnv = useEmulatorAwsEnv();
    moto = await startMoto();
    w = await startDiscordWorld({ kernel: { lifecycleInterval: 0 } });
    s3 = new S3Client({ endpoint: moto.url, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, forcePathStyle: true, maxAttempts: 1 });
    const { kernel } = w.t;
    await kernel.projects.create({ id: 'cloud', provider: 'aws', createdBy: w.users.admin.id, settings: { region: 'us-east-1', endpoint: moto.url, skipCredentialsValidation: true } });
    for (const user of [w.users.alice, w.users.bob]) await kernel.access.grant({ projectId: 'cloud', userId: user.id, level: 'deploy', grantedBy: w.users.admin.id });
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await w?.dispose();
    await moto?.stop().catch(() => undefined);
    restoreEnv?.();
  }, 30_000);

  it('finds the drift from chat, posts it once with Reconcile and Dismiss, and Reconcile plans the cloud back', async () => {
    const { kernel } = w.t;
    const { alice, bob, mallory } = w.users;
    await w.emulator.slashCommand({ user: alice, channel: w.channel, name: 'cloud-deploy', options: { project: 'cloud', deployment: 'files' } }).response();
    await w.bot.idle();
    const sessionId = sessionOf(w.lobby());
    await kernel.orchestrator.addResource(sessionId, alice.id, { type: 'aws.s3_bucket', name: 'assets', config: { bucket: 'discord-drift', tags: { env: 'prod' } } });
    const plan = await kernel.orchestrator.runPlan(sessionId, alice.id);
    expect((await kernel.orchestrator.approveAndApply(sessionId, bob.id, { planId: plan.id })).state).toBe('APPLIED');
    const { id } = await kernel.deployments.get('files', undefined, 'cloud');

    await s3.send(new PutBucketTaggingCommand({ Bucket: 'discord-drift', Tagging: { TagSet: [{ Key: 'env', Value: 'hacked' }] } }));

    // /cloud-drift: the answer is public (a follow-up of the private deferral: the plan takes seconds),
    // names the resource and the tag, and carries both buttons; the kernel also announced that drift,
    // once, to the channel of the deployment's lobby.
    const drifts = () => w.emulator.messages(w.channel).filter((message) => String(message.embeds[0]?.title ?? '') === 'Drift · files');
    await w.emulator.slashCommand({ user: alice, channel: w.channel, name: 'cloud-drift', options: { deployment: 'files', project: 'cloud' } }).response();
    await w.emulator.waitFor(() => drifts().length >= 2, 30_000, 'the answer and the drift notice are posted');
    await w.bot.idle();
    for (const message of drifts()) {
      expect(message.ephemeral).toBeFalsy();
      expect(embedText(message)).toContain('Drift in deployment files (cloud): 1 resource changed outside Terraform');
      expect(embedText(message)).toContain('aws_s3_bucket.assets: tags.env "prod" → "hacked"');
      expect(button(message, 'Reconcile').custom_id).toBe(`ce:reconcile:${id}`);
      expect(button(message, 'Dismiss').custom_id).toBe(`ce:dismiss-drift:${id}`);
    }
    // Another check of the same drift is not announced again.
    await kernel.orchestrator.checkDrift(id, bob.id);
    await w.bot.idle();
    expect(drifts()).toHaveLength(2);
    const notice = drifts()[1]!;

    // Someone without access: refused privately, nothing dismissed.
    const refused = w.emulator.clickButton({ user: mallory, message: notice, customId: button(notice, 'Dismiss').custom_id });
    await refused.response();
    await w.bot.idle();
    expect(refused.originalMessage()?.ephemeral).toBe(true);
    expect((await kernel.deployments.get(id)).drift?.dismissed).toBeNull();

    const dismissed = w.emulator.clickButton({ user: bob, message: notice, customId: button(notice, 'Dismiss').custom_id });
    await dismissed.response();
    expect(dismissed.originalMessage()?.content).toContain(`Drift of deployment files dismissed by <@${bob.id}>`);
    expect((await kernel.deployments.get(id)).drift?.dismissed).toMatchObject({ by: bob.id });

    // Reconcile: a change of the deployment planned at once, posted as a lobby to approve.
    const reconcile = w.emulator.clickButton({ user: alice, message: notice, customId: button(notice, 'Reconcile').custom_id });
    await reconcile.response();
    await w.emulator.waitFor(() => sessionOf(w.lobby()) !== sessionId, 60_000, 'the reconcile lobby is posted');
    await w.bot.idle();
    const lobby = w.lobby()!;
    expect(embedText(lobby)).toMatch(/1 to change/);
    expect(embedText(lobby)).toMatch(/Drift/);
    expect((await kernel.deployments.get(id)).openSessionId).toBe(sessionOf(lobby));
  }, 180_000);
});
