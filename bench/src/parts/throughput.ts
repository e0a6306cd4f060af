import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createKernel, type Kernel } from '../../../src/index.js';
import { AWS_SETTINGS, CONFIG, load, round, useFakeAwsCredentials, type Provider } from '../lib/config.js';
import { resources } from '../lib/spec.js';
import { summarize } from '../lib/stats.js';

/** Sessions planned per minute when S sessions are planned at once, at each cap on terraform processes. */
export async function throughputPart() {
  useFakeAwsCredentials();
  const loadStart = load();
  const root = mkdtempSync(join(CONFIG.workDir, 'throughput-'));
  const kernels = new Map<number, Kernel>();
  const out: Array<Record<string, unknown>> = [];
  try {
    for (const cap of CONFIG.throughputCaps) {
      const kernel = await createKernel({ logLevel: 'silent', dataDir: join(root, `cap${cap}`), admins: ['admin'], tfPluginDir: CONFIG.pluginDir, env: {}, maxTerraform: cap });
      for (const provider of CONFIG.throughputProviders) {
        await kernel.projects.create({ id: provider, provider, createdBy: 'admin', settings: provider === 'aws' ? { ...AWS_SETTINGS } : {} });
      }
      kernels.set(cap, kernel);
    }
    for (const provider of CONFIG.throughputProviders as Provider[]) {
      const sessions = CONFIG.throughputSessions[provider];
      const perCap = new Map<number, { perMinute: number[]; wallMs: number[]; latencyMs: number[]; peakRunning: number }>();
      for (let i = 0; i < CONFIG.runs; i++) {
        const caps = CONFIG.throughputCaps.map((_, k) => CONFIG.throughputCaps[(i + k) % CONFIG.throughputCaps.length]!);
        for (const cap of caps) {
          const kernel = kernels.get(cap)!;
          const ids: string[] = [];
          for (let s = 0; s < sessions; s++) {
            const session = await kernel.orchestrator.startSession('admin', provider);
            for (const resource of resources(provider, CONFIG.throughputResources)) await kernel.orchestrator.addResource(session.id, 'admin', resource);
            ids.push(session.id);
          }
          const runner = (kernel.orchestrator as unknown as { runner: { peakRunning: number; peak: number } }).runner;
          runner.peak = 0;
          const started = performance.now();
          const latencies = await Promise.all(
            ids.map(async (id) => {
              await kernel.orchestrator.runPlan(id, 'admin');
              return performance.now() - started;
            }),
          );
          const wallMs = performance.now() - started;
          const entry = perCap.get(cap) ?? { perMinute: [], wallMs: [], latencyMs: [], peakRunning: 0 };
          entry.perMinute.push(sessions / (wallMs / 60_000));
          entry.wallMs.push(wallMs);
          entry.latencyMs.push(...latencies);
          entry.peakRunning = Math.max(entry.peakRunning, runner.peakRunning);
          perCap.set(cap, entry);
          for (const id of ids) rmSync(join(root, `cap${cap}`, 'sessions', id), { recursive: true, force: true });
          process.stderr.write(`  throughput ${provider} cap ${cap} run ${i + 1}/${CONFIG.runs}: ${round(sessions / (wallMs / 60_000), 1)}/min\n`);
        }
      }
      for (const cap of CONFIG.throughputCaps) {
        const entry = perCap.get(cap)!;
        out.push({
          provider,
          cap,
          sessions,
          resourcesPerSession: CONFIG.throughputResources,
          perMinute: summarize(entry.perMinute),
          wallMs: summarize(entry.wallMs),
          sessionLatencyMs: summarize(entry.latencyMs),
          peakTerraform: entry.peakRunning,
        });
      }
    }
    return { load: { start: loadStart, end: load() }, runs: CONFIG.runs, rows: out };
  } finally {
    for (const kernel of kernels.values()) await kernel.close();
    rmSync(root, { recursive: true, force: true });
  }
}
