import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKernel, type Kernel } from '../../../src/index.js';
import { AWS_SETTINGS, CONFIG, load, round, sleep, terraformEnv, useFakeAwsCredentials } from '../lib/config.js';
import { mustRun, vmHwm, vmRss, type TimedRun } from '../lib/proc.js';
import { PLAN_SUMMARY, resources } from '../lib/spec.js';
import { ratios, summarize } from '../lib/stats.js';
import { instrument, type KernelRun } from './plan.js';

/**
 * Issue 9: a session re-plan on a kernel with the provider pool against bare `terraform plan`
 * on the same JSON (target ≤ 0.55×), against the same re-plan without the pool, and a cold
 * session with and without it. AWS only: sandbox's `terraform_data` is built into terraform,
 * so there is no provider plugin to pool.
 */

/** hits, misses, starts, recycles, fallbacks, crashes, and whatever counters newer builds add (prewarms). */
type PoolMetrics = Record<string, number>;

/** The slice of ProviderPool the bench reads; `settled` is newer than some builds (checked at run time). */
interface PoolView {
  readonly metrics: PoolMetrics;
  list(): Array<{ pid: number; state: string; uses: number; configures: number; key: string }>;
  lease: (...args: unknown[]) => Promise<unknown>;
  settled?: () => Promise<void>;
  maxProcesses?: number;
}

function delta(after: PoolMetrics, before: PoolMetrics): PoolMetrics {
  return Object.fromEntries(Object.entries(after).map(([name, value]) => [name, value - (before[name] ?? 0)]));
}

function sum(metrics: PoolMetrics[]): PoolMetrics {
  const out: PoolMetrics = {};
  for (const m of metrics) for (const [name, value] of Object.entries(m)) out[name] = (out[name] ?? 0) + value;
  return out;
}

function poolOf(kernel: Kernel): PoolView {
  const pool = (kernel.orchestrator as unknown as { runner: { providerPool?: PoolView } }).runner.providerPool;
  if (pool === undefined) throw new Error('the pooled kernel has no provider pool (providerPool: on was not applied)');
  return pool;
}

/** Time spent in `pool.lease` (finding or starting provider processes) since the last reset. */
function timeLeases(pool: PoolView) {
  let ms = 0;
  const original = pool.lease.bind(pool);
  pool.lease = async (...args: unknown[]) => {
    const started = performance.now();
    try {
      return await original(...args);
    } finally {
      ms += performance.now() - started;
    }
  };
  return {
    reset: () => {
      ms = 0;
    },
    get ms() {
      return ms;
    },
  };
}

function isProvider(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('terraform-prov');
  } catch {
    return false;
  }
}

/** Peak RSS (VmHWM) of every pooled provider process seen, and the largest sum of their RSS at any sample. */
function watchRss(pool: PoolView, everyMs = 100) {
  const peaks = new Map<number, number>();
  let peakTotalKiB = 0;
  let peakProcesses = 0;
  const sample = (): void => {
    let total = 0;
    const live = pool.list().filter((proc) => proc.state !== 'dead');
    for (const { pid } of live) {
      // While a process starts, newer pools list the guard shell's pid; only the provider's own counts.
      if (!isProvider(pid)) continue;
      const hwm = vmHwm(pid);
      if (hwm > (peaks.get(pid) ?? 0)) peaks.set(pid, hwm);
      total += vmRss(pid);
    }
    peakTotalKiB = Math.max(peakTotalKiB, total);
    peakProcesses = Math.max(peakProcesses, live.length);
  };
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    sample,
    stop: () => clearInterval(timer),
    result: () => ({
      processesSeen: peaks.size,
      perProcessPeakMiB: summarize([...peaks.values()].filter((kib) => kib > 0).map((kib) => kib / 1024)),
      peakTotalMiB: round(peakTotalKiB / 1024, 1),
      peakProcessesAlive: peakProcesses,
    }),
  };
}

interface PooledRun extends KernelRun {
  leaseMs: number;
  settleMs: number;
  /** How long background starts (the spare) went on after runPlan resolved. */
  afterReadyMs: number;
  metrics: PoolMetrics;
  summaryLine: string;
}

interface PlainRun extends KernelRun {
  summaryLine: string;
}

interface BareRePlan {
  plan: TimedRun;
  show: TimedRun;
}

interface BareCold extends BareRePlan {
  init: TimedRun;
}

export async function poolPart() {
  useFakeAwsCredentials();
  const loadStart = load();
  const root = mkdtempSync(join(CONFIG.workDir, 'pool-'));
  const common = { logLevel: 'silent' as const, admins: ['admin'], tfPluginDir: CONFIG.pluginDir, env: {} };
  const pooledKernel = await createKernel({ ...common, dataDir: join(root, 'pooled'), providerPool: 'on', ...(CONFIG.poolSize ? { providerPoolSize: CONFIG.poolSize } : {}) });
  // Explicitly off: the pool is the kernel's default in newer builds.
  const plainKernel = await createKernel({ ...common, dataDir: join(root, 'plain'), providerPool: 'off' });
  const pool = poolOf(pooledKernel);
  if ((plainKernel.orchestrator as unknown as { runner: { providerPool?: unknown } }).runner.providerPool !== undefined) throw new Error('the unpooled kernel has a provider pool');
  const hasSettled = typeof pool.settled === 'function';
  const leases = timeLeases(pool);
  const rss = watchRss(pool);
  const pooledPlan = instrument(pooledKernel);
  const plainPlan = instrument(plainKernel);
  const env = terraformEnv();
  const tf = (dir: string, args: string[], match?: RegExp) => mustRun(CONFIG.terraform, args, { cwd: dir, env, match, pollRss: true });
  const loads: number[] = [];
  const settleWaits: number[] = [];

  /**
   * Before every timed variant: wait until no pooled provider start is in flight (spares start in the
   * background after each plan), then pause, as a user would between two changes in a lobby. Every
   * variant gets the same wait, so a spare starting never overlaps another variant's measurement.
   */
  const quiesce = async (): Promise<number> => {
    const started = performance.now();
    if (hasSettled) await pool.settled!();
    const waited = performance.now() - started;
    settleWaits.push(waited);
    await sleep(CONFIG.poolPauseMs);
    rss.sample();
    return waited;
  };

  /** runPlan on a session of the pooled kernel, with the summary line it printed and what the pool did meanwhile. */
  const runPooled = async (sessionId: string): Promise<PooledRun> => {
    const settleMs = await quiesce();
    const before = { ...pool.metrics };
    leases.reset();
    const run = await pooledPlan(sessionId);
    const ready = performance.now();
    if (hasSettled) await pool.settled!();
    const afterReadyMs = hasSettled ? performance.now() - ready : Number.NaN;
    rss.sample();
    const plan = await pooledKernel.orchestrator.getSession(sessionId, 'admin');
    return { ...run, leaseMs: leases.ms, settleMs, afterReadyMs, metrics: delta(pool.metrics, before), summaryLine: summaryOf(plan) };
  };
  const runPlain = async (sessionId: string): Promise<PlainRun> => {
    await quiesce();
    const run = await plainPlan(sessionId);
    return { ...run, summaryLine: summaryOf(await plainKernel.orchestrator.getSession(sessionId, 'admin')) };
  };

  const newSession = async (kernel: Kernel, n: number) => {
    const session = await kernel.orchestrator.startSession('admin', 'aws');
    for (const resource of resources('aws', n)) await kernel.orchestrator.addResource(session.id, 'admin', resource);
    return session.id;
  };
  const synthText = async (kernel: Kernel, sessionId: string) => `${JSON.stringify((await kernel.orchestrator.synthesize(sessionId, 'admin')).config, null, 2)}\n`;
  const written = (kernel: 'pooled' | 'plain', sessionId: string) => readFileSync(join(root, kernel, 'sessions', sessionId, 'main.tf.json'), 'utf8');

  try {
    for (const kernel of [pooledKernel, plainKernel]) await kernel.projects.create({ id: 'aws', provider: 'aws', createdBy: 'admin', settings: { ...AWS_SETTINGS } });

    // ---- warm re-plans, one session per kernel per N, planned once before the timed runs ----
    const cells: Array<Record<string, unknown>> = [];
    for (const n of CONFIG.sizes) {
      const pooledId = await newSession(pooledKernel, n);
      const plainId = await newSession(plainKernel, n);
      const text = await synthText(pooledKernel, pooledId);
      // The first plan of each session (untimed): initializes its working dir, as a lobby's first plan does.
      await pooledPlan(pooledId);
      await plainPlan(plainId);
      if (written('pooled', pooledId) !== text) throw new Error('the pooled kernel planned a different JSON than the bare run gets');
      const bareDir = join(root, `bare-${n}`);
      mkdirSync(bareDir, { recursive: true });
      writeFileSync(join(bareDir, 'main.tf.json'), text);
      await tf(bareDir, ['init', '-input=false', '-no-color', `-plugin-dir=${CONFIG.pluginDir}`]);

      const cellStart = { ...pool.metrics };
      const rows: Array<{ pooled: PooledRun; plain: PlainRun; bare: BareRePlan }> = [];
      for (let i = 0; i < CONFIG.runs; i++) {
        loads.push(load().one);
        const row: Partial<(typeof rows)[number]> = {};
        const variants: Array<() => Promise<void>> = [
          async () => {
            row.pooled = await runPooled(pooledId);
          },
          async () => {
            row.plain = await runPlain(plainId);
          },
          async () => {
            await quiesce();
            const plan = await tf(bareDir, ['plan', '-input=false', '-out=bench.tfplan'], PLAN_SUMMARY);
            const show = await tf(bareDir, ['show', '-json', 'bench.tfplan']);
            row.bare = { plan, show };
          },
        ];
        // Rotate the order so no variant always runs first.
        for (let k = 0; k < variants.length; k++) await variants[(i + k) % variants.length]!();
        const done = row as (typeof rows)[number];
        if (done.pooled.summaryLine !== done.plain.summaryLine) throw new Error(`pooled and unpooled plans differ: "${done.pooled.summaryLine}" vs "${done.plain.summaryLine}"`);
        if (!done.pooled.initSkipped || !done.plain.initSkipped) throw new Error('a re-plan ran terraform init: the session was not warm');
        rows.push(done);
        process.stderr.write(
          `  pool aws n=${n} run ${i + 1}/${CONFIG.runs}: pooled summary ${round(done.pooled.summaryMs)} / ready ${round(done.pooled.totalMs)} ms, unpooled ${round(done.plain.summaryMs)} / ${round(done.plain.totalMs)} ms, bare plan ${round(done.bare.plan.matchMs ?? Number.NaN)} / ${round(done.bare.plan.ms)} + show ${round(done.bare.show.ms)} ms; pool ${JSON.stringify(done.pooled.metrics)}, settle ${round(done.pooled.settleMs)} ms\n`,
        );
      }
      const col = (f: (row: (typeof rows)[number]) => number) => rows.map(f);
      const pooledSummary = col((r) => r.pooled.summaryMs);
      const pooledReady = col((r) => r.pooled.totalMs);
      const plainSummary = col((r) => r.plain.summaryMs);
      const plainReady = col((r) => r.plain.totalMs);
      const bareSummary = col((r) => r.bare.plan.matchMs ?? Number.NaN);
      const barePlan = col((r) => r.bare.plan.ms);
      const barePlanShow = col((r) => r.bare.plan.ms + r.bare.show.ms);
      cells.push({
        provider: 'aws',
        resources: n,
        summaryLine: rows[0]!.pooled.summaryLine,
        pooled: {
          summary: summarize(pooledSummary),
          ready: summarize(pooledReady),
          plan: summarize(col((r) => r.pooled.phases.plan)),
          show: summarize(col((r) => r.pooled.phases.show)),
          leaseMs: summarize(col((r) => r.pooled.leaseMs)),
          settleMs: summarize(col((r) => r.pooled.settleMs)),
          afterReadyMs: summarize(col((r) => r.pooled.afterReadyMs)),
          // What the pool did from the start of each timed re-plan until its background starts had settled.
          duringReplans: sum(rows.map((r) => r.pooled.metrics)),
        },
        unpooled: {
          summary: summarize(plainSummary),
          ready: summarize(plainReady),
          plan: summarize(col((r) => r.plain.phases.plan)),
          show: summarize(col((r) => r.plain.phases.show)),
        },
        bare: {
          planSummary: summarize(bareSummary),
          plan: summarize(barePlan),
          show: summarize(col((r) => r.bare.show.ms)),
          planShow: summarize(barePlanShow),
          planProviderMiB: summarize(col((r) => (r.bare.plan.peakKiB?.child ?? 0) / 1024)),
          showProviderMiB: summarize(col((r) => (r.bare.show.peakKiB?.child ?? 0) / 1024)),
        },
        ratios: {
          pooledSummaryOverBareSummary: summarize(ratios(pooledSummary, bareSummary)),
          pooledSummaryOverBarePlan: summarize(ratios(pooledSummary, barePlan)),
          pooledReadyOverBarePlan: summarize(ratios(pooledReady, barePlan)),
          pooledReadyOverBarePlanShow: summarize(ratios(pooledReady, barePlanShow)),
          pooledOverUnpooledSummary: summarize(ratios(pooledSummary, plainSummary)),
          pooledOverUnpooledReady: summarize(ratios(pooledReady, plainReady)),
          unpooledSummaryOverBareSummary: summarize(ratios(plainSummary, bareSummary)),
        },
        // Everything the pool did while this N was measured, background spare starts included.
        metrics: delta(pool.metrics, cellStart),
      });
      rmSync(bareDir, { recursive: true, force: true });
      rmSync(join(root, 'pooled', 'sessions', pooledId), { recursive: true, force: true });
      rmSync(join(root, 'plain', 'sessions', plainId), { recursive: true, force: true });
    }

    // ---- a cold session (new session, first plan: init included) with and without the pool ----
    let cold: Record<string, unknown> | undefined;
    if (CONFIG.poolColdSize > 0) {
      const n = CONFIG.poolColdSize;
      const coldStart = { ...pool.metrics };
      const rows: Array<{ pooled: PooledRun; plain: PlainRun; bare: BareCold }> = [];
      for (let i = 0; i < CONFIG.runs; i++) {
        loads.push(load().one);
        const row: Partial<(typeof rows)[number]> = {};
        const ids: { pooled?: string; plain?: string } = {};
        const dir = join(root, `bare-cold-${i}`);
        const variants: Array<() => Promise<void>> = [
          async () => {
            ids.pooled = await newSession(pooledKernel, n);
            row.pooled = await runPooled(ids.pooled);
          },
          async () => {
            ids.plain = await newSession(plainKernel, n);
            row.plain = await runPlain(ids.plain);
          },
          async () => {
            // The same JSON as the pooled session's, when it exists already; otherwise a throwaway session's (equal but for the id).
            const id = ids.pooled ?? (await newSession(pooledKernel, n));
            const text = await synthText(pooledKernel, id);
            if (ids.pooled === undefined) ids.pooled = id;
            mkdirSync(dir, { recursive: true });
            writeFileSync(join(dir, 'main.tf.json'), text);
            await quiesce();
            const init = await tf(dir, ['init', '-input=false', '-no-color', `-plugin-dir=${CONFIG.pluginDir}`]);
            const plan = await tf(dir, ['plan', '-input=false', '-out=bench.tfplan'], PLAN_SUMMARY);
            const show = await tf(dir, ['show', '-json', 'bench.tfplan']);
            row.bare = { init, plan, show };
          },
        ];
        // When the bare variant runs first it creates the pooled session and plans it in the pooled variant afterwards.
        for (let k = 0; k < variants.length; k++) {
          const variant = (i + k) % variants.length;
          if (variant === 0 && ids.pooled !== undefined) {
            row.pooled = await runPooled(ids.pooled);
            continue;
          }
          await variants[variant]!();
        }
        const done = row as (typeof rows)[number];
        if (done.pooled.summaryLine !== done.plain.summaryLine) throw new Error(`pooled and unpooled plans differ: "${done.pooled.summaryLine}" vs "${done.plain.summaryLine}"`);
        rows.push(done);
        rmSync(dir, { recursive: true, force: true });
        rmSync(join(root, 'pooled', 'sessions', ids.pooled!), { recursive: true, force: true });
        rmSync(join(root, 'plain', 'sessions', ids.plain!), { recursive: true, force: true });
        process.stderr.write(
          `  pool aws cold n=${n} run ${i + 1}/${CONFIG.runs}: pooled summary ${round(done.pooled.summaryMs)} / ready ${round(done.pooled.totalMs)} ms, unpooled ${round(done.plain.summaryMs)} / ${round(done.plain.totalMs)} ms, bare init+plan+show ${round(done.bare.init.ms + done.bare.plan.ms + done.bare.show.ms)} ms; pool ${JSON.stringify(done.pooled.metrics)}\n`,
        );
      }
      const col = (f: (row: (typeof rows)[number]) => number) => rows.map(f);
      const pooledSummary = col((r) => r.pooled.summaryMs);
      const pooledReady = col((r) => r.pooled.totalMs);
      const plainSummary = col((r) => r.plain.summaryMs);
      const plainReady = col((r) => r.plain.totalMs);
      const bareSummary = col((r) => r.bare.init.ms + (r.bare.plan.matchMs ?? Number.NaN));
      const bareAll = col((r) => r.bare.init.ms + r.bare.plan.ms + r.bare.show.ms);
      cold = {
        provider: 'aws',
        resources: n,
        pooled: {
          summary: summarize(pooledSummary),
          ready: summarize(pooledReady),
          init: summarize(col((r) => r.pooled.phases.init)),
          initSkipped: rows.filter((r) => r.pooled.initSkipped).length,
          duringPlans: sum(rows.map((r) => r.pooled.metrics)),
        },
        unpooled: { summary: summarize(plainSummary), ready: summarize(plainReady), init: summarize(col((r) => r.plain.phases.init)), initSkipped: rows.filter((r) => r.plain.initSkipped).length },
        bare: { initPlanSummary: summarize(bareSummary), initPlanShow: summarize(bareAll) },
        ratios: {
          pooledOverUnpooledSummary: summarize(ratios(pooledSummary, plainSummary)),
          pooledOverUnpooledReady: summarize(ratios(pooledReady, plainReady)),
          pooledSummaryOverBareInitPlanSummary: summarize(ratios(pooledSummary, bareSummary)),
          pooledReadyOverBareAll: summarize(ratios(pooledReady, bareAll)),
          unpooledReadyOverBareAll: summarize(ratios(plainReady, bareAll)),
        },
        metrics: delta(pool.metrics, coldStart),
      };
    }

    rss.sample();
    return {
      load: { start: loadStart, end: load(), oneMinuteDuringRuns: summarize(loads) },
      runs: CONFIG.runs,
      pool: {
        size: pool.maxProcesses ?? null,
        settledAvailable: hasSettled,
        pauseMs: CONFIG.poolPauseMs,
        settleWaitMs: summarize(settleWaits),
        metrics: { ...pool.metrics },
        processesAtEnd: pool.list().map(({ pid, state, uses, configures }) => ({ pid, state, uses, configures })),
        rss: rss.result(),
      },
      cells,
      cold,
    };
  } finally {
    rss.stop();
    await pooledKernel.close();
    await plainKernel.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** The plan's summary line as the session view holds it; throws unless the session is PLAN_READY. */
function summaryOf(view: { state: string; plan: { summary: string } | null; error: string | null }): string {
  if (view.state !== 'PLAN_READY' || view.plan === null) throw new Error(`the session is ${view.state} after runPlan: ${view.error ?? 'no plan'}`);
  return view.plan.summary;
}
