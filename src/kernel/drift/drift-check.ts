import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DeploymentEntity } from '../persistence/entities/deployment.entity.js';
import type { Project } from '../projects/project-service.js';
import { sensitiveValues } from '../secrets/redactor.js';
import type { SessionServices } from '../sessions/session-services.js';
import type { TerraformEvent } from '../terraform/terraform-events.js';
import { driftFingerprint, driftedResources, type DriftedResource } from './drift-report.js';

/** What a refresh-only plan of a deployment found. */
export interface DriftFindings {
  readonly resources: readonly DriftedResource[];
  readonly fingerprint: string | null;
}

/**
 * Runs `terraform plan -refresh-only` on what a deployment declares, in a
 * directory of its own beside the deployment's working dir: the declared
 * configuration synthesized afresh (as its next change would be), a copy of
 * a local state (a remote state is read where it is, without its lock), so a
 * check never touches the files or the lock a change of the deployment uses.
 * Throws when terraform fails.
 */
export class DriftCheck {
  constructor(private readonly services: SessionServices) {}

  async run(deployment: DeploymentEntity, project: Project, options: { signal?: AbortSignal; background?: boolean } = {}): Promise<DriftFindings> {
    const { synthesizer, runner, redactor, config } = this.services;
    const synthesis = synthesizer.synthesize({
      sessionId: deployment.stateKey,
      project,
      resources: deployment.resources.map((resource) => ({ name: resource.name, type: resource.type, config: resource.config })),
    });
    const workingDir = join(config.dataDir, deployment.workDir);
    // One directory per check: a scheduled check and one asked for in chat may run at once.
    await sweepStale(join(workingDir, '.drift'));
    const dir = join(workingDir, '.drift', randomBytes(6).toString('hex'));
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(join(dir, 'main.tf.json'), synthesis.text);
      if (((project.settings.backend as { type?: string } | undefined)?.type ?? 'local') === 'local') {
        await copyFile(join(workingDir, 'terraform.tfstate'), join(dir, 'terraform.tfstate')).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') throw new Error(`deployment ${deployment.name} has no Terraform state in ${workingDir} to compare the cloud with`);
          throw error;
        });
      }
      // Terraform announces each drifted resource as it streams the plan: with none, there is nothing to show.
      let announced = 0;
      const context = { cwd: dir, env: synthesis.environment, signal: options.signal, background: options.background, onEvent: (event: TerraformEvent) => void (event.type === 'resource_drift' && announced++) };
      const planFile = join(dir, 'drift.tfplan');
      await runner.init(context);
      await runner.plan({ ...context, planFile, refreshOnly: true });
      if (announced === 0) return { resources: [], fingerprint: null };
      const plan = await runner.show({ ...context, planFile });
      const owners = new Map(Object.entries(synthesis.addresses).flatMap(([name, addresses]) => addresses.map((address) => [address, name] as const)));
      // A value marked sensitive anywhere is hidden everywhere in the report.
      const secrets = sensitiveValues({ resource_changes: [...(plan.resource_changes ?? []), ...(plan.resource_drift ?? [])] });
      const resources = driftedResources(plan, owners, redactor.with(secrets));
      return { resources, fingerprint: resources.length > 0 ? driftFingerprint(resources) : null };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

/** A check's directory older than this was left by a process that stopped mid-check: removed (it holds a copy of the state). */
const STALE_CHECK_MS = 3_600_000;

async function sweepStale(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const cutoff = Date.now() - STALE_CHECK_MS;
  for (const name of names) {
    const dir = join(parent, name);
    const info = await stat(dir).catch(() => undefined);
    if (info && info.mtimeMs < cutoff) await rm(dir, { recursive: true, force: true });
  }
}
