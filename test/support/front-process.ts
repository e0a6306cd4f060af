import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBin, type BinProcess } from './bin-process.js';

/** A `cloud-engine start` OS process (a front) with a data dir of its own. */
export interface FrontProcess extends BinProcess {
  readonly dataDir: string;
}

/** Starts `cloud-engine start --no-dashboard [args]` with `env` (the database, the queue, the chat adapters'); resolves once it runs. */
export async function startFront(env: Record<string, string>, args: readonly string[] = []): Promise<FrontProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-front-'));
  const bin = await startBin(['start', '--no-dashboard', ...args], { CLOUD_ENGINE_DATA_DIR: dataDir, CLOUD_ENGINE_LOG_LEVEL: 'info', ...env }, 'chat adapters started');
  return { ...bin, dataDir };
}
