import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../support/rejection.js';
import { createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

describe('references between resources: a VM in a network', () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await startTestKernel();
    await createProject(t.kernel, { id: 'net', provider: 'sandbox' }, { alice: 'deploy', bob: 'deploy' });
  });
  afterAll(() => t?.dispose());

  it('synthesizes a real Terraform reference, terraform orders and applies it, and the VM gets the network id', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'net', undefined, { deployment: 'office' });
    // The VM is added after the network it names; synthesis puts the network first whatever the order.
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.network', name: 'lan', config: { cidr: '10.1.0.0/16' } });
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'app', config: { network: 'lan' } });
    const { config } = await orchestrator.synthesize(session.id, 'alice');
    const input = (config.resource as Record<string, Record<string, { input: Record<string, unknown> }>>).terraform_data!.app!.input;
    expect(input.networkId).toBe('${terraform_data.lan.id}');
    const plan = await orchestrator.runPlan(session.id, 'alice');
    expect(plan.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
    const applied = await orchestrator.approveAndApply(session.id, 'bob');
    expect(applied.state).toBe('APPLIED');
    const state = JSON.parse(readFileSync(join(applied.workingDir, 'terraform.tfstate'), 'utf8')) as {
      resources: { name: string; instances: { attributes: { id: string; input: { value: Record<string, unknown> } } }[] }[];
    };
    const lan = state.resources.find((resource) => resource.name === 'lan')!.instances[0]!.attributes;
    const app = state.resources.find((resource) => resource.name === 'app')!.instances[0]!.attributes;
    expect(app.input.value.networkId).toBe(lan.id);
  });

  it('removing a resource others refer to is refused, naming them; the change may move them first', async () => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'net', undefined, { deployment: 'office' });
    const refused = await rejection(orchestrator.removeResource(session.id, 'alice', 'lan'));
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', field: 'name', details: { dependents: ['app'] } });
    expect(refused.message).toBe('Invalid name: "lan" cannot be removed while app refers to it. Change or remove it first.');
    await orchestrator.updateResource(session.id, 'alice', { name: 'app', config: {} });
    await orchestrator.removeResource(session.id, 'alice', 'lan');
    await orchestrator.cancelSession(session.id, 'alice');
  });

  it('tears down a deployment whose resources refer to each other: the referring ones go first', async () => {
    const { orchestrator, deployments } = t.kernel;
    const plan = await orchestrator.destroyDeployment('office', 'alice', { projectId: 'net' });
    expect(plan.summary).toBe('Plan: 0 to add, 0 to change, 2 to destroy.');
    const openId = (await deployments.get('office', undefined, 'net')).openSessionId!;
    expect((await orchestrator.approveAndApply(openId, 'bob')).state).toBe('APPLIED');
    expect(await deployments.get('office', undefined, 'net')).toMatchObject({ state: 'DESTROYED', resources: [] });
  });

  it.each([
    ['a name no resource has', { network: 'nowhere' }, 'refers to "nowhere", but this deployment has no resource of that name'],
    ['a resource of another type', { network: 'files' }, 'refers to files, a sandbox.bucket, but needs a sandbox.network'],
    ['template text', { network: '${terraform_data.lan.id}' }, 'expected the name of a sandbox.network resource of this deployment'],
    ['spaces', { network: 'my lan' }, 'expected the name of a sandbox.network resource of this deployment'],
  ])('a reference to %s is INVALID_INPUT naming the field, and adds nothing', async (_case, config, message) => {
    const { orchestrator } = t.kernel;
    const session = await orchestrator.startSession('alice', 'net');
    await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'files' });
    const error = await rejection(orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'vm', config }));
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'config.network' });
    expect(error.message).toContain(message);
    expect((await orchestrator.getSession(session.id)).resources.map((resource) => resource.name)).toEqual(['files']);
    await orchestrator.cancelSession(session.id, 'alice');
  });
});
