import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Kernel } from '../kernel/kernel.js';

/** One readiness check's result. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Whether the process can serve: the database answers a query and the terraform binary is found and executable. */
export async function readiness(kernel: Kernel, env: NodeJS.ProcessEnv = process.env): Promise<Check[]> {
  const database = await kernel.orchestrator.stats().then(
    (stats) => ({ name: 'database', ok: true, detail: `${stats.sessions} sessions` }),
    (error: unknown) => ({ name: 'database', ok: false, detail: (error as Error).message }),
  );
  const binary = kernel.config.terraformBin;
  const found = await findExecutable(binary, env.PATH ?? '');
  const terraform = { name: 'terraform', ok: found !== undefined, detail: found ?? `"${binary}" not found or not executable (CLOUD_ENGINE_TERRAFORM_BIN, PATH)` };
  return [database, terraform];
}

async function findExecutable(binary: string, path: string): Promise<string | undefined> {
  const candidates = binary.includes('/') ? [binary] : path.split(delimiter).filter((dir) => isAbsolute(dir)).map((dir) => join(dir, binary));
  for (const candidate of candidates) {
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}
