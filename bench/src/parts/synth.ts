import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createKernel } from '../../../src/index.js';
import { StackSynthesizer } from '../../../src/kernel/synth/stack-synthesizer.js';
import { AWS_SETTINGS, CONFIG, load, round, type Provider } from '../lib/config.js';
import { resources } from '../lib/spec.js';
import { summarize } from '../lib/stats.js';

/** Synthesis alone: the kernel's StackSynthesizer (cdktf in code → JSON text + hash) against resource count. */
export async function synthPart() {
  const loadStart = load();
  const dataDir = mkdtempSync(join(CONFIG.workDir, 'synth-'));
  const kernel = await createKernel({ logLevel: 'silent', dataDir, env: {}, admins: ['admin'], tfPluginDir: CONFIG.pluginDir });
  const synthesizer = new StackSynthesizer(kernel.registries.providers, kernel.registries.resourceTypes);
  const rows: Array<Record<string, unknown>> = [];
  try {
    for (const provider of CONFIG.providers as Provider[]) {
      const project = { id: provider, provider, settings: provider === 'aws' ? { ...AWS_SETTINGS } : {} };
      // Warm-up: the first synthesis pays for lazy requires and JIT.
      synthesizer.synthesize({ sessionId: 'warmup', project, resources: resources(provider, 10) });
      for (const n of CONFIG.synthSizes) {
        const input = { sessionId: 'benchsession', project, resources: resources(provider, n) };
        const times: number[] = [];
        let bytes = 0;
        for (let i = 0; i < CONFIG.synthRuns; i++) {
          const started = performance.now();
          const result = synthesizer.synthesize(input);
          times.push(performance.now() - started);
          bytes = result.text.length;
        }
        const ms = summarize(times);
        rows.push({ provider, resources: n, ms, perResourceMs: round(ms.median / n, 3), jsonKiB: round(bytes / 1024, 1) });
      }
    }
    // The same through the kernel API (loads the session and project from the database first), up to the session limit.
    const viaKernel: Array<Record<string, unknown>> = [];
    await kernel.projects.create({ id: 'synth', provider: 'sandbox', createdBy: 'admin' });
    for (const n of CONFIG.synthSizes.filter((size) => size <= 200)) {
      const session = await kernel.orchestrator.startSession('admin', 'synth');
      for (const resource of resources('sandbox', n)) await kernel.orchestrator.addResource(session.id, 'admin', resource);
      await kernel.orchestrator.synthesize(session.id, 'admin');
      const times: number[] = [];
      for (let i = 0; i < CONFIG.synthRuns; i++) {
        const started = performance.now();
        await kernel.orchestrator.synthesize(session.id, 'admin');
        times.push(performance.now() - started);
      }
      viaKernel.push({ provider: 'sandbox', resources: n, ms: summarize(times) });
    }
    return { load: { start: loadStart, end: load() }, runs: CONFIG.synthRuns, rows, viaKernel };
  } finally {
    await kernel.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
