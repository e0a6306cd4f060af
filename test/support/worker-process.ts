import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBin, type BinProcess } from './bin-process.js';

/** A `cloud-engine worker` OS process with a data dir of its own. */
export interface WorkerProcess extends BinProcess {
  readonly dataDir: string;
}

/** Starts `cloud-engine worker` (the built bin) on `databaseUrl`; resolves once it says it is ready. */
export async function startWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-worker-'));
  const bin = await startBin(['worker'], { CLOUD_ENGINE_DATABASE_URL: databaseUrl, CLOUD_ENGINE_DATA_DIR: dataDir, CLOUD_ENGINE_LOG_LEVEL: 'warn', ...env }, ' ready: ');
  return { ...bin, dataDir };
}
