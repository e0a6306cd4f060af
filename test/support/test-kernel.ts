import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createKernel } from '../../src/engine.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { KernelOptions } from '../../src/kernel/config/engine-config.js';
import type { AccessLevel } from '../../src/kernel/access/authorizer.js';
import type { CreateProjectInput, Project } from '../../src/kernel/projects/project-service.js';

/** The offline provider mirror on this machine, when there is one. */
export const TF_PLUGIN_DIR = process.env.CLOUD_ENGINE_TF_PLUGIN_DIR ?? '/opt/tf-plugins';
export const HAS_AWS_MIRROR = existsSync(join(TF_PLUGIN_DIR, 'registry.terraform.io', 'hashicorp', 'aws'));

export const ADMIN = 'admin';

export interface TestKernel {
  kernel: Kernel;
  dataDir: string;
  /** Closes the kernel and removes its data dir. */
  dispose(): Promise<void>;
}

/** A real kernel on a fresh data dir, quiet, with `admin` as global admin. */
export async function startTestKernel(options: KernelOptions = {}): Promise<TestKernel> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cloud-engine-test-'));
  const kernel = await createKernel({
    logLevel: 'silent',
    admins: [ADMIN],
    tfPluginDir: HAS_AWS_MIRROR ? TF_PLUGIN_DIR : undefined,
    env: {},
    ...options,
    dataDir,
  });
  return {
    kernel,
    dataDir,
    async dispose() {
      await kernel.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** People the tests act as, and the level each holds on projects made by `createProject`. */
export const MEMBERS: Readonly<Record<string, AccessLevel>> = { alice: 'deploy', bob: 'deploy' };

/** Creates a project as the global admin and grants `members` their levels on it. */
export async function createProject(
  kernel: Kernel,
  input: Omit<CreateProjectInput, 'createdBy'> & { createdBy?: string },
  members: Readonly<Record<string, AccessLevel>> = MEMBERS,
): Promise<Project> {
  const project = await kernel.projects.create({ createdBy: ADMIN, ...input });
  for (const [userId, level] of Object.entries(members)) {
    await kernel.access.grant({ projectId: project.id, userId, level, grantedBy: ADMIN });
  }
  return project;
}

/** A sandbox session of one VM booting `bootSeconds`, started and planned by alice (who needs deploy on `projectId`). */
export async function plannedVmSession(kernel: Kernel, projectId: string, name: string, bootSeconds: number) {
  const { orchestrator } = kernel;
  const session = await orchestrator.startSession('alice', projectId, 'sandbox');
  await orchestrator.addResource(session.id, 'alice', { type: 'sandbox.vm', name, config: { bootSeconds } });
  const plan = await orchestrator.runPlan(session.id, 'alice');
  expect(plan.summary).toBe('Plan: 1 to add, 0 to change, 0 to destroy.');
  return session;
}
