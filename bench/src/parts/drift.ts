import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutBucketTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { createKernel, type Kernel } from '../../../src/index.js';
import { StackSynthesizer } from '../../../src/kernel/synth/stack-synthesizer.js';
import { useEmulatorAwsEnv } from '../../../test/support/aws-emulators.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, type MotoServer } from '../../../test/support/moto.js';
import { CONFIG, load, round, sleep, terraformEnv } from '../lib/config.js';
import { cpuMs, mustRun, vmRss } from '../lib/proc.js';
import type { ResourceSpec } from '../lib/spec.js';
import { dist, ratios, summarize } from '../lib/stats.js';
import { phaseTimer, poolDelta, poolMetrics, settled, type KernelRun, type PoolMetrics } from './plan.js';

/**
 * Issue 17: drift checks on AWS on moto, kernel in its default configuration (provider pool on).
 *
 * 1. **One check**: a deployment of N S3 buckets, applied; then `orchestrator.checkDrift` (refresh-only
 *    plan in a fresh `.drift/<random>/` dir, init from the init template, `show -json`, the report) against
 *    bare `terraform plan -refresh-only -out` + `show -json` in a dir of its own holding the same JSON and
 *    a copy of the same state, initialized beforehand (untimed). First with nothing drifted, then after the
 *    tags of every bucket were changed through the AWS SDK behind Terraform's back. Order rotates per run.
 * 2. **A scheduled round**: K deployments of a project with `drift.every`, all due (the kernel's clock moved
 *    on past the interval), `kernel.lifecycle.runDue()` timed whole and per check; the runner's peak of
 *    terraform processes against its cap; the kernel process's RSS around it. Once with no drift, once with
 *    every deployment drifted.
 */

const int = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number, got ${process.env[name]}`);
  return value;
};
const SIZES = (process.env.BENCH_DRIFT_SIZES ?? '1,10,30').split(',').map(Number).filter((size) => size > 0);
const RUNS = Math.max(1, int('BENCH_DRIFT_RUNS', 5));
const ROUND_DEPLOYMENTS = int('BENCH_DRIFT_ROUND', 10);
const ROUND_BUCKETS = Math.max(1, int('BENCH_DRIFT_ROUND_BUCKETS', 3));
const PAUSE_MS = 250;
const EVERY = '1h';
const EVERY_MS = 3_600_000;
const TAGS = { team: 'bench' };
const DRIFTED_TAGS = [
  { Key: 'team', Value: 'someone-else' },
  { Key: 'owner', Value: 'console' },
];

const buckets = (prefix: string, n: number): ResourceSpec[] => Array.from({ length: n }, (_, i) => ({ name: `bucket${i}`, type: 'aws.s3_bucket', config: { bucket: `${prefix}-${i}`, tags: TAGS } }));

type Runner = { running: number; peakRunning: number; maxConcurrent: number; queued: number; providerPool?: { list(): Array<{ pid: number; state: string }> } };
const runnerOf = (kernel: Kernel) => (kernel.orchestrator as unknown as { runner: Runner }).runner;

/** Forgets the runner's peak of terraform processes, so the next reading covers what follows (bench-only: a private field). */
function resetPeak(runner: Runner): void {
  const fields = runner as unknown as { peak?: number };
  if (typeof fields.peak !== 'number') throw new Error('cannot reset the runner\'s peak (TerraformRunner.peak is gone): update the drift bench');
  fields.peak = runner.running;
}

const mib = (bytes: number) => round(bytes / 2 ** 20, 1);
/** Resident MiB of the live pooled provider processes together. */
const poolRssMiB = (runner: Runner) => round((runner.providerPool?.list() ?? []).filter((proc) => proc.state !== 'dead').reduce((sum, proc) => sum + vmRss(proc.pid), 0) / 1024, 1);

interface Deployed {
  id: string;
  workingDir: string;
  names: string[];
  applyMs: number;
  planMs: number;
}

/** A deployment of `resources`, planned and applied (set-up: timed, not compared). */
async function deploy(kernel: Kernel, project: string, name: string, resources: ResourceSpec[]): Promise<Deployed> {
  const { orchestrator } = kernel;
  let t = performance.now();
  const session = await orchestrator.startSession('admin', project, undefined, { deployment: name });
  for (const resource of resources) await orchestrator.addResource(session.id, 'admin', resource);
  const plan = await orchestrator.runPlan(session.id, 'admin');
  const planMs = performance.now() - t;
  t = performance.now();
  const applied = await orchestrator.approveAndApply(session.id, 'admin', { planId: plan.id });
  if (applied.state !== 'APPLIED') throw new Error(`deployment ${name} ended ${applied.state}: ${applied.error ?? ''}`);
  return { id: applied.deploymentId, workingDir: applied.workingDir, names: resources.map((resource) => String(resource.config.bucket)), planMs, applyMs: performance.now() - t };
}

async function driftTags(s3: S3Client, names: string[]): Promise<number> {
  const t = performance.now();
  for (const bucket of names) await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: DRIFTED_TAGS } }));
  return performance.now() - t;
}

interface CheckRow {
  kernel: KernelRun & { status: string; drifted: number };
  bare: { planMs: number; showMs: number; drifted: number; showKiB: number };
  motoCpu: { kernel: number; bare: number };
  pool?: PoolMetrics;
  load: number;
}

/** Part 1 for one N: the deployment applied, then RUNS checks of each kind, without and with drift. */
async function measureSize(k: Kernel, m: MotoServer, s3: S3Client, root: string, n: number, time: ReturnType<typeof phaseTimer>, captured: { text?: string }) {
  const deployed = await deploy(k, 'moto', `drift${n}`, buckets(`ce-bench-drift-${n}`, n));
  const stateFile = join(deployed.workingDir, 'terraform.tfstate');
  const stateResources = (JSON.parse(readFileSync(stateFile, 'utf8')) as { resources: unknown[] }).resources.length;
  // What the check synthesizes (its session id is the deployment's state key, its id) and the environment it runs terraform in.
  const project = await k.projects.get('moto');
  const synthesis = new StackSynthesizer(k.registries.providers, k.registries.resourceTypes).synthesize({ sessionId: deployed.id, project, resources: buckets(`ce-bench-drift-${n}`, n) });
  const env = terraformEnv(synthesis.environment);
  const bareDir = join(root, `bare-${n}`);
  mkdirSync(bareDir, { recursive: true });
  writeFileSync(join(bareDir, 'main.tf.json'), synthesis.text);
  copyFileSync(stateFile, join(bareDir, 'terraform.tfstate'));
  const tf = (args: string[], keepStdout = false) => mustRun(CONFIG.terraform, args, { cwd: bareDir, env, keepStdout });
  const bareInit = await tf(['init', '-input=false', '-no-color', `-plugin-dir=${CONFIG.pluginDir}`]);
  process.stderr.write(`  drift n=${n}: ${stateResources} resources in the state; planned in ${round(deployed.planMs)} ms, applied in ${round(deployed.applyMs)} ms; bare init ${round(bareInit.ms)} ms\n`);

  const states: Record<'clean' | 'drifted', CheckRow[]> = { clean: [], drifted: [] };
  let sdkMs = Number.NaN;
  for (const state of ['clean', 'drifted'] as const) {
    if (state === 'drifted') sdkMs = await driftTags(s3, deployed.names);
    const expected = state === 'clean' ? 0 : n;
    for (let i = 0; i < RUNS; i++) {
      const row: Partial<CheckRow> & { motoCpu: CheckRow['motoCpu'] } = { motoCpu: { kernel: Number.NaN, bare: Number.NaN }, load: load().one };
      const kernelVariant = async () => {
        await settled(k);
        await sleep(PAUSE_MS);
        const before = { ...poolMetrics(k)! };
        const cpu = cpuMs(m.pid);
        captured.text = undefined;
        const run = await time(() => k.orchestrator.checkDrift(deployed.id, 'admin'));
        row.motoCpu.kernel = cpuMs(m.pid) - cpu;
        row.pool = poolDelta(poolMetrics(k)!, before);
        if (captured.text !== synthesis.text) throw new Error('the drift check planned another JSON than the bare run gets');
        const record = run.result;
        if (record.status !== (expected ? 'DRIFTED' : 'NONE') || record.resources.length !== expected) throw new Error(`the kernel's check of n=${n} (${state}) said ${record.status} with ${record.resources.length} resources: ${record.error ?? ''}`);
        row.kernel = { ...run, status: record.status, drifted: record.resources.length };
      };
      const bareVariant = async () => {
        await settled(k);
        await sleep(PAUSE_MS);
        const cpu = cpuMs(m.pid);
        const plan = await tf(['plan', '-refresh-only', '-input=false', '-out=drift.tfplan']);
        const show = await tf(['show', '-json', 'drift.tfplan'], true);
        row.motoCpu.bare = cpuMs(m.pid) - cpu;
        const json = JSON.parse(show.stdout ?? '{}') as { resource_drift?: Array<{ mode?: string }> };
        const drifted = (json.resource_drift ?? []).filter((drift) => drift.mode !== 'data').length;
        if (drifted !== expected) throw new Error(`bare terraform found ${drifted} drifted resources of n=${n} (${state}), not ${expected}`);
        row.bare = { planMs: plan.ms, showMs: show.ms, drifted, showKiB: round(show.stdoutBytes / 1024, 1) };
      };
      for (const variant of i % 2 === 0 ? [kernelVariant, bareVariant] : [bareVariant, kernelVariant]) await variant();
      const done = row as CheckRow;
      states[state].push(done);
      const p = done.kernel.phases;
      process.stderr.write(
        `  drift n=${n} ${state} run ${i + 1}/${RUNS} (${i % 2 === 0 ? 'kernel first' : 'bare first'}): kernel ${round(done.kernel.totalMs)} ms (init ${round(p.init)}${done.kernel.initFromTemplate ? ' template' : done.kernel.initSkipped ? ' skipped' : ''}, plan ${round(p.plan)}, show ${round(p.show)}, ours ${round(p.pre + p.synth + p.write + p.post)}), bare ${round(done.bare.planMs + done.bare.showMs)} ms (plan ${round(done.bare.planMs)}, show ${round(done.bare.showMs)}); moto CPU ${done.motoCpu.kernel} / ${done.motoCpu.bare} ms; pool ${JSON.stringify(done.pool)}\n`,
      );
    }
  }
  rmSync(bareDir, { recursive: true, force: true });
  const summarizeState = (rows: CheckRow[]) => {
    const col = (f: (row: CheckRow) => number) => rows.map(f);
    const kernel = col((r) => r.kernel.totalMs);
    const bare = col((r) => r.bare.planMs + r.bare.showMs);
    return {
      kernel: dist(kernel),
      kernelPhases: Object.fromEntries((['pre', 'synth', 'write', 'init', 'plan', 'show', 'post'] as const).map((phase) => [phase, dist(col((r) => r.kernel.phases[phase]))])),
      kernelOwn: dist(col((r) => r.kernel.phases.pre + r.kernel.phases.synth + r.kernel.phases.write + r.kernel.phases.post)),
      initFromTemplate: rows.filter((r) => r.kernel.initFromTemplate).length,
      bare: dist(bare),
      barePlan: dist(col((r) => r.bare.planMs)),
      bareShow: dist(col((r) => r.bare.showMs)),
      showKiB: rows[0]?.bare.showKiB ?? null,
      ratio: dist(ratios(kernel, bare)),
      planRatio: dist(ratios(col((r) => r.kernel.phases.plan), col((r) => r.bare.planMs))),
      showRatio: dist(ratios(col((r) => r.kernel.phases.show), col((r) => r.bare.showMs))),
      motoCpu: { kernel: dist(col((r) => r.motoCpu.kernel)), bare: dist(col((r) => r.motoCpu.bare)) },
      drifted: rows[0]?.kernel.drifted ?? null,
      pool: rows.reduce<PoolMetrics>((sum, r) => Object.fromEntries(Object.entries(r.pool ?? {}).map(([name, value]) => [name, (sum[name] ?? 0) + value])), {}),
      load: summarize(col((r) => r.load)),
      samples: rows.map((r) => ({
        kernelMs: round(r.kernel.totalMs, 1),
        phases: Object.fromEntries(Object.entries(r.kernel.phases).map(([phase, ms]) => [phase, round(ms, 1)])),
        initFromTemplate: r.kernel.initFromTemplate,
        barePlanMs: round(r.bare.planMs, 1),
        bareShowMs: round(r.bare.showMs, 1),
        motoCpuMs: r.motoCpu,
        load: r.load,
      })),
    };
  };
  return {
    buckets: n,
    stateResources,
    environmentKeys: Object.keys(synthesis.environment),
    setup: { planMs: round(deployed.planMs), applyMs: round(deployed.applyMs), bareInitMs: round(bareInit.ms), sdkTagMs: round(sdkMs) },
    clean: summarizeState(states.clean),
    drifted: summarizeState(states.drifted),
  };
}

/** Part 2: K deployments of a scheduling project, all due, one `runDue()` round without and one with drift. */
async function measureRounds(k: Kernel, s3: S3Client, advance: (ms: number) => void, settings: Record<string, unknown>) {
  const runner = runnerOf(k);
  await k.projects.create({ id: 'scheduled', provider: 'aws', createdBy: 'admin', settings: { ...settings, drift: { every: EVERY } } });
  const t = performance.now();
  const deployed: Deployed[] = [];
  // Applied two at a time (the kernel's cap is 2 anyway): set-up, not measured.
  for (let d = 0; d < ROUND_DEPLOYMENTS; d += 2) {
    const batch = Array.from({ length: Math.min(2, ROUND_DEPLOYMENTS - d) }, (_, j) => deploy(k, 'scheduled', `round${d + j}`, buckets(`ce-bench-round-${d + j}`, ROUND_BUCKETS)));
    deployed.push(...(await Promise.all(batch)));
  }
  const setupMs = performance.now() - t;
  // The first round gives every deployment its first due time, spread over one interval.
  const scheduling = await k.lifecycle.runDue();
  const pending = await k.lifecycle.pending();
  const scheduled = pending.filter((item) => item.kind === 'drift').length;
  process.stderr.write(`  drift round: ${ROUND_DEPLOYMENTS} deployments of ${ROUND_BUCKETS} buckets applied in ${round(setupMs)} ms; ${scheduled} checks scheduled (${scheduling.driftChecked} due at once)\n`);

  // Each scheduled check, timed where the lifecycle calls it (the orchestrator's own checkDrift).
  const orchestrator = k.orchestrator as unknown as { checkDrift: (...args: unknown[]) => Promise<{ status: string }> };
  const checkDrift = orchestrator.checkDrift.bind(orchestrator);
  let perCheck: Array<{ ms: number; status: string }> = [];
  orchestrator.checkDrift = async (...args: unknown[]) => {
    const started = performance.now();
    const record = await checkDrift(...args);
    perCheck.push({ ms: performance.now() - started, status: record.status });
    return record;
  };
  let announced = 0;
  k.events.on('deployment.drifted', () => {
    announced += 1;
  });

  const rounds: Record<string, unknown> = {};
  for (const state of ['clean', 'drifted'] as const) {
    let sdkMs: number | undefined;
    if (state === 'drifted') sdkMs = await driftTags(s3, deployed.flatMap((deployment) => deployment.names));
    advance(EVERY_MS + 60_000);
    await settled(k);
    await sleep(PAUSE_MS);
    perCheck = [];
    announced = 0;
    global.gc?.();
    const rssBefore = process.memoryUsage();
    const poolBefore = poolRssMiB(runner);
    const metricsBefore = { ...poolMetrics(k)! };
    resetPeak(runner);
    let sampledPeak = 0;
    let peakQueued = 0;
    let peakRss = rssBefore.rss;
    let peakPoolRss = poolBefore;
    let ticks = 0;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, runner.running);
      peakQueued = Math.max(peakQueued, runner.queued);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      // /proc reads of the pool's processes: every 10th tick (200 ms).
      if (ticks++ % 10 === 0) peakPoolRss = Math.max(peakPoolRss, poolRssMiB(runner));
    }, 20);
    const loadAt = load().one;
    const started = performance.now();
    const report = await k.lifecycle.runDue();
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const rssAfter = process.memoryUsage();
    const expected = state === 'clean' ? 'NONE' : 'DRIFTED';
    if (report.driftChecked !== ROUND_DEPLOYMENTS || perCheck.length !== ROUND_DEPLOYMENTS) throw new Error(`the ${state} round checked ${report.driftChecked} (${perCheck.length} timed), not ${ROUND_DEPLOYMENTS}: ${JSON.stringify(report)}`);
    if (perCheck.some((check) => check.status !== expected)) throw new Error(`the ${state} round found ${perCheck.map((check) => check.status).join(', ')}`);
    for (const deployment of deployed) {
      const view = await k.deployments.get(deployment.id);
      if ((view as unknown as { drift?: { status?: string; checkedBy?: string } }).drift?.status !== expected) throw new Error(`deployment ${deployment.id} holds no ${expected} record after the round`);
    }
    rounds[state] = {
      report,
      wallMs: round(wallMs),
      perDeploymentMs: round(wallMs / ROUND_DEPLOYMENTS),
      check: dist(perCheck.map((check) => check.ms)),
      // What runDue spends besides the checks: scheduling, claiming, the other due actions.
      outsideChecksMs: round(wallMs - perCheck.reduce((sum, check) => sum + check.ms, 0)),
      announced,
      peakRunning: runner.peakRunning,
      sampledPeakRunning: sampledPeak,
      peakQueued,
      cap: runner.maxConcurrent,
      rssMiB: { before: mib(rssBefore.rss), after: mib(rssAfter.rss), peak: mib(peakRss) },
      heapUsedMiB: { before: mib(rssBefore.heapUsed), after: mib(rssAfter.heapUsed) },
      poolRssMiB: { before: poolBefore, after: poolRssMiB(runner), peak: peakPoolRss },
      pool: poolDelta(poolMetrics(k)!, metricsBefore),
      load: loadAt,
      ...(sdkMs === undefined ? {} : { sdkTagMs: round(sdkMs) }),
    };
    process.stderr.write(
      `  drift round (${state}): ${report.driftChecked} checked in ${round(wallMs)} ms (${round(wallMs / ROUND_DEPLOYMENTS)} ms per deployment; checks ${perCheck.map((check) => round(check.ms)).join(', ')}); peak terraform ${runner.peakRunning} (sampled ${sampledPeak}) of cap ${runner.maxConcurrent}; RSS ${mib(rssBefore.rss)} → ${mib(rssAfter.rss)} MiB (peak ${mib(peakRss)}); pool RSS ${poolBefore} → ${poolRssMiB(runner)} MiB; announced ${announced}\n`,
    );
  }
  return { deployments: ROUND_DEPLOYMENTS, bucketsEach: ROUND_BUCKETS, every: EVERY, setupMs: round(setupMs), scheduled, ...rounds };
}

export async function driftPart() {
  if (!HAS_MOTO) return { skipped: NO_MOTO_REASON };
  const measuredAt = new Date().toISOString();
  const loadStart = load();
  const restoreEnv = useEmulatorAwsEnv();
  const root = mkdtempSync(join(CONFIG.workDir, 'drift-'));
  let moto: MotoServer | undefined;
  let kernel: Kernel | undefined;
  let s3: S3Client | undefined;
  try {
    moto = await startMoto();
    const m = moto;
    // A clock the bench moves on, so the scheduled checks fall due; no lifecycle timer (each round is the bench's runDue()).
    let offsetMs = 0;
    const clock = { now: () => new Date(Date.now() + offsetMs) };
    kernel = await createKernel({ logLevel: 'silent', dataDir: join(root, 'data'), admins: ['admin'], tfPluginDir: CONFIG.pluginDir, env: {}, clock, lifecycleInterval: 0 });
    const k = kernel;
    const settings = { region: 'us-east-1', endpoint: m.url, skipCredentialsValidation: true };
    await k.projects.create({ id: 'moto', provider: 'aws', createdBy: 'admin', settings });
    s3 = new S3Client({ endpoint: m.url, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, forcePathStyle: true, maxAttempts: 1 });
    const captured: { text?: string } = {};
    const time = phaseTimer(k, {
      afterPlan: (cwd) => {
        if (cwd.includes('/.drift/')) captured.text = readFileSync(join(cwd, 'main.tf.json'), 'utf8');
      },
    });
    const runner = runnerOf(k);
    const sizes = [];
    for (const n of SIZES) sizes.push(await measureSize(k, m, s3, root, n, time, captured));
    const rounds = ROUND_DEPLOYMENTS > 0 ? await measureRounds(k, s3, (ms) => (offsetMs += ms), settings) : { skipped: 'BENCH_DRIFT_ROUND=0' };
    return {
      measuredAt,
      runs: RUNS,
      providerPool: poolMetrics(k) ? 'on' : 'off',
      cap: runner.maxConcurrent,
      environmentKeys: sizes[0]?.environmentKeys ?? [],
      load: { start: loadStart, end: load() },
      sizes,
      rounds,
      poolAtEnd: poolMetrics(k),
    };
  } finally {
    s3?.destroy();
    await kernel?.close().catch(() => undefined);
    await moto?.stop().catch(() => undefined);
    restoreEnv();
    rmSync(root, { recursive: true, force: true });
  }
}
