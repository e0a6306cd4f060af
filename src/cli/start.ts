import { createKernel } from '../engine.js';
import { startDashboard } from '../dashboard/server.js';
import { runDemo } from './demo.js';

/**
 * What `cloud-engine start` (and so `npm start`) runs: the enabled chat
 * adapters — the console chat unless a Discord bot is configured, see
 * CLOUD_ENGINE_CONSOLE — or the sandbox demo when none is enabled. The one place to
 * change what starting means. Resolves to the exit code; while adapters run,
 * the process stays up until SIGINT or SIGTERM.
 */
export async function startCommand(options: { dashboard?: boolean; runner?: boolean } = {}): Promise<number> {
  // --no-runner: a front on the job queue, terraform left to workers.
  const kernel = await createKernel(options.runner === false ? { queue: true, runner: false } : {});
  const adapters = kernel.registries.chatAdapters.list().filter((adapter) => !adapter.enabled || adapter.enabled());
  if (adapters.length > 0) {
    // The web dashboard (unless --no-dashboard) listens before chat starts, so /cloud-dashboard works at once; a taken port is logged, not fatal.
    const dashboard = options.dashboard === false ? undefined : await startDashboard(kernel).catch(async (error: unknown) => {
      await kernel.close();
      throw error;
    });
    const closeAll = async () => {
      await dashboard?.close();
      await kernel.close();
    };
    const started = await kernel.startChatAdapters();
    kernel.logger.info({ adapters: started, dashboard: dashboard?.url ?? null }, 'chat adapters started');
    const stop = () => void closeAll().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // When every adapter can finish by itself (the console reading a pipe), finish with them.
    if (adapters.every((adapter) => adapter.closed)) {
      await Promise.all(adapters.map((adapter) => adapter.closed));
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await closeAll();
    }
    return 0;
  }
  await kernel.close();
  return runDemo();
}
