import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKernel, type Kernel } from '../../../src/index.js';
import { chatApiOf } from '../../../src/kernel/plugin/chat-adapter.js';
import { renderLobby } from '../../../src/plugins/discord/discord-render.js';
import { DiscordBot } from '../../../src/plugins/discord/discord-bot.js';
import { DiscordEmulator, type EmulatedMessage } from '../../../test/support/discord-emulator/index.js';
import { CONFIG, ROOT, load, round, sleep, terraformEnv } from '../lib/config.js';
import { mustRun, type TimedRun } from '../lib/proc.js';
import { PLAN_SUMMARY, type ResourceSpec } from '../lib/spec.js';
import { quantile, ratios, summarize } from '../lib/stats.js';
import { instrument } from './plan.js';

/**
 * A change of a long-lived deployment: a sandbox deployment of N resources is applied once
 * (set-up), then each run opens a change of it, updates ONE resource (a VM's size), plans it
 * (`runPlan` to PLAN_READY, kernel in its default configuration) and cancels it. Against it,
 * bare `terraform plan -out` + `terraform show -json` on the same state and the very JSON the
 * change synthesized. Optionally, the Discord **Change** click on the applied lobby until the
 * new change's lobby (with the deployment's resources) is posted.
 *
 * AWS is not measured: a change's plan refreshes every resource against AWS, which needs an AWS
 * emulator (the moto-based issue); the offline provider can only plan creations.
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

/** The deployment's resources: VMs (bootSeconds 0) and buckets, alternating. */
export function deploymentResources(n: number): ResourceSpec[] {
  return Array.from({ length: n }, (_, i) =>
    i % 2 === 0 ? { name: `vm${i}`, type: 'sandbox.vm', config: { size: 'small', bootSeconds: 0 } } : { name: `bucket${i}`, type: 'sandbox.bucket', config: {} },
  );
}

/** The change each run makes: one VM's size (a different VM each run, so no two runs plan the same JSON). */
function changeOf(run: number, n: number): { name: string; config: Record<string, unknown> } {
  const vms = Math.ceil(n / 2);
  return { name: `vm${(run % vms) * 2}`, config: { size: run % 2 === 0 ? 'medium' : 'large', bootSeconds: 0 } };
}

/** The commit measured (and whether src/ had uncommitted changes), and terraform's version: the section states its own. */
function provenance() {
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

/** median, p90, min, max of a column. */
function dist(values: number[]) {
  const s = summarize(values);
  return { ...s, p90: quantile(values.filter(Number.isFinite), 0.9) };
}

export async function deploymentChangePart() {
  const loadStart = load();
  const root = mkdtempSync(join(CONFIG.workDir, 'deployment-change-'));
  const n = CONFIG.dcResources;
  const runs = CONFIG.dcRuns;
  const kernel = await createKernel({ logLevel: 'silent', dataDir: join(root, 'data'), admins: ['admin'], tfPluginDir: CONFIG.pluginDir, env: {} });
  const runPlan = instrument(kernel);
  const env = terraformEnv();
  const tf = (dir: string, args: string[], match?: RegExp) => mustRun(CONFIG.terraform, args, { cwd: dir, env, match });
  const loads: number[] = [];
  let closed = false;
  try {
    const { orchestrator } = kernel;
    await kernel.projects.create({ id: 'sandbox', provider: 'sandbox', createdBy: 'admin', settings: {} });

    // ---- set-up (not measured): a deployment of N resources, applied ----
    const setupStart = performance.now();
    const first = await orchestrator.startSession('admin', 'sandbox', undefined, { deployment: 'bench' });
    for (const resource of deploymentResources(n)) await orchestrator.addResource(first.id, 'admin', resource);
    const firstPlan = await orchestrator.runPlan(first.id, 'admin');
    const applied = await orchestrator.approveAndApply(first.id, 'admin', { planId: firstPlan.id });
    if (applied.state !== 'APPLIED') throw new Error(`the deployment's first change ended ${applied.state}: ${applied.error ?? ''}`);
    const workingDir = applied.workingDir;
    const stateFile = join(workingDir, 'terraform.tfstate');
    const stateHash = sha(stateFile);
    const setupMs = performance.now() - setupStart;
    process.stderr.write(`  deployment-change: ${n} resources applied in ${round(setupMs)} ms (${firstPlan.summary}); working dir ${workingDir}\n`);

    // Bare terraform: the deployment's state, copied once into a dir of its own and initialized (untimed).
    const bareDir = join(root, 'bare');
    mkdirSync(bareDir, { recursive: true });
    copyFileSync(stateFile, join(bareDir, 'terraform.tfstate'));
    copyFileSync(join(workingDir, 'main.tf.json'), join(bareDir, 'main.tf.json'));
    await tf(bareDir, ['init', '-input=false', '-no-color', `-plugin-dir=${CONFIG.pluginDir}`]);

    // One untimed change first, so that Node has compiled a change's code paths (open, update, plan, cancel) before the timed runs.
    {
      const warm = await orchestrator.startSession('admin', 'sandbox', undefined, { deployment: 'bench' });
      await orchestrator.updateResource(warm.id, 'admin', changeOf(runs, n));
      await runPlan(warm.id, 'admin');
      await orchestrator.cancelSession(warm.id, 'admin');
    }

    const rows: Array<{ kernel: KernelChange; bare: BareRun; bareKernelArgs: BareRun }> = [];
    for (let i = 0; i < runs; i++) {
      loads.push(load().one);
      const change = changeOf(i, n);
      // Open the change and make it (timed, outside runPlan).
      let t = performance.now();
      const session = await orchestrator.startSession('admin', 'sandbox', undefined, { deployment: 'bench' });
      const openMs = performance.now() - t;
      if (session.resources.length !== n || session.workingDir !== workingDir) throw new Error(`the change did not start from the deployment: ${session.resources.length} resources in ${session.workingDir}`);
      t = performance.now();
      await orchestrator.updateResource(session.id, 'admin', change);
      const updateMs = performance.now() - t;
      const text = `${JSON.stringify((await orchestrator.synthesize(session.id, 'admin')).config, null, 2)}\n`;

      const row: Partial<(typeof rows)[number]> = {};
      let kernelRun: Awaited<ReturnType<typeof runPlan>> | undefined;
      const bare = async (kernelArgs: boolean): Promise<BareRun> => {
        await sleep(CONFIG.dcPauseMs);
        writeFileSync(join(bareDir, 'main.tf.json'), text);
        const plan = kernelArgs
          ? await tf(bareDir, ['plan', '-input=false', '-json', '-out=bench.tfplan', '-lock-timeout=0s'], PLAN_SUMMARY)
          : await tf(bareDir, ['plan', '-input=false', '-out=bench.tfplan'], PLAN_SUMMARY);
        const show = await tf(bareDir, kernelArgs ? ['show', '-json', '-no-color', 'bench.tfplan'] : ['show', '-json', 'bench.tfplan']);
        return { plan, show };
      };
      const variants: Array<() => Promise<void>> = [
        async () => {
          await sleep(CONFIG.dcPauseMs);
          kernelRun = await runPlan(session.id, 'admin');
          // What the kernel planned is what bare terraform gets: the working dir's main.tf.json after the plan.
          if (readFileSync(join(workingDir, 'main.tf.json'), 'utf8') !== text) throw new Error('the working dir holds a different main.tf.json than the change synthesizes to');
        },
        async () => {
          row.bare = await bare(false);
        },
        async () => {
          row.bareKernelArgs = await bare(true);
        },
      ];
      // Rotate the order so no variant always runs first.
      for (let k = 0; k < variants.length; k++) await variants[(i + k) % variants.length]!();
      t = performance.now();
      await orchestrator.cancelSession(session.id, 'admin');
      const cancelMs = performance.now() - t;
      if (sha(stateFile) !== stateHash) throw new Error("the deployment's state changed during a run (a plan must not write it)");

      const k = kernelRun!;
      if (!/0 to add, 1 to change, 0 to destroy/.test(k.result.summary)) throw new Error(`the change planned "${k.result.summary}", not one update`);
      const bareLine = row.bare!.plan.matchLine ?? '';
      if (!bareLine.includes('0 to add, 1 to change, 0 to destroy')) throw new Error(`bare terraform planned "${bareLine}", not one update`);
      row.kernel = { openMs, updateMs, planMs: k.totalMs, summaryMs: k.summaryMs, cancelMs, initSkipped: k.initSkipped, phases: k.phases, summary: k.result.summary };
      const done = row as (typeof rows)[number];
      rows.push(done);
      process.stderr.write(
        `  deployment-change run ${i + 1}/${runs} (${change.name} → ${change.config.size}): kernel ${round(done.kernel.planMs)} ms (summary ${round(done.kernel.summaryMs)}), bare plan+show ${round(done.bare.plan.ms + done.bare.show.ms)} ms (Plan: ${round(done.bare.plan.matchMs ?? Number.NaN)}), bare with the kernel's args ${round(done.bareKernelArgs.plan.ms + done.bareKernelArgs.show.ms)} ms; open ${round(openMs)}, update ${round(updateMs)}, cancel ${round(cancelMs)} ms\n`,
      );
    }

    const col = (f: (row: (typeof rows)[number]) => number) => rows.map(f);
    const kernelReady = col((r) => r.kernel.planMs);
    const kernelSummary = col((r) => r.kernel.summaryMs);
    const barePlanShow = col((r) => r.bare.plan.ms + r.bare.show.ms);
    const bareSummary = col((r) => r.bare.plan.matchMs ?? Number.NaN);
    const barePlan = col((r) => r.bare.plan.ms);
    const bareArgsPlanShow = col((r) => r.bareKernelArgs.plan.ms + r.bareKernelArgs.show.ms);
    const kernelTerraform = col((r) => r.kernel.phases.plan + r.kernel.phases.show);
    const result = {
      ...provenance(),
      load: { start: loadStart, end: load(), oneMinuteDuringRuns: summarize(loads) },
      runs,
      resources: n,
      pauseMs: CONFIG.dcPauseMs,
      setup: { ms: round(setupMs), firstPlan: firstPlan.summary, workingDirRelative: workingDir.slice(join(root, 'data').length + 1) },
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
      })),
    };
    await kernel.close();
    closed = true;
    const discord = CONFIG.dcDiscordRuns > 0 ? await discordChange(root) : { skipped: 'BENCH_DC_DISCORD_RUNS=0' };
    return { ...result, discord, aws: 'not measured. A change of an AWS deployment plans against the state of its last apply, so terraform refreshes every resource against AWS: that needs an AWS emulator, and the offline provider with fake keys can only plan creations. The AWS half of this part waits for the moto-based AWS issue; nothing here stands in for it.' };
  } finally {
    if (!closed) await kernel.close().catch(() => undefined);
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
