import { createKernel } from '../engine.js';

/**
 * What `cloud-engine worker` runs: a kernel on the PostgreSQL job queue that
 * runs terraform jobs only (no chat adapters, no dashboard), up to its
 * terraform cap at a time, until SIGINT or SIGTERM — then it takes no more
 * jobs and lets those running finish. Needs CLOUD_ENGINE_DATABASE_URL.
 */
export async function workerCommand(io: { stdout(text: string): void }): Promise<number> {
  const kernel = await createKernel({ queue: true, runner: true });
  io.stdout(`worker ${kernel.orchestrator.ownerId} ready: ${kernel.config.maxTerraform} terraform slots, data dir ${kernel.config.dataDir}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await kernel.close();
  return 0;
}
