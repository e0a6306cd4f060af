import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelEventMap } from '../../src/kernel/events/kernel-events.js';
import type { PlanResult, SessionView } from '../../src/kernel/sessions/session-view.js';
import { ADMIN, createProject, startTestKernel, type TestKernel } from '../support/test-kernel.js';

// The seed's "Direct Usage" flow: start, add, plan, approve and apply, with real terraform.
describe('a sandbox session driven through the programmatic API', () => {
  let t: TestKernel;
  let session: SessionView;
  let plan: PlanResult;
  let final: SessionView;
  const applyLines: string[] = [];
  const eventLines: KernelEventMap['output.line'][] = [];
  const stateChanges: string[] = [];

  beforeAll(async () => {
    t = await startTestKernel();
    const { kernel } = t;
    kernel.events.on('output.line', (event) => eventLines.push(event));
    kernel.events.on('session.stateChanged', (event) => stateChanges.push(`${event.from}->${event.to}`));
    await createProject(kernel, { id: 'dev', provider: 'sandbox', createdBy: ADMIN });
    session = await kernel.orchestrator.startSession('alice', 'dev', 'sandbox');
    await kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name: 'web', config: { size: 'medium', bootSeconds: 2 } });
    await kernel.orchestrator.addResource(session.id, 'alice', { type: 'sandbox.bucket', name: 'assets', config: { tags: { team: 'web' } } });
    plan = await kernel.orchestrator.runPlan(session.id, 'alice');
    final = await kernel.orchestrator.approveAndApply(session.id, 'alice', { onOutput: (line) => applyLines.push(line) });
  });
  afterAll(() => t?.dispose());

  it('plans exactly the two resources and says so in terraform words', () => {
    expect(plan.toAdd).toBe(2);
    expect(plan.toChange).toBe(0);
    expect(plan.toDestroy).toBe(0);
    expect(plan.summary).toBe('Plan: 2 to add, 0 to change, 0 to destroy.');
    expect(plan.changes.map((change) => change.address).sort()).toEqual(['terraform_data.assets', 'terraform_data.web']);
    expect(plan.changes.every((change) => change.actions.join() === 'create')).toBe(true);
    expect(plan.planJson.resource_changes?.length).toBe(2);
    expect(plan.workingDir).toBe(join(t.dataDir, 'deployments', session.deploymentId));
  });

  it('ends APPLIED with the outputs the resources declared', () => {
    expect(final.state).toBe('APPLIED');
    expect(final.error).toBeNull();
    expect(final.approvedBy).toBe('alice');
    const web = final.outputs?.web as { id: string; ip: string };
    expect(web.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(web.ip).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect((final.outputs?.assets as { url: string }).url).toBe('sandbox://assets');
  });

  it('streams the apply output line by line, in order, to the caller and to event listeners', () => {
    const progress = applyLines.filter((line) => line.includes('booting web'));
    expect(progress).toEqual([expect.stringContaining('booting web: 1/2s'), expect.stringContaining('booting web: 2/2s')]);
    const creating = applyLines.findIndex((line) => line.includes('terraform_data.web: Creating...'));
    const running = applyLines.findIndex((line) => line.includes('web is running'));
    const complete = applyLines.findIndex((line) => line.startsWith('Apply complete! Resources: 2 added, 0 changed, 0 destroyed.'));
    expect(creating).toBeGreaterThanOrEqual(0);
    expect(creating).toBeLessThan(running);
    expect(running).toBeLessThan(complete);
    expect(eventLines.filter((event) => event.operation === 'apply').map((event) => event.line)).toEqual(applyLines);
    expect(eventLines.some((event) => event.operation === 'plan' && event.line.includes('Plan: 2 to add'))).toBe(true);
  });

  it('writes the terraform state file in the session working dir', () => {
    const statePath = join(final.workingDir, 'terraform.tfstate');
    expect(existsSync(statePath)).toBe(true);
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { resources: { type: string; name: string }[] };
    expect(state.resources.map((resource) => `${resource.type}.${resource.name}`).sort()).toEqual(['terraform_data.assets', 'terraform_data.web']);
  });

  it('records a complete audit trail, in order', async () => {
    const trail = await t.kernel.audit.list({ sessionId: session.id });
    expect(trail.map((event) => event.action)).toEqual([
      'session.started',
      'resource.added',
      'resource.added',
      'session.validating',
      'session.planning',
      'session.plan_ready',
      'approval.recorded',
      'session.approved',
      'session.applying',
      'session.applied',
    ]);
    expect(trail.every((event) => event.actor === 'alice' && event.projectId === 'dev')).toBe(true);
    expect(stateChanges).toEqual([
      'DRAFT->VALIDATING',
      'VALIDATING->PLANNING',
      'PLANNING->PLAN_READY',
      'PLAN_READY->APPROVED',
      'APPROVED->APPLYING',
      'APPLYING->APPLIED',
    ]);
  });

  it('lists and counts the session afterwards', async () => {
    const mine = await t.kernel.orchestrator.listSessions({ userId: 'alice' });
    expect(mine.map((item) => item.id)).toEqual([session.id]);
    expect(mine[0]!.resources.map((resource) => resource.name)).toEqual(['web', 'assets']);
    expect(mine[0]!.plan?.summary).toBe(plan.summary);
    const stats = await t.kernel.orchestrator.stats();
    expect(stats).toMatchObject({ sessions: 1, byState: { APPLIED: 1 }, byProject: { dev: 1 }, resourcesApplied: 2, plans: 1 });
  });

  it('refuses to apply the same session twice', async () => {
    await expect(t.kernel.orchestrator.approveAndApply(session.id, 'alice')).rejects.toMatchObject({ code: 'INVALID_STATE' });
  });
});
