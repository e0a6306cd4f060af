import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKernel, type Kernel } from '../../../src/index.js';
import { StackSynthesizer } from '../../../src/kernel/synth/stack-synthesizer.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, type MotoServer } from '../../../test/support/moto.js';
import { CONFIG, load, round, sleep, terraformEnv } from '../lib/config.js';
import { mustRun } from '../lib/proc.js';
import { PLAN_SUMMARY } from '../lib/spec.js';
import { dist, ratios, summarize } from '../lib/stats.js';
import { instrument, poolMetrics, settled, type PoolMetrics } from './plan.js';

/**
 * Issue 16: plan and apply time of the `aws.web_service` blueprint (`assetsBucket: true`: 12 resources
 * and 2 data sources) through the kernel (default configuration, provider pool on) against bare
 * terraform on the very JSON the kernel synthesized, both against one moto server on 127.0.0.1,
 * reset before every variant. Each run: kernel `runPlan` to PLAN_READY, `approveAndApply` to APPLIED,
 * then `destroyDeployment` + approve; bare `init -plugin-dir`, `plan -out`, `show -json`,
 * `apply <planfile>`, `destroy -auto-approve` in a fresh dir. The order of the two rotates per run.
 */

/** As test/support/aws-emulators.ts `useEmulatorAwsEnv()` (not imported: it pulls in the AWS SDK): fake keys, nothing of this machine's AWS set-up. */
const EMULATOR_AWS_ENV: Readonly<Record<string, string>> = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_CONFIG_FILE: '/dev/null',
};
const UNSET_AWS_ENV = ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_DYNAMODB'];
function useEmulatorAwsEnv(): () => void {
  const saved = new Map([...Object.keys(EMULATOR_AWS_ENV), ...UNSET_AWS_ENV].map((name) => [name, process.env[name]]));
  for (const name of UNSET_AWS_ENV) delete process.env[name];
  Object.assign(process.env, EMULATOR_AWS_ENV);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

const RUNS = Math.max(1, Number(process.env.BENCH_WS_RUNS ?? 5));
const PAUSE_MS = 500;
const RESOURCE = { type: 'aws.web_service', name: 'web', config: { assetsBucket: true } };
const ADD_SUMMARY = /Plan: 12 to add, 0 to change, 0 to destroy/;

interface KernelRun {
  planMs: number;
  summaryMs: number;
  phases: Record<string, number>;
  initSkipped: boolean;
  applyMs: number;
  destroyPlanMs: number;
  destroyApplyMs: number;
  pool?: PoolMetrics;
}
interface BareRun {
  initMs: number;
  planMs: number;
  summaryMs: number;
  showMs: number;
  applyMs: number;
  destroyMs: number;
}

export async function webServicePart() {
  if (!HAS_MOTO) return { skipped: NO_MOTO_REASON };
  const loadStart = load();
  const restoreEnv = useEmulatorAwsEnv();
  const root = mkdtempSync(join(CONFIG.workDir, 'web-service-'));
  let moto: MotoServer | undefined;
  let kernel: Kernel | undefined;
  try {
    moto = await startMoto();
    const m = moto;
    kernel = await createKernel({ logLevel: 'silent', dataDir: join(root, 'data'), admins: ['admin'], tfPluginDir: CONFIG.pluginDir, env: {} });
    const k = kernel;
    const { orchestrator } = k;
    await k.projects.create({ id: 'moto', provider: 'aws', createdBy: 'admin', settings: { region: 'us-east-1', endpoint: m.url, skipCredentialsValidation: true } });
    const project = await k.projects.get('moto');
    const extra = new StackSynthesizer(k.registries.providers, k.registries.resourceTypes).synthesize({ sessionId: 'env-probe', project, resources: [RESOURCE] }).environment;
    if (extra.AWS_ENDPOINT_URL !== m.url) throw new Error(`the kernel would not send terraform to moto: ${JSON.stringify(extra)}`);
    const env = terraformEnv(extra);
    const runPlan = instrument(k);
    const tf = (dir: string, args: string[], match?: RegExp) => mustRun(CONFIG.terraform, args, { cwd: dir, env, match });
    const before = async () => {
      await settled(k);
      await m.reset();
      await sleep(PAUSE_MS);
    };

    const rows: Array<{ kernel: KernelRun; bare: BareRun; load: number; dataSources: number; resources: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      const loadNow = load().one;
      const session = await orchestrator.startSession('admin', 'moto', undefined, { deployment: `web${i}` });
      await orchestrator.addResource(session.id, 'admin', RESOURCE);
      const config = (await orchestrator.synthesize(session.id, 'admin')).config as { resource?: Record<string, Record<string, unknown>>; data?: Record<string, Record<string, unknown>> };
      const count = (block?: Record<string, Record<string, unknown>>) => Object.values(block ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
      const text = `${JSON.stringify(config, null, 2)}\n`;
      let kernelRun: KernelRun | undefined;
      let bareRun: BareRun | undefined;
      const kernelVariant = async () => {
        await before();
        const poolBefore = poolMetrics(k) && { ...poolMetrics(k)! };
        const plan = await runPlan(session.id, 'admin');
        if (!ADD_SUMMARY.test(plan.result.summary)) throw new Error(`the kernel planned "${plan.result.summary}"`);
        let t = performance.now();
        const applied = await orchestrator.approveAndApply(session.id, 'admin', { planId: plan.result.id });
        const applyMs = performance.now() - t;
        if (applied.state !== 'APPLIED') throw new Error(`the kernel's apply ended ${applied.state}: ${applied.error ?? ''}`);
        const poolAfter = poolMetrics(k);
        t = performance.now();
        await orchestrator.destroyDeployment(applied.deploymentId, 'admin');
        const destroyPlanMs = performance.now() - t;
        const openId = (await k.deployments.get(applied.deploymentId)).openSessionId!;
        t = performance.now();
        const gone = await orchestrator.approveAndApply(openId, 'admin');
        const destroyApplyMs = performance.now() - t;
        if (gone.state !== 'APPLIED') throw new Error(`the kernel's destroy ended ${gone.state}: ${gone.error ?? ''}`);
        kernelRun = {
          planMs: plan.totalMs,
          summaryMs: plan.summaryMs,
          phases: plan.phases as unknown as Record<string, number>,
          initSkipped: plan.initSkipped,
          applyMs,
          destroyPlanMs,
          destroyApplyMs,
          ...(poolBefore && poolAfter ? { pool: Object.fromEntries(Object.entries(poolAfter).map(([name, value]) => [name, value - (poolBefore[name] ?? 0)])) } : {}),
        };
      };
      const bareVariant = async () => {
        await before();
        const dir = join(root, `bare-${i}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'main.tf.json'), text);
        const init = await tf(dir, ['init', '-input=false', '-no-color', `-plugin-dir=${CONFIG.pluginDir}`]);
        const plan = await tf(dir, ['plan', '-input=false', '-out=bench.tfplan'], PLAN_SUMMARY);
        if (!ADD_SUMMARY.test(plan.matchLine ?? '')) throw new Error(`bare terraform planned "${plan.matchLine ?? ''}"`);
        const show = await tf(dir, ['show', '-json', 'bench.tfplan']);
        const apply = await tf(dir, ['apply', '-input=false', 'bench.tfplan']);
        const destroy = await tf(dir, ['destroy', '-input=false', '-auto-approve']);
        bareRun = { initMs: init.ms, planMs: plan.ms, summaryMs: plan.matchMs ?? Number.NaN, showMs: show.ms, applyMs: apply.ms, destroyMs: destroy.ms };
        rmSync(dir, { recursive: true, force: true });
      };
      const variants = i % 2 === 0 ? [kernelVariant, bareVariant] : [bareVariant, kernelVariant];
      for (const variant of variants) await variant();
      const row = { kernel: kernelRun!, bare: bareRun!, load: loadNow, resources: count(config.resource), dataSources: count(config.data) };
      rows.push(row);
      const kr = row.kernel;
      const br = row.bare;
      process.stderr.write(
        `  web-service run ${i + 1}/${RUNS} (${i % 2 === 0 ? 'kernel first' : 'bare first'}): kernel plan ${round(kr.planMs)} (init ${round(kr.phases.init!)}${kr.initSkipped ? ' skipped' : ''}, plan ${round(kr.phases.plan!)}, show ${round(kr.phases.show!)}), apply ${round(kr.applyMs)}, destroy ${round(kr.destroyPlanMs)} + ${round(kr.destroyApplyMs)} ms; bare init ${round(br.initMs)}, plan ${round(br.planMs)}, show ${round(br.showMs)}, apply ${round(br.applyMs)}, destroy ${round(br.destroyMs)} ms; pool ${JSON.stringify(kr.pool ?? {})}\n`,
      );
    }
    const col = (f: (r: (typeof rows)[number]) => number) => rows.map(f);
    const kPlan = col((r) => r.kernel.planMs);
    const bareCold = col((r) => r.bare.initMs + r.bare.planMs + r.bare.showMs);
    const barePlanShow = col((r) => r.bare.planMs + r.bare.showMs);
    const kApply = col((r) => r.kernel.applyMs);
    const bApply = col((r) => r.bare.applyMs);
    const kDestroy = col((r) => r.kernel.destroyPlanMs + r.kernel.destroyApplyMs);
    const bDestroy = col((r) => r.bare.destroyMs);
    const kTotal = col((r) => r.kernel.planMs + r.kernel.applyMs);
    const bTotal = col((r) => r.bare.initMs + r.bare.planMs + r.bare.showMs + r.bare.applyMs);
    return {
      measuredAt: new Date().toISOString(),
      runs: RUNS,
      resource: RESOURCE,
      resources: rows[0]?.resources,
      dataSources: rows[0]?.dataSources,
      providerPool: poolMetrics(k) ? 'on' : 'off',
      environmentKeys: Object.keys(extra),
      load: { start: loadStart, end: load(), oneMinuteDuringRuns: summarize(rows.map((r) => r.load)) },
      kernel: {
        plan: dist(kPlan),
        summary: dist(col((r) => r.kernel.summaryMs)),
        phases: Object.fromEntries(Object.keys(rows[0]?.kernel.phases ?? {}).map((phase) => [phase, dist(col((r) => r.kernel.phases[phase]!))])),
        initSkipped: rows.filter((r) => r.kernel.initSkipped).length,
        apply: dist(kApply),
        destroyPlan: dist(col((r) => r.kernel.destroyPlanMs)),
        destroyApply: dist(col((r) => r.kernel.destroyApplyMs)),
        destroy: dist(kDestroy),
      },
      bare: {
        init: dist(col((r) => r.bare.initMs)),
        plan: dist(col((r) => r.bare.planMs)),
        summary: dist(col((r) => r.bare.summaryMs)),
        show: dist(col((r) => r.bare.showMs)),
        initPlanShow: dist(bareCold),
        planShow: dist(barePlanShow),
        apply: dist(bApply),
        destroy: dist(bDestroy),
      },
      ratios: {
        planOverBareInitPlanShow: dist(ratios(kPlan, bareCold)),
        planOverBarePlanShow: dist(ratios(kPlan, barePlanShow)),
        applyOverBareApply: dist(ratios(kApply, bApply)),
        planApplyOverBare: dist(ratios(kTotal, bTotal)),
        destroyOverBareDestroy: dist(ratios(kDestroy, bDestroy)),
      },
      samples: rows.map((r) => ({
        kernel: { ...r.kernel, planMs: round(r.kernel.planMs, 1), applyMs: round(r.kernel.applyMs, 1), destroyPlanMs: round(r.kernel.destroyPlanMs, 1), destroyApplyMs: round(r.kernel.destroyApplyMs, 1), summaryMs: round(r.kernel.summaryMs, 1), phases: Object.fromEntries(Object.entries(r.kernel.phases).map(([p, v]) => [p, round(v, 1)])) },
        bare: Object.fromEntries(Object.entries(r.bare).map(([p, v]) => [p, round(v, 1)])),
        load: r.load,
      })),
    };
  } finally {
    await kernel?.close().catch(() => undefined);
    await moto?.stop().catch(() => undefined);
    restoreEnv();
    rmSync(root, { recursive: true, force: true });
  }
}
