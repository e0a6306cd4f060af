import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/.build/bench/src/lib → five levels up). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../..');
export const BENCH_DIR = join(ROOT, 'bench');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback).split(',').map((item) => item.trim()).filter(Boolean);
}
function int(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a number, got ${value}`);
  return parsed;
}

export type Provider = 'sandbox' | 'aws';

/** Every knob, from the environment; the defaults keep `npm run bench` near 20 minutes on 2 cores. */
export const CONFIG = {
  parts: list('BENCH_PARTS', 'startup,synth,plan,pool,throughput,discord,deployment-change,web-service,dashboard,drift,workers'),
  runs: Math.max(1, int('BENCH_RUNS', 5)),
  providers: list('BENCH_PROVIDERS', 'sandbox,aws') as Provider[],
  sizes: list('BENCH_SIZES', '1,10,100').map(Number),
  /** Run `cdktf plan` beside the kernel (needs the cdktf-cli devDependency). */
  cdktf: process.env.BENCH_CDKTF !== '0',
  synthSizes: list('BENCH_SYNTH_SIZES', '1,10,100,1000').map(Number),
  synthRuns: Math.max(1, int('BENCH_SYNTH_RUNS', 7)),
  startupRuns: Math.max(1, int('BENCH_STARTUP_RUNS', 7)),
  /** Provider pool part (aws, N from BENCH_SIZES): pool size (0 = the kernel's default, maxTerraform), pause before each timed variant, N of the cold-session row (0 = none). */
  poolSize: int('BENCH_POOL_SIZE', 0),
  poolPauseMs: int('BENCH_POOL_PAUSE_MS', 1000),
  poolColdSize: int('BENCH_POOL_COLD_SIZE', 10),
  throughputCaps: list('BENCH_CAPS', '1,2,4').map(Number),
  throughputProviders: list('BENCH_TPUT_PROVIDERS', 'sandbox,aws') as Provider[],
  throughputResources: int('BENCH_TPUT_RESOURCES', 10),
  throughputSessions: { sandbox: int('BENCH_TPUT_SESSIONS_SANDBOX', 8), aws: int('BENCH_TPUT_SESSIONS_AWS', 4) } as Record<Provider, number>,
  discordPlans: int('BENCH_DISCORD_PLANS', 10),
  discordProvider: (process.env.BENCH_DISCORD_PROVIDER ?? 'aws') as Provider,
  discordPlanResources: int('BENCH_DISCORD_PLAN_RESOURCES', 10),
  discordWindowMs: int('BENCH_DISCORD_WINDOW_MS', 10_000),
  discordBaselineMs: int('BENCH_DISCORD_BASELINE_MS', 4_000),
  /** Also measure with terraform reniced to 10 (an experiment for a proposed src change). */
  discordNiceExperiment: process.env.BENCH_DISCORD_NICE !== '0',
  discordNiceWindowMs: int('BENCH_DISCORD_NICE_WINDOW_MS', 6_000),
  discordRatePerSec: int('BENCH_DISCORD_RATE', 8),
  discordApplyVms: int('BENCH_DISCORD_APPLY_VMS', 4),
  discordBootSeconds: int('BENCH_DISCORD_BOOT_SECONDS', 8),
  /** The kernel's cap on terraform processes during the Discord part; its default is 2. */
  discordCap: int('BENCH_DISCORD_CAP', 2),
  /** Deployment change part (sandbox): resources in the deployment, changes planned, pause before each timed variant, Discord Change clicks (0 = none). */
  dcResources: int('BENCH_DC_RESOURCES', 100),
  dcRuns: Math.max(1, int('BENCH_DC_RUNS', 21)),
  dcPauseMs: int('BENCH_DC_PAUSE_MS', 250),
  dcDiscordRuns: int('BENCH_DC_DISCORD_RUNS', 10),
  /**
   * Its halves: sandbox (with the Discord clicks) and aws (on a moto server). A half left out keeps its
   * figures from the previous results file, stated as such, so one half can be rerun alone.
   */
  dcProviders: list('BENCH_DC_PROVIDERS', 'sandbox,aws') as Provider[],
  /** The AWS half: resources in the deployment applied on moto, changes planned. */
  dcAwsResources: int('BENCH_DC_AWS_RESOURCES', 100),
  dcAwsRuns: Math.max(1, int('BENCH_DC_AWS_RUNS', 11)),
  /** Dashboard part (§10): sandbox applies streaming at once, each VM's boot (one line a second), and how long the pages are timed with nothing running. */
  dashboardApplies: Math.max(1, int('BENCH_DASHBOARD_APPLIES', 10)),
  dashboardBootSeconds: Math.max(1, int('BENCH_DASHBOARD_BOOT_SECONDS', 20)),
  dashboardIdleMs: int('BENCH_DASHBOARD_IDLE_MS', 5000),
  pluginDir: process.env.CLOUD_ENGINE_TF_PLUGIN_DIR ?? '/opt/tf-plugins',
  terraform: process.env.CLOUD_ENGINE_TERRAFORM_BIN ?? 'terraform',
  workDir: process.env.BENCH_WORK_DIR ?? join(tmpdir(), 'cloud-engine-bench'),
};

export const AWS_SETTINGS = { region: 'us-east-1', skipCredentialsValidation: true } as const;

/** Fake credentials: the offline AWS plans never call AWS (skipCredentialsValidation). */
export function useFakeAwsCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = 'AKIABENCHMARKFAKE000';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench-fake-secret-key-not-used-anywhere';
  process.env.AWS_REGION = 'us-east-1';
  delete process.env.AWS_PROFILE;
}

/**
 * The environment the kernel gives terraform (commandEnv in kernel/terraform/terraform-process.ts), so bare runs
 * do the same work: automation mode, no checkpoint calls, no CLI config file.
 */
export function terraformEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1', ...extra };
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) env.TF_CLI_CONFIG_FILE = '';
  return env;
}

/** A CLI config that installs providers from the offline mirror (for `cdktf plan`, which runs a plain `terraform init`). */
export function mirrorCliConfig(): string {
  const path = join(CONFIG.workDir, 'terraform-mirror.tfrc');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(CONFIG.pluginDir)}\n    include = ["registry.terraform.io/*/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n}\n`,
  );
  return path;
}

export function load(): { one: number; five: number; fifteen: number } {
  const [one, five, fifteen] = loadavg();
  return { one: round(one!, 2), five: round(five!, 2), fifteen: round(fifteen!, 2) };
}

export function machine() {
  const cpu = cpus();
  return { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memGiB: round(totalmem() / 2 ** 30, 1) };
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The compiled CLI reads its version from ../../package.json, i.e. bench/.build/package.json. */
export function ensureBuildPackageJson(): void {
  const path = join(BENCH_DIR, '.build', 'package.json');
  const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  writeFileSync(path, `${JSON.stringify({ name, version, private: true, type: 'module' }, null, 2)}\n`);
}
