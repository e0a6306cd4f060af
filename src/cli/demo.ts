import { relative } from 'node:path';
import { createKernel } from '../engine.js';
import type { KernelOptions } from '../kernel/config/engine-config.js';
import { isCloudEngineError } from '../kernel/errors.js';
import { consoleUserId } from '../plugins/console/console-user.js';
import { safeWriter } from '../plugins/console/safe-output.js';

export interface DemoOptions {
  /** Where to write what a person reads; defaults to stdout. */
  out?: (line: string) => void;
  /** How long the demo VM "boots", so apply output streams for a while. */
  bootSeconds?: number;
  kernel?: KernelOptions;
}

export { consoleUserId } from '../plugins/console/console-user.js';

/**
 * Deploys a sandbox session through the programmatic API on the embedded
 * default and streams its output: what `npm start` does until a chat adapter
 * is configured. Returns the process exit code.
 */
export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const write = options.out ? undefined : safeWriter(process.stdout);
  // A closed stdout (`cloud-engine demo | head`) must not stop the apply half-way.
  const out = options.out ?? ((line: string) => write!(`${line}\n`));
  const user = consoleUserId((options.kernel?.env ?? process.env).CLOUD_ENGINE_USER);
  const kernel = await createKernel(options.kernel);
  const started = Date.now();
  try {
    const dataDir = shortPath(kernel.config.dataDir);
    out(`Cloud Engine demo on the embedded default: SQLite and Terraform state under ${dataDir}/`);
    // A fresh data dir gets a sandbox project administered by the person at this terminal.
    const { project } = await kernel.projects.bootstrap({ id: 'sandbox', provider: 'sandbox', adminUserId: user });
    const session = await kernel.orchestrator.startSession(user, project.id, 'sandbox');
    out(`Session ${session.id} started by ${user} in project ${project.id} (${session.state})`);

    const bootSeconds = options.bootSeconds ?? 3;
    await kernel.orchestrator.addResource(session.id, user, { type: 'sandbox.vm', name: 'web', config: { size: 'small', bootSeconds, tags: { demo: 'true' } } });
    out(`+ sandbox.vm web (small, boots in ${bootSeconds}s)`);
    await kernel.orchestrator.addResource(session.id, user, { type: 'sandbox.bucket', name: 'assets' });
    out('+ sandbox.bucket assets');

    out('Planning…');
    const plan = await kernel.orchestrator.runPlan(session.id, user, { onOutput: (line) => out(`  ${line}`) });

    out(`Approving and applying that plan (${plan.id})…`);
    const final = await kernel.orchestrator.approveAndApply(session.id, user, { planId: plan.id, onOutput: (line) => out(`  │ ${line}`) });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (final.state !== 'APPLIED') {
      out(`Session ${final.id} ended ${final.state}: ${final.error ?? 'no reason recorded'}`);
      return 1;
    }
    out(`Session ${final.id} ${final.state} in ${seconds}s`);
    for (const [name, value] of Object.entries(final.outputs ?? {})) out(`  ${name}: ${JSON.stringify(value)}`);
    out(`State: ${shortPath(final.workingDir)}/terraform.tfstate`);
    return 0;
  } catch (error) {
    out(isCloudEngineError(error) ? `${error.code}: ${error.message}` : `Demo failed: ${(error as Error).stack ?? String(error)}`);
    return isCloudEngineError(error) ? 2 : 1;
  } finally {
    await kernel.close();
  }
}

/** A path relative to the working directory when it is inside it. */
function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
