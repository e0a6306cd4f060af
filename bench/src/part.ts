// Runs one part in its own node process (fresh heap, nothing left over from other parts):
//   node bench/.build/bench/src/part.js <startup|synth|plan|pool|throughput|discord|deployment-change|web-service|dashboard|drift|workers>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG, RESULTS_DIR, ensureBuildPackageJson } from './lib/config.js';

const name = process.argv[2];
const parts: Record<string, () => Promise<unknown>> = {
  startup: async () => (await import('./parts/startup.js')).startupPart(),
  synth: async () => (await import('./parts/synth.js')).synthPart(),
  plan: async () => (await import('./parts/plan.js')).planPart(),
  pool: async () => (await import('./parts/pool.js')).poolPart(),
  throughput: async () => (await import('./parts/throughput.js')).throughputPart(),
  discord: async () => (await import('./parts/discord.js')).discordPart(),
  'deployment-change': async () => (await import('./parts/deployment-change.js')).deploymentChangePart(),
  'web-service': async () => (await import('./parts/web-service.js')).webServicePart(),
  dashboard: async () => (await import('./parts/dashboard.js')).dashboardPart(),
  drift: async () => (await import('./parts/drift.js')).driftPart(),
  workers: async () => (await import('./parts/workers.js')).workersPart(),
};
const run = name ? parts[name] : undefined;
if (!run) {
  console.error(`usage: part.js <${Object.keys(parts).join('|')}>`);
  process.exit(2);
}
ensureBuildPackageJson();
mkdirSync(CONFIG.workDir, { recursive: true });
mkdirSync(RESULTS_DIR, { recursive: true });
const started = Date.now();
const result = await run();
const target = process.env.BENCH_PROFILING === '1' ? `${name}.profiled-run.json` : `${name}.json`;
writeFileSync(join(RESULTS_DIR, target), `${JSON.stringify({ part: name, startedAt: new Date(started).toISOString(), durationMs: Date.now() - started, result }, null, 2)}\n`);
// Handles left by libraries (discord.js timers, sqlite) must not keep the part alive.
process.exit(0);
