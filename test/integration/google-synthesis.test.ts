import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

// No Google provider binary here: Google sessions are checked by synthesis through the kernel.
describe('a google session synthesized through the kernel', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, {
      id: 'gcp-dev',
      provider: 'google',
      createdBy: ADMIN,
      settings: { project: 'acme-dev-123', region: 'europe-west1', backend: { type: 'gcs', bucket: 'acme-tf-state', prefix: 'chatops' } },
    });
  });
  afterAll(() => t?.dispose());

  it('configures the provider from project settings and the resources from their configs', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'gcp-dev', 'google');
    await orchestrator.addResource(session.id, 'alice', { type: 'google.compute_instance', name: 'web', config: { machineType: 'e2-medium', labels: { team: 'web' } } });
    await orchestrator.addResource(session.id, 'alice', { type: 'google.storage_bucket', name: 'site-assets', config: { location: 'EU' } });

    const { config, hash } = await orchestrator.synthesize(session.id, 'alice');
    const json = config as {
      provider: { google: { project: string; region: string }[] };
      terraform: { backend: { gcs: { bucket: string; prefix: string } } };
      resource: Record<string, Record<string, Record<string, unknown>>>;
      output: Record<string, unknown>;
    };
    expect(json.provider.google[0]).toMatchObject({ project: 'acme-dev-123', region: 'europe-west1' });
    expect(json.terraform.backend.gcs).toEqual({ bucket: 'acme-tf-state', prefix: `chatops/gcp-dev/${session.deploymentId}` });
    expect(json.resource.google_compute_instance!.web).toMatchObject({ machine_type: 'e2-medium', zone: 'europe-west1-a', labels: { team: 'web' } });
    expect(json.resource.google_storage_bucket!['site-assets']).toMatchObject({ location: 'EU' });
    expect(Object.keys(json.output).sort()).toEqual(['site-assets', 'web']);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a resource type of another provider, naming the field and the types that fit', async () => {
    const session = await t.kernel.orchestrator.startSession('alice', 'gcp-dev');
    const error = await t.kernel.orchestrator
      .addResource(session.id, 'alice', { type: 'aws.s3_bucket', name: 'b', config: { bucket: 'abc' } })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'type' });
    expect((error as Error).message).toContain('google.compute_instance');
  });
});
