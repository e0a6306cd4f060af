import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKernel, type Kernel } from '../../../src/index.js';
import { chatApiOf } from '../../../src/kernel/plugin/chat-adapter.js';
import { StackSynthesizer } from '../../../src/kernel/synth/stack-synthesizer.js';
import { renderLobby } from '../../../src/plugins/discord/discord-render.js';
import { DiscordBot } from '../../../src/plugins/discord/discord-bot.js';
import { DiscordEmulator, type EmulatedMessage } from '../../../test/support/discord-emulator/index.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, type MotoServer } from '../../../test/support/moto.js';
import { CONFIG, RESULTS_DIR, ROOT, load, round, sleep, terraformEnv } from '../lib/config.js';
import { cpuMs, mustRun, type TimedRun } from '../lib/proc.js';
import { PLAN_SUMMARY, type ResourceSpec } from '../lib/spec.js';
import { dist, quantile, ratios, summarize } from '../lib/stats.js';
import { instrument, poolDelta, poolMetrics, settled, type PoolMetrics } from './plan.js';

/**
 * A change of a long-lived deployment: a deployment of N resources is applied once (set-up), then
 * each run opens a change of it, updates ONE resource, plans it (`runPlan` to PLAN_READY, kernel in
 * its default configuration) and cancels it. Against it, bare `terraform plan -out` +
 * `terraform show -json` on the same state and the very JSON the change synthesized, in the same
 * environment. Two halves:
 *
 * - **sandbox**: VMs and buckets (`terraform_data`), one VM's size changed; optionally the Discord
 *   **Change** click on the applied lobby until the new change's lobby is posted.
 * - **aws**: the real AWS provider against a moto server on 127.0.0.1 (the project's `endpoint`,
 *   AWS_ENDPOINT_URL for terraform, fake keys): a VPC, S3 buckets, security groups in the VPC, IAM
 *   roles and SNS topics, one bucket's tags changed. Every plan (the kernel's and bare terraform's)
 *   refreshes all of them against moto.
 */

type Phase = 'pre' | 'synth' | 'write' | 'init' | 'plan' | 'show' | 'post';
const PHASES: Phase[] = ['pre', 'synth', 'write', 'init', 'plan', 'show', 'post'];

interface KernelChange {
  openMs: number;
  updateMs: number;
  planMs: number;
  summaryMs: number;
  cancelMs: number;
  initSkipped: boolean;
  phases: Record<Phase, number>;
  summary: string;
}

interface BareRun {
  plan: TimedRun;
  show: TimedRun;
}

type Change = { name: string; config: Record<string, unknown> };

/** The deployment's resources: VMs (bootSeconds 0) and buckets, alternating. */
export function deploymentResources(n: number): ResourceSpec[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? { name: `vm${i}`, type: 'sandbox.vm', config: { size: 'small', bootSeconds: 0 } } : { name: `bucket${i}`, type: 'sandbox.bucket', config: {} },
  );
}

/** The change each run makes: one VM's size (a different VM each run, so no two runs plan the same JSON). */
function changeOf(run: number, n: number): Change {
  const vms = Math.ceil(n / 2);
  return { name: `vm${(run % vms) * 2}`, config: { size: run % 2 === 0 ? 'medium' : 'large', bootSeconds: 0 } };
}

/** The AWS types of the AWS deployment, in turn after its VPC; none that moto is slow to create (SQS waits ~26 s per queue). */
const AWS_TYPES = ['aws.s3_bucket', 'aws.security_group', 'aws.iam_role', 'aws.sns_topic'] as const;
const AWS_TAGS = { team: 'bench' };
const awsBucketName = (i: number) => `ce-bench-dc-${i}`;

/**
 * The AWS deployment: one VPC (no internet gateway, so one terraform resource per resource), then
 * buckets, security groups in the VPC, IAM roles and SNS topics in turn, every one tagged.
 */
export function awsDeploymentResources(n: number): ResourceSpec[] {
  const out: ResourceSpec[] = [{ name: 'net', type: 'aws.vpc', config: { cidr: '10.0.0.0/16', internetGateway: false, tags: AWS_TAGS } }];
  for (let i = 1; i < n; i++) {
    const type = AWS_TYPES[(i - 1) % AWS_TYPES.length]!;
    if (type === 'aws.s3_bucket') out.push({ name: `bucket${i}`, type, config: { bucket: awsBucketName(i), tags: AWS_TAGS } });
    else if (type === 'aws.security_group') out.push({ name: `group${i}`, type, config: { vpc: 'net', ingress: '443/tcp/10.0.0.0/8', tags: AWS_TAGS } });
    else if (type === 'aws.iam_role') out.push({ name: `role${i}`, type, config: { tags: AWS_TAGS } });
    else out.push({ name: `topic${i}`, type, config: { tags: AWS_TAGS } });
  }
  return out;
}

/** The AWS change each run makes: one bucket's tags (a different bucket each run, alternating values). */
function awsChangeOf(run: number, n: number): Change {
  const buckets = awsDeploymentResources(n).filter((resource) => resource.type === 'aws.s3_bucket');
  if (buckets.length === 0) throw new Error(`an AWS deployment of ${n} resources has no bucket to change (take N ≥ 2)`);
  const bucket = buckets[run % buckets.length]!;
  return { name: bucket.name, config: { ...bucket.config, tags: { ...AWS_TAGS, change: run % 2 === 0 ? 'even' : 'odd' } } };
}

/** The commit measured (and whether src/ had uncommitted changes), and terraform's version: the section states its own. */
export function provenance() {
  const run = (command: string, args: string[], env?: NodeJS.ProcessEnv) => {
    try {
      return execFileSync(command, args, { cwd: ROOT, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return 'unknown';
    }
  };
  let terraform = 'unknown';
  try {
    terraform = (JSON.parse(run(CONFIG.terraform, ['version', '-json'], terraformEnv())) as { terraform_version: string }).terraform_version;
  } catch {
    // reported as unknown
  }
  return { git: { commit: run('git', ['rev-parse', '--short', 'HEAD']), dirty: run('git', ['status', '--porcelain', '--', 'src']).length > 0 }, terraform };
}

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface HalfOptions {
  kernel: Kernel;
  /** The kernel's data dir. */
  dataDir: string;
  root: string;
  project: string;
  label: string;
  resources: ResourceSpec[];
  runs: number;
  change: (run: number) => Change;
  /** What the change's plan must say. */
  summary: RegExp;
  /** The environment the kernel adds to this project's terraform runs (AWS_ENDPOINT_URL…), for bare terraform too. */
  env: Record<string, string>;
  /** Before each timed variant (pause; settle the provider pool). */
  beforeVariant: () => Promise<void>;
  /** The pid of a server the plans call (moto): its CPU time per variant is recorded. */
  serverPid?: number;
  /**
   * After the runs, this many bare probes on the last change's JSON: `plan -out` and `plan -refresh=false
   * -out` back to back (what the refresh costs) and `validate` (terraform, the provider's start and schema, the config).
   */
  probes?: number;
}

/**
 * One half: the deployment applied (set-up, timed but not compared), then `runs` changes of one
 * resource, each planned by the kernel and by bare terraform (twice: plain args and the kernel's),
 * in rotating order.
 */
async function measureHalf(o: HalfOptions) {
  const { kernel, runs, label } = o;
  const n = o.resources.length;
  const { orchestrator } = kernel;
  const runPlan = instrument(kernel);
  const env = terraformEnv(o.env);
  const tf = (dir: string, args: string[], match?: RegExp) => mustRun(CONFIG.terraform, args, { cwd: dir, env, match });
  const loads: number[] = [];
  const server = o.serverPid;
  const serverCpu = () => (server === undefined ? Number.NaN : cpuMs(server));

  // ---- set-up (not compared): a deployment of N resources, applied ----
  const setupStart = performance.now();
  const first = await orchestrator.startSession('admin', o.project, undefined, { deployment: 'bench' });
  for (const resource of o.resources) await orchestrator.addResource(first.id, 'admin', resource);
  const firstPlan = await orchestrator.runPlan(first.id, 'admin');
  const planMs = performance.now() - setupStart;
  const applyStart = performance.now();
  const applied = await orchestrator.approveAndApply(first.id, 'admin', { planId: firstPlan.id });
  const applyMs = performance.now() - applyStart;
  if (applied.state !== 'APPLIED') throw new Error(`the ${label} deployment's first change ended ${applied.state}: ${applied.error ?? ''}`);
  const workingDir = applied.workingDir;
  const stateFile = join(workingDir, 'terraform.tfstate');
  const stateHash = sha(stateFile);
  const stateResources = (JSON.parse(readFileSync(stateFile, 'utf8')) as { resources: unknown[] }).resources.length;
  const setupMs = performance.now() - setupStart;
  process.stderr.write(`  deployment-change ${label}: ${n} resources (${stateResources} in the state) planned in ${round(planMs)} ms and applied in ${round(applyMs)} ms (${firstPlan.summary}); working dir ${workingDir}\n`);

  // Bare terraform: the deployment's state, copied once into a dir of its own and initialized (untimed).
  const bareDir = join(o.root, `bare-${label}`);
  mkdirSync(bareDir, { recursive: true });
  copyFileSync(stateFile, join(bareDir, 'terraform.tfstate'));
  copyFileSync(join(workingDir, 'main.tf.json'), join(bareDir, 'main.tf.json'));
  await tf(bareDir, ['init', '-input=false', '-no-color', `-plugin-dir=${CONFIG.pluginDir}`]);

  // One untimed change first, so that Node has compiled a change's code paths (open, update, plan, cancel) before the timed runs.
  {
    const warm = await orchestrator.startSession('admin', o.project, undefined, { deployment: 'bench' });
    await orchestrator.updateResource(warm.id, 'admin', o.change(runs));
    await runPlan(warm.id, 'admin');
    await orchestrator.cancelSession(warm.id, 'admin');
  }

  const rows: Array<{ kernel: KernelChange; bare: BareRun; bareKernelArgs: BareRun; serverCpu: { kernel: number; bare: number; bareKernelArgs: number }; pool?: PoolMetrics }> = [];
  const poolAtStart = poolMetrics(kernel) && { ...poolMetrics(kernel)! };
  for (let i = 0; i < runs; i++) {
    loads.push(load().one);
    const change = o.change(i);
    // Open the change and make it (timed, outside runPlan).
    let t = performance.now();
    const session = await orchestrator.startSession('admin', o.project, undefined, { deployment: 'bench' });
    const openMs = performance.now() - t;
    if (session.resources.length !== n || session.workingDir !== workingDir) throw new Error(`the change did not start from the deployment: ${session.resources.length} resources in ${session.workingDir}`);
    t = performance.now();
    await orchestrator.updateResource(session.id, 'admin', change);
    const updateMs = performance.now() - t;
    const text = `${JSON.stringify((await orchestrator.synthesize(session.id, 'admin')).config, null, 2)}\n`;

    const row: Partial<(typeof rows)[number]> = { serverCpu: { kernel: Number.NaN, bare: Number.NaN, bareKernelArgs: Number.NaN } };
    let kernelRun: Awaited<ReturnType<typeof runPlan>> | undefined;
    const bare = async (kernelArgs: boolean): Promise<BareRun> => {
      writeFileSync(join(bareDir, 'main.tf.json'), text);
      const plan = kernelArgs
        ? await tf(bareDir, ['plan', '-input=false', '-json', '-out=bench.tfplan', '-lock-timeout=0s'], PLAN_SUMMARY)
        : await tf(bareDir, ['plan', '-input=false', '-out=bench.tfplan'], PLAN_SUMMARY);
      const show = await tf(bareDir, kernelArgs ? ['show', '-json', '-no-color', 'bench.tfplan'] : ['show', '-json', 'bench.tfplan']);
      return { plan, show };
    };
    const cpu = async (which: 'kernel' | 'bare' | 'bareKernelArgs', work: () => Promise<void>) => {
      await o.beforeVariant();
      const before = serverCpu();
      await work();
      row.serverCpu![which] = serverCpu() - before;
    };
    const variants: Array<() => Promise<void>> = [
      () =>
        cpu('kernel', async () => {
          const before = poolMetrics(kernel) && { ...poolMetrics(kernel)! };
          kernelRun = await runPlan(session.id, 'admin');
          if (before) row.pool = poolDelta(poolMetrics(kernel)!, before);
          // What the kernel planned is what bare terraform gets: the working dir's main.tf.json after the plan.
          if (readFileSync(join(workingDir, 'main.tf.json'), 'utf8') !== text) throw new Error('the working dir holds a different main.tf.json than the change synthesizes to');
        }),
      () =>
        cpu('bare', async () => {
          row.bare = await bare(false);
        }),
      () =>
        cpu('bareKernelArgs', async () => {
          row.bareKernelArgs = await bare(true);
        }),
    ];
    // Rotate the order so no variant always runs first.
    for (let k = 0; k < variants.length; k++) await variants[(i + k) % variants.length]!();
    t = performance.now();
    await orchestrator.cancelSession(session.id, 'admin');
    const cancelMs = performance.now() - t;
    if (sha(stateFile) !== stateHash) throw new Error("the deployment's state changed during a run (a plan must not write it)");

    const k = kernelRun!;
    if (!o.summary.test(k.result.summary)) throw new Error(`the change planned "${k.result.summary}", not one update`);
    const bareLine = row.bare!.plan.matchLine ?? '';
    if (!o.summary.test(bareLine)) throw new Error(`bare terraform planned "${bareLine}", not one update`);
    row.kernel = { openMs, updateMs, planMs: k.totalMs, summaryMs: k.summaryMs, cancelMs, initSkipped: k.initSkipped, phases: k.phases, summary: k.result.summary };
    const done = row as (typeof rows)[number];
    rows.push(done);
    const motoNote = server === undefined ? '' : `; moto CPU kernel ${round(done.serverCpu.kernel)} / bare ${round(done.serverCpu.bare)} ms`;
    const poolNote = done.pool ? `; pool ${JSON.stringify(done.pool)}` : '';
    process.stderr.write(
      `  deployment-change ${label} run ${i + 1}/${runs} (${change.name}): kernel ${round(done.kernel.planMs)} ms (summary ${round(done.kernel.summaryMs)}; plan ${round(k.phases.plan)}, show ${round(k.phases.show)}), bare plan+show ${round(done.bare.plan.ms + done.bare.show.ms)} ms (Plan: ${round(done.bare.plan.matchMs ?? Number.NaN)}; plan ${round(done.bare.plan.ms)}, show ${round(done.bare.show.ms)}), bare with the kernel's args ${round(done.bareKernelArgs.plan.ms + done.bareKernelArgs.show.ms)} ms; open ${round(openMs)}, update ${round(updateMs)}, cancel ${round(cancelMs)} ms${motoNote}${poolNote}\n`,
    );
  }

  // Paired bare probes (their order alternating): the plan with and without its refresh, and validate.
  const probes: { plan: number[]; planNoRefresh: number[]; planNoRefreshSummary: number[]; validate: number[] } = { plan: [], planNoRefresh: [], planNoRefreshSummary: [], validate: [] };
  for (let i = 0; i < (o.probes ?? 0); i++) {
    const pair = [
      async () => {
        await o.beforeVariant();
        probes.plan.push((await tf(bareDir, ['plan', '-input=false', '-out=probe.tfplan'], PLAN_SUMMARY)).ms);
      },
      async () => {
        await o.beforeVariant();
        const plan = await tf(bareDir, ['plan', '-input=false', '-refresh=false', '-out=probe.tfplan'], PLAN_SUMMARY);
        probes.planNoRefresh.push(plan.ms);
        probes.planNoRefreshSummary.push(plan.matchMs ?? Number.NaN);
      },
    ];
    for (let k = 0; k < pair.length; k++) await pair[(i + k) % pair.length]!();
    await o.beforeVariant();
    probes.validate.push((await tf(bareDir, ['validate', '-no-color'])).ms);
    process.stderr.write(`  deployment-change ${label} probe ${i + 1}/${o.probes}: bare plan ${round(probes.plan.at(-1)!)} ms, plan -refresh=false ${round(probes.planNoRefresh.at(-1)!)} ms, validate ${round(probes.validate.at(-1)!)} ms\n`);
  }

  const col = (f: (row: (typeof rows)[number]) => number) => rows.map(f);
  const kernelReady = col((r) => r.kernel.planMs);
  const kernelSummary = col((r) => r.kernel.summaryMs);
  const barePlanShow = col((r) => r.bare.plan.ms + r.bare.show.ms);
  const bareSummary = col((r) => r.bare.plan.matchMs ?? Number.NaN);
  const barePlan = col((r) => r.bare.plan.ms);
  const bareArgsPlanShow = col((r) => r.bareKernelArgs.plan.ms + r.bareKernelArgs.show.ms);
  const kernelTerraform = col((r) => r.kernel.phases.plan + r.kernel.phases.show);
  const poolEnd = poolMetrics(kernel);
  return {
    loads,
    runs,
    resources: n,
    pauseMs: CONFIG.dcPauseMs,
    setup: { ms: round(setupMs), planMs: round(planMs), applyMs: round(applyMs), stateResources, firstPlan: firstPlan.summary, workingDirRelative: workingDir.slice(o.dataDir.length + 1) },
    summaryLine: rows[0]?.kernel.summary,
    showJsonKiB: round((rows[0]?.bare.show.stdoutBytes ?? 0) / 1024, 1),
    initSkipped: rows.filter((r) => r.kernel.initSkipped).length,
    kernel: {
      ready: dist(kernelReady),
      summary: dist(kernelSummary),
      phases: Object.fromEntries(PHASES.map((phase) => [phase, dist(col((r) => r.kernel.phases[phase]))])),
      terraform: dist(kernelTerraform),
      ours: dist(col((r) => r.kernel.planMs - r.kernel.phases.plan - r.kernel.phases.show)),
      open: dist(col((r) => r.kernel.openMs)),
      update: dist(col((r) => r.kernel.updateMs)),
      cancel: dist(col((r) => r.kernel.cancelMs)),
      wholeChange: dist(col((r) => r.kernel.openMs + r.kernel.updateMs + r.kernel.planMs)),
    },
    bare: {
      planShow: dist(barePlanShow),
      plan: dist(barePlan),
      show: dist(col((r) => r.bare.show.ms)),
      summary: dist(bareSummary),
    },
    bareKernelArgs: {
      planShow: dist(bareArgsPlanShow),
      plan: dist(col((r) => r.bareKernelArgs.plan.ms)),
      show: dist(col((r) => r.bareKernelArgs.show.ms)),
    },
    ratios: {
      readyOverBarePlanShow: dist(ratios(kernelReady, barePlanShow)),
      summaryOverBareSummary: dist(ratios(kernelSummary, bareSummary)),
      readyOverBarePlan: dist(ratios(kernelReady, barePlan)),
      readyOverBareKernelArgs: dist(ratios(kernelReady, bareArgsPlanShow)),
      kernelTerraformOverBareKernelArgs: dist(ratios(kernelTerraform, bareArgsPlanShow)),
    },
    ...(server === undefined
      ? {}
      : {
          serverCpu: {
            kernel: dist(col((r) => r.serverCpu.kernel)),
            bare: dist(col((r) => r.serverCpu.bare)),
            bareKernelArgs: dist(col((r) => r.serverCpu.bareKernelArgs)),
          },
        }),
    ...(probes.validate.length ? { bareProbes: { runs: probes.validate.length, plan: dist(probes.plan), planNoRefresh: dist(probes.planNoRefresh), refresh: dist(probes.plan.map((ms, i) => ms - probes.planNoRefresh[i]!)), refreshShare: dist(probes.plan.map((ms, i) => (ms - probes.planNoRefresh[i]!) / ms)), planNoRefreshSummary: dist(probes.planNoRefreshSummary), validate: dist(probes.validate) } } : {}),
    ...(poolEnd && poolAtStart ? { pool: { duringRuns: poolDelta(poolEnd, poolAtStart), perKernelPlan: rows[0]?.pool ?? null } } : {}),
    samples: rows.map((r) => ({
      readyMs: round(r.kernel.planMs, 1),
      summaryMs: round(r.kernel.summaryMs, 1),
      phases: Object.fromEntries(PHASES.map((phase) => [phase, round(r.kernel.phases[phase], 1)])),
      openMs: round(r.kernel.openMs, 1),
      updateMs: round(r.kernel.updateMs, 1),
      cancelMs: round(r.kernel.cancelMs, 1),
      barePlanMs: round(r.bare.plan.ms, 1),
      bareSummaryMs: round(r.bare.plan.matchMs ?? Number.NaN, 1),
      bareShowMs: round(r.bare.show.ms, 1),
      bareKernelArgsPlanMs: round(r.bareKernelArgs.plan.ms, 1),
      bareKernelArgsShowMs: round(r.bareKernelArgs.show.ms, 1),
      ...(server === undefined ? {} : { motoCpuMs: { kernel: r.serverCpu.kernel, bare: r.serverCpu.bare, bareKernelArgs: r.serverCpu.bareKernelArgs } }),
      ...(r.pool ? { pool: r.pool } : {}),
    })),
  };
}

/** The sandbox half, with the Discord clicks. */
async function sandboxHalf(root: string) {
  const loadStart = load();
  const n = CONFIG.dcResources;
  const kernel = await createKernel({ logLevel: 'silent', dataDir: join(root, 'data'), admins: ['admin'], tfPluginDir: CONFIG.pluginDir, env: {} });
  let closed = false;
  try {
    await kernel.projects.create({ id: 'sandbox', provider: 'sandbox', createdBy: 'admin', settings: {} });
    const { loads, ...half } = await measureHalf({
      kernel,
      dataDir: join(root, 'data'),
      root,
      project: 'sandbox',
      label: 'sandbox',
      resources: deploymentResources(n),
      runs: CONFIG.dcRuns,
      change: (run) => changeOf(run, n),
      summary: /0 to add, 1 to change, 0 to destroy/,
      env: {},
      beforeVariant: () => sleep(CONFIG.dcPauseMs),
    });
    const result = { ...provenance(), load: { start: loadStart, end: load(), oneMinuteDuringRuns: summarize(loads) }, ...half };
    await kernel.close();
    closed = true;
    const discord = CONFIG.dcDiscordRuns > 0 ? await discordChange(root) : { skipped: 'BENCH_DC_DISCORD_RUNS=0' };
    return { ...result, discord };
  } finally {
    if (!closed) await kernel.close().catch(() => undefined);
  }
}

/** What terraform needs to reach moto with the standard AWS chain: fake keys, and nothing of this machine's AWS set-up. */
const MOTO_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_CONFIG_FILE: '/dev/null',
};

/** The AWS half: a moto server on 127.0.0.1, a kernel whose project points at it. */
async function awsHalf(root: string) {
  if (!HAS_MOTO) return { skipped: NO_MOTO_REASON };
  if (!existsSync(join(CONFIG.pluginDir, 'registry.terraform.io/hashicorp/aws'))) return { skipped: `no hashicorp/aws in the offline provider mirror ${CONFIG.pluginDir}` };
  const measuredAt = new Date().toISOString();
  const loadStart = load();
  const n = CONFIG.dcAwsResources;
  // The kernel's terraform runs inherit this process's environment, as in production; bare terraform gets the same.
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN', ...Object.keys(process.env).filter((key) => key.startsWith('AWS_ENDPOINT_URL'))]) delete process.env[name];
  Object.assign(process.env, MOTO_AWS_ENV);
  let moto: MotoServer | undefined;
  let kernel: Kernel | undefined;
  try {
    const motoStart = performance.now();
    moto = await startMoto();
    const motoStartMs = performance.now() - motoStart;
    kernel = await createKernel({ logLevel: 'silent', dataDir: join(root, 'aws', 'data'), admins: ['admin'], tfPluginDir: CONFIG.pluginDir, env: {} });
    const k = kernel;
    const settings = { region: 'us-east-1', endpoint: moto.url, skipCredentialsValidation: true };
    await k.projects.create({ id: 'moto', provider: 'aws', createdBy: 'admin', settings });
    const resources = awsDeploymentResources(n);
    // The environment the kernel gives this project's terraform runs, from its own synthesizer: bare terraform gets it too.
    const project = await k.projects.get('moto');
    const env = new StackSynthesizer(k.registries.providers, k.registries.resourceTypes).synthesize({ sessionId: 'env-probe', project, resources }).environment;
    if (env.AWS_ENDPOINT_URL !== moto.url) throw new Error(`the kernel would not send terraform to moto: ${JSON.stringify(env)}`);
    const hasPool = poolMetrics(k) !== undefined;
    const { loads, ...half } = await measureHalf({
      kernel: k,
      dataDir: join(root, 'aws', 'data'),
      root: join(root, 'aws'),
      project: 'moto',
      label: 'aws',
      resources,
      runs: CONFIG.dcAwsRuns,
      change: (run) => awsChangeOf(run, n),
      summary: /0 to add, 1 to change, 0 to destroy/,
      env,
      beforeVariant: async () => {
        // No pooled provider start (a spare) may overlap the next timing.
        await settled(k);
        await sleep(CONFIG.dcPauseMs);
      },
      serverPid: moto.pid,
      probes: Math.min(5, CONFIG.dcAwsRuns),
    });
    return {
      measuredAt,
      ...provenance(),
      load: { start: loadStart, end: load(), oneMinuteDuringRuns: summarize(loads) },
      moto: { version: motoVersion(), startMs: round(motoStartMs), url: 'http://127.0.0.1:<free port>' },
      providerPool: hasPool ? 'on' : 'off',
      types: [...new Set(resources.map((resource) => resource.type))],
      typeCounts: Object.fromEntries([...new Set(resources.map((resource) => resource.type))].map((type) => [type, resources.filter((resource) => resource.type === type).length])),
      environmentKeys: Object.keys(env),
      ...half,
    };
  } finally {
    await kernel?.close().catch(() => undefined);
    await moto?.stop().catch(() => undefined);
  }
}

function motoVersion(): string {
  try {
    return execFileSync('python3', ['-c', 'import moto; print(moto.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** The previous results of this part, for the half not rerun. */
function previousResult(): { startedAt: string; result: Record<string, unknown> } | undefined {
  const file = join(RESULTS_DIR, 'deployment-change.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { startedAt: string; result: Record<string, unknown> }) : undefined;
}

export async function deploymentChangePart() {
  const root = mkdtempSync(join(CONFIG.workDir, 'deployment-change-'));
  const previous = previousResult();
  try {
    let sandbox: Record<string, unknown>;
    if (CONFIG.dcProviders.includes('sandbox')) sandbox = { ...(await sandboxHalf(root)), measuredAt: undefined };
    else {
      const { aws: _aws, ...kept } = previous?.result ?? {};
      if (!previous || !('kernel' in kept)) throw new Error('BENCH_DC_PROVIDERS leaves out sandbox, but there are no earlier sandbox results to keep');
      // Kept from the previous run, dated as it was.
      sandbox = { ...kept, measuredAt: (kept.measuredAt as string | undefined) ?? previous.startedAt };
      process.stderr.write(`  deployment-change: sandbox half kept from ${sandbox.measuredAt as string} (BENCH_DC_PROVIDERS=${CONFIG.dcProviders.join(',')})\n`);
    }
    let aws: unknown;
    if (CONFIG.dcProviders.includes('aws')) aws = await awsHalf(root);
    else aws = (previous?.result as { aws?: unknown } | undefined)?.aws ?? { skipped: `BENCH_DC_PROVIDERS=${CONFIG.dcProviders.join(',')}` };
    return { ...sandbox, aws };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The custom id of a lobby button (`ce:<action>:<session>…`), if the message shows it. */
function buttonOf(message: EmulatedMessage | undefined, action: string): { custom_id: string; disabled?: boolean } | undefined {
  const rows = (message?.components ?? []) as unknown as Array<{ components: Array<{ custom_id: string; disabled?: boolean }> }>;
  return rows.flatMap((row) => row.components).find((component) => component.custom_id?.startsWith(`ce:${action}:`));
}

const titleOf = (message: EmulatedMessage | undefined) => String((message?.embeds[0] as { title?: string } | undefined)?.title ?? '');
const resourcesField = (message: EmulatedMessage | undefined) =>
  ((message?.embeds[0] as { fields?: Array<{ name: string; value: string }> } | undefined)?.fields ?? []).find((field) => field.name.startsWith('Resources ('));

/**
 * The Discord half: the real bot against the emulator (as in the discord part), a deployment of N
 * resources applied, then the applied lobby's **Change** clicked repeatedly: the time from the click
 * (the emulator's dispatch) until the new change's lobby, listing the deployment's resources, is the
 * interaction's reply. Each change is cancelled before the next click.
 */
async function discordChange(root: string) {
  // Is there a Change button at all? Rendered from an APPLIED lobby model.
  const probe = renderLobby({
    sessionId: 'probe',
    deploymentId: 'probe',
    deploymentName: 'probe',
    projectId: 'p',
    provider: 'sandbox',
    owner: 'u',
    state: 'APPLIED',
    stateLabel: 'Applied',
    queuePosition: null,
    resources: [],
    plan: null,
    cost: null,
    quotas: [],
    problems: [],
    outputs: null,
    actions: { approve: false, add: false, edit: false, remove: false, refresh: true, cancel: false, change: true, destroy: true },
  } as unknown as Parameters<typeof renderLobby>[0]);
  const hasChange = probe.components.some((row) => JSON.stringify(row.toJSON()).includes('"ce:change:'));
  if (!hasChange) return { skipped: 'the Discord lobby has no Change button in this build' };

  const n = CONFIG.dcResources;
  const dataDir = join(root, 'discord');
  const emulator = await DiscordEmulator.start();
  const guild = emulator.addGuild({ name: 'Bench' });
  const channel = emulator.addChannel({ guild, name: 'deploys' });
  const users = { admin: emulator.addUser({ username: 'admin', guild }), alice: emulator.addUser({ username: 'alice', guild }) };
  let kernel: Kernel | undefined;
  let bot: DiscordBot | undefined;
  try {
    kernel = await createKernel({ logLevel: 'silent', dataDir, admins: [users.admin.id], tfPluginDir: CONFIG.pluginDir, env: {} });
    const k = kernel;
    bot = new DiscordBot(chatApiOf(k), { token: emulator.token, applicationId: emulator.applicationId, guildId: guild.id, apiUrl: emulator.apiUrl, registerOnStart: true }, { streamIntervalMs: 1100 });
    await bot.start();
    await k.projects.create({ id: 'web', provider: 'sandbox', createdBy: users.admin.id });
    await k.access.grant({ projectId: 'web', userId: users.alice.id, level: 'deploy', grantedBy: users.admin.id });
    const lobbies = () => emulator.messages(channel).filter((message) => !message.ephemeral && titleOf(message).startsWith('Deployment '));

    await emulator.slashCommand({ user: users.alice, channel, name: 'cloud-deploy', options: { project: 'web', deployment: 'shop' } }).response();
    const first = titleOf(lobbies().at(-1)).replace('Deployment ', '').trim();
    if (!first) throw new Error('no lobby after /cloud-deploy');
    const lobbyOfFirst = () => lobbies().find((message) => titleOf(message) === `Deployment ${first}`);
    for (const resource of deploymentResources(n)) await k.orchestrator.addResource(first, users.alice.id, resource);
    const plan = await k.orchestrator.runPlan(first, users.alice.id);
    const applied = await k.orchestrator.approveAndApply(first, users.admin.id, { planId: plan.id });
    if (applied.state !== 'APPLIED') throw new Error(`the Discord deployment ended ${applied.state}`);
    await emulator.waitFor(() => buttonOf(lobbyOfFirst(), 'change'), 30_000, 'the applied lobby offers Change');
    await bot.idle();

    const samples: Array<{ ackMs: number; shownMs: number; resources: string }> = [];
    // One untimed click first (first use of the code paths), then the timed ones.
    for (let i = -1; i < CONFIG.dcDiscordRuns; i++) {
      await bot.idle();
      await sleep(CONFIG.dcPauseMs);
      const before = new Set(lobbies().map((message) => message.id));
      const appliedLobby = lobbyOfFirst()!;
      const clickedAt = performance.now();
      const click = emulator.clickButton({ user: users.alice, message: appliedLobby, customId: buttonOf(appliedLobby, 'change')!.custom_id });
      // The new lobby, listing the deployment's resources, in the channel.
      const shown = await emulator.waitFor(() => lobbies().find((message) => !before.has(message.id) && resourcesField(message)?.name === `Resources (${n})`), 30_000, 'the change lobby');
      const shownMs = performance.now() - clickedAt;
      const response = await click.response();
      const changeId = titleOf(shown).replace('Deployment ', '').trim();
      const view = await k.orchestrator.getSession(changeId);
      if (view.state !== 'DRAFT' || view.deploymentId !== applied.deploymentId || view.resources.length !== n) throw new Error(`Change opened ${changeId} in ${view.state} with ${view.resources.length} resources`);
      if (i >= 0) samples.push({ ackMs: response.latencyMs, shownMs, resources: resourcesField(shown)!.name });
      await k.orchestrator.cancelSession(changeId, users.alice.id);
      process.stderr.write(`  deployment-change discord click ${i + 1}/${CONFIG.dcDiscordRuns}${i < 0 ? ' (untimed)' : ''}: reply (the lobby) after ${response.latencyMs} ms, seen after ${round(shownMs)} ms, response type ${response.type}\n`);
    }
    await bot.idle();
    return {
      runs: CONFIG.dcDiscordRuns,
      resources: n,
      ack: dist(samples.map((s) => s.ackMs)),
      shown: dist(samples.map((s) => s.shownMs)),
      field: samples[0]?.resources ?? null,
      rateLimitHits: emulator.rateLimitHits,
      emulatorErrors: emulator.errors.filter((error) => error.status !== 429).length,
    };
  } finally {
    await bot?.stop().catch(() => undefined);
    await emulator.close().catch(() => undefined);
    await kernel?.close().catch(() => undefined);
  }
}
