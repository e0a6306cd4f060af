import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKernel, type Kernel } from '../../../src/index.js';
import { AWS_SETTINGS, BENCH_DIR, CONFIG, ROOT, load, mirrorCliConfig, round, terraformEnv, useFakeAwsCredentials, type Provider } from '../lib/config.js';
import { mustRun, type TimedRun } from '../lib/proc.js';
import { PLAN_SUMMARY, resources } from '../lib/spec.js';
import { ratios, summarize } from '../lib/stats.js';

const CDKTF_BIN = join(ROOT, 'node_modules/cdktf-cli/bundle/bin/cdktf.js');
const CDKTF_APP = join(BENCH_DIR, 'cdktf-app/main.mjs');

type Phase = 'pre' | 'synth' | 'write' | 'init' | 'plan' | 'show' | 'post';

export interface KernelRun {
  totalMs: number;
  summaryMs: number;
  initSkipped: boolean;
  /** init was skipped by linking the init template (a fresh dir), not because the dir was initialized already. */
  initFromTemplate: boolean;
  phases: Record<Phase, number>;
}

/**
 * Times one kernel operation and its phases by wrapping the terraform runner and the synthesizer the
 * kernel's session flows share (bench-only instrumentation; src untouched). The synthesizer lives in the
 * services the flows are built from (`orchestrator.planning.services`); the drift check uses the same
 * services. `afterPlan` sees each `terraform plan`'s working dir once the plan has run (the drift check
 * removes its dir when it returns).
 */
export function phaseTimer(kernel: Kernel, hooks: { afterPlan?: (cwd: string) => void } = {}) {
  const orchestrator = kernel.orchestrator as unknown as {
    runner: Record<'init' | 'plan' | 'show', (ctx: unknown) => Promise<unknown>>;
    planning?: { services?: { synthesizer?: { synthesize: (input: unknown) => unknown } } };
  };
  const synthesizer = orchestrator.planning?.services?.synthesizer;
  if (!synthesizer) throw new Error('cannot find the kernel synthesizer (orchestrator.planning.services.synthesizer) to time synthesis');
  const marks: Record<string, number> = {};
  let initSkipped = false;
  let initFromTemplate = false;
  for (const method of ['init', 'plan', 'show'] as const) {
    const original = orchestrator.runner[method].bind(orchestrator.runner);
    orchestrator.runner[method] = async (ctx: unknown) => {
      marks[`${method}Start`] = performance.now();
      try {
        const result = await original(ctx);
        if (method === 'init') {
          initSkipped = (result as { skipped?: boolean }).skipped === true;
          initFromTemplate = (result as { fromTemplate?: boolean }).fromTemplate === true;
        }
        if (method === 'plan') hooks.afterPlan?.((ctx as { cwd: string }).cwd);
        return result;
      } finally {
        marks[`${method}End`] = performance.now();
      }
    };
  }
  const synthesize = synthesizer.synthesize.bind(synthesizer);
  synthesizer.synthesize = (input: unknown) => {
    // Only the timed operation's synthesis counts (orchestrator.synthesize, which the bench also calls, goes through it too).
    if (marks.timing) marks.synthStart = performance.now();
    try {
      return synthesize(input);
    } finally {
      if (marks.timing) marks.synthEnd = performance.now();
    }
  };
  return async <T>(operation: (onOutput: (line: string) => void) => Promise<T>): Promise<KernelRun & { result: T }> => {
    for (const key of Object.keys(marks)) delete marks[key];
    initSkipped = false;
    initFromTemplate = false;
    let summaryAt = Number.NaN;
    marks.timing = 1;
    const started = performance.now();
    const result = await operation((line) => {
      if (Number.isNaN(summaryAt) && PLAN_SUMMARY.test(line)) summaryAt = performance.now();
    });
    const ended = performance.now();
    delete marks.timing;
    const m = marks as Record<string, number>;
    return {
      result,
      totalMs: ended - started,
      summaryMs: summaryAt - started,
      initSkipped,
      initFromTemplate,
      phases: {
        pre: m.synthStart! - started,
        synth: m.synthEnd! - m.synthStart!,
        write: m.initStart! - m.synthEnd!,
        init: m.initEnd! - m.initStart!,
        plan: m.planEnd! - m.planStart!,
        show: m.showEnd! - m.showStart!,
        post: ended - m.showEnd!,
      },
    };
  };
}

/** Times runPlan and its phases (see phaseTimer). */
export function instrument(kernel: Kernel) {
  const time = phaseTimer(kernel);
  return (sessionId: string, userId = 'admin') => time((onOutput) => kernel.orchestrator.runPlan(sessionId, userId, { onOutput }));
}

/**
 * init, plan -out, show -json in a fresh dir. A plan right after init does exactly the
 * work of a re-plan in an initialized dir (no state yet either way), so the warm
 * figures are plan + show of the same sequence: one terraform run fewer per cell.
 */
interface BareRun {
  init: TimedRun;
  plan: TimedRun;
  show: TimedRun;
}

async function bare(dir: string, text: string): Promise<BareRun> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.tf.json'), text);
  const env = terraformEnv();
  const tf = (args: string[], match?: RegExp) => mustRun(CONFIG.terraform, args, { cwd: dir, env, match, pollRss: true });
  const init = await tf(['init', '-input=false', '-no-color', `-plugin-dir=${CONFIG.pluginDir}`]);
  const plan = await tf(['plan', '-input=false', '-out=bench.tfplan'], PLAN_SUMMARY);
  const show = await tf(['show', '-json', 'bench.tfplan']);
  return { init, plan, show };
}

async function cdktfPlan(dir: string, spec: unknown): Promise<{ run: TimedRun; json: unknown }> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', app: `node ${CDKTF_APP}`, output: 'cdktf.out', projectId: 'cloud-engine-bench', sendCrashReports: 'false', terraformProviders: [], terraformModules: [], context: {} }));
  const env = terraformEnv({
    TF_CLI_CONFIG_FILE: mirrorCliConfig(),
    BENCH_SPEC: join(dir, 'spec.json'),
    DISABLE_VERSION_CHECK: 'true',
    CDKTF_DISABLE_PLUGIN_CACHE_ENV: '1',
    CDKTF_HOME: join(dir, '.cdktf-home'),
    CI: '1',
    FORCE_COLOR: '0',
  });
  // --skip-provider-lock: `terraform providers lock` ignores the mirror and would go to the registry.
  const run = await mustRun(process.execPath, [CDKTF_BIN, 'plan', 'session', '--skip-provider-lock'], { cwd: dir, env, match: PLAN_SUMMARY });
  const json = JSON.parse(readFileSync(join(dir, 'cdktf.out/stacks/session/cdk.tf.json'), 'utf8'));
  return { run, json };
}

function stripMeta(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripMeta);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== '//')
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, item]) => [key, stripMeta(item)]),
    );
  }
  return value;
}

/** Whether cdktf's JSON configures the same terraform, providers, resources and outputs. */
function sameConfig(kernelJson: unknown, cdktfJson: unknown): { same: boolean; differs: string[] } {
  const a = stripMeta(kernelJson) as Record<string, unknown>;
  const b = stripMeta(cdktfJson) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const differs = keys.filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
  return { same: differs.length === 0, differs };
}

/** Waits for the kernel's provider pool to finish background starts (spares), so none overlaps the next timing. */
export async function settled(kernel: Kernel): Promise<void> {
  const pool = (kernel.orchestrator as unknown as { runner: { providerPool?: { settled?: () => Promise<void> } } }).runner.providerPool;
  if (typeof pool?.settled === 'function') await pool.settled();
}

export type PoolMetrics = Record<string, number>;
/** The kernel's provider pool counters (hits, misses, starts, fallbacks…); undefined when the pool is off. */
export const poolMetrics = (kernel: Kernel): PoolMetrics | undefined =>
  (kernel.orchestrator as unknown as { runner: { providerPool?: { metrics: PoolMetrics } } }).runner.providerPool?.metrics;
/** The counters' growth from `before` to `after`. */
export const poolDelta = (after: PoolMetrics, before: PoolMetrics): PoolMetrics => Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - (before[name] ?? 0)]));

export async function planPart() {
  useFakeAwsCredentials();
  const loadStart = load();
  const root = mkdtempSync(join(CONFIG.workDir, 'plan-'));
  const kernel = await createKernel({ logLevel: 'silent', dataDir: join(root, 'data'), admins: ['admin'], tfPluginDir: CONFIG.pluginDir, env: {} });
  const runPlan = instrument(kernel);
  const cells: Array<Record<string, unknown>> = [];
  const loads: number[] = [];
  try {
    for (const provider of CONFIG.providers as Provider[]) {
      const settings = provider === 'aws' ? { ...AWS_SETTINGS } : {};
      await kernel.projects.create({ id: provider, provider, createdBy: 'admin', settings });
      for (const n of CONFIG.sizes) {
        const rows: Array<{ kernelCold: KernelRun; kernelWarm: KernelRun; bare: BareRun; cdktf?: TimedRun; setupMs: number }> = [];
        let equivalence: ReturnType<typeof sameConfig> | undefined;
        for (let i = 0; i < CONFIG.runs; i++) {
          loads.push(load().one);
          const setupStart = performance.now();
          const session = await kernel.orchestrator.startSession('admin', provider);
          for (const resource of resources(provider, n)) await kernel.orchestrator.addResource(session.id, 'admin', resource);
          const setupMs = performance.now() - setupStart;
          const { config } = await kernel.orchestrator.synthesize(session.id, 'admin');
          const text = `${JSON.stringify(config, null, 2)}\n`;
          const spec = { sessionId: session.id, provider, settings, resources: resources(provider, n) };
          const dir = join(root, `${provider}-${n}-${i}`);
          const row: Partial<(typeof rows)[number]> = { setupMs };
          const variants: Array<() => Promise<void>> = [
            async () => {
              row.kernelCold = await runPlan(session.id);
              await settled(kernel);
              row.kernelWarm = await runPlan(session.id);
              await settled(kernel);
              const written = readFileSync(join(root, 'data', 'sessions', session.id, 'main.tf.json'), 'utf8');
              if (written !== text) throw new Error('the kernel planned a different JSON than the bare run got');
            },
            async () => {
              row.bare = await bare(join(dir, 'bare'), text);
            },
            async () => {
              if (!CONFIG.cdktf) return;
              const result = await cdktfPlan(join(dir, 'cdktf'), spec);
              row.cdktf = result.run;
              equivalence ??= sameConfig(config, result.json);
            },
          ];
          // Rotate the order so no variant always runs first (or right after the heaviest).
          for (let k = 0; k < variants.length; k++) await variants[(i + k) % variants.length]!();
          rows.push(row as (typeof rows)[number]);
          rmSync(dir, { recursive: true, force: true });
          rmSync(join(root, 'data', 'sessions', session.id), { recursive: true, force: true });
          process.stderr.write(`  plan ${provider} n=${n} run ${i + 1}/${CONFIG.runs}: kernel ${round(row.kernelCold!.totalMs)} ms, bare ${round(row.bare!.init.ms + row.bare!.plan.ms + row.bare!.show.ms)} ms${row.cdktf ? `, cdktf ${round(row.cdktf.ms)} ms` : ''}\n`);
        }
        const col = (f: (row: (typeof rows)[number]) => number) => rows.map(f);
        const kernelCold = col((r) => r.kernelCold.totalMs);
        const bareCold = col((r) => r.bare.init.ms + r.bare.plan.ms + r.bare.show.ms);
        const kernelWarm = col((r) => r.kernelWarm.totalMs);
        const bareWarm = col((r) => r.bare.plan.ms + r.bare.show.ms);
        const kernelColdSummary = col((r) => r.kernelCold.summaryMs);
        const kernelWarmSummary = col((r) => r.kernelWarm.summaryMs);
        const bareColdSummary = col((r) => r.bare.init.ms + (r.bare.plan.matchMs ?? Number.NaN));
        const barePlanSummary = col((r) => r.bare.plan.matchMs ?? Number.NaN);
        const cdktfTotal = rows.every((r) => r.cdktf) ? col((r) => r.cdktf!.ms) : [];
        const cdktfSummary = rows.every((r) => r.cdktf) ? col((r) => r.cdktf!.matchMs ?? Number.NaN) : [];
        const phases = (which: 'kernelCold' | 'kernelWarm') =>
          Object.fromEntries((['pre', 'synth', 'write', 'init', 'plan', 'show', 'post'] as Phase[]).map((phase) => [phase, summarize(col((r) => r[which].phases[phase]))]));
        const peak = (which: 'init' | 'plan' | 'show', part: 'self' | 'child') => summarize(col((r) => (r.bare[which].peakKiB?.[part] ?? 0) / 1024));
        cells.push({
          provider,
          resources: n,
          setupMs: summarize(col((r) => r.setupMs)),
          kernel: {
            cold: summarize(kernelCold),
            warm: summarize(kernelWarm),
            coldSummary: summarize(kernelColdSummary),
            warmSummary: summarize(kernelWarmSummary),
            warmInitSkipped: rows.every((r) => r.kernelWarm.initSkipped),
            coldPhases: phases('kernelCold'),
            warmPhases: phases('kernelWarm'),
          },
          bare: {
            cold: summarize(bareCold),
            warm: summarize(bareWarm),
            init: summarize(col((r) => r.bare.init.ms)),
            plan: summarize(col((r) => r.bare.plan.ms)),
            show: summarize(col((r) => r.bare.show.ms)),
            coldSummary: summarize(bareColdSummary),
            planSummary: summarize(barePlanSummary),
            showJsonKiB: round(rows[0]!.bare.show.stdoutBytes / 1024, 1),
          },
          cdktf: CONFIG.cdktf ? { total: summarize(cdktfTotal), summary: summarize(cdktfSummary), equivalence } : undefined,
          ratios: {
            coldOverBare: summarize(ratios(kernelCold, bareCold)),
            warmOverBare: summarize(ratios(kernelWarm, bareWarm)),
            coldSummaryOverBareInitPlan: summarize(ratios(kernelColdSummary, bareColdSummary)),
            warmSummaryOverBarePlan: summarize(ratios(kernelWarmSummary, barePlanSummary)),
            cdktfSummaryOverKernelColdSummary: summarize(ratios(cdktfSummary, kernelColdSummary)),
            cdktfTotalOverKernelCold: summarize(ratios(cdktfTotal, kernelCold)),
          },
          peakRssMiB: {
            initTerraform: peak('init', 'self'),
            planTerraform: peak('plan', 'self'),
            planProvider: peak('plan', 'child'),
            showTerraform: peak('show', 'self'),
            showProvider: peak('show', 'child'),
            providerProcess: rows[0]!.bare.plan.peakKiB?.childName ?? null,
          },
        });
      }
    }
    // The floor every AWS command pays: terraform starting the provider and loading its schema.
    const floor: Record<string, unknown> = {};
    if ((CONFIG.providers as string[]).includes('aws')) {
      const dir = join(root, 'floor');
      const session = await kernel.orchestrator.startSession('admin', 'aws');
      await kernel.orchestrator.addResource(session.id, 'admin', resources('aws', 1)[0]!);
      const { config } = await kernel.orchestrator.synthesize(session.id, 'admin');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'main.tf.json'), `${JSON.stringify(config, null, 2)}\n`);
      const env = terraformEnv();
      await mustRun(CONFIG.terraform, ['init', '-input=false', '-no-color', `-plugin-dir=${CONFIG.pluginDir}`], { cwd: dir, env });
      const validate: number[] = [];
      const version: number[] = [];
      for (let i = 0; i < CONFIG.runs; i++) {
        validate.push((await mustRun(CONFIG.terraform, ['validate', '-no-color'], { cwd: dir, env })).ms);
        version.push((await mustRun(CONFIG.terraform, ['version'], { cwd: dir, env })).ms);
      }
      floor.awsValidateMs = summarize(validate);
      floor.terraformVersionMs = summarize(version);
    }
    return { load: { start: loadStart, end: load(), oneMinuteDuringRuns: summarize(loads) }, runs: CONFIG.runs, cells, floor };
  } finally {
    await kernel.close();
    rmSync(root, { recursive: true, force: true });
  }
}
