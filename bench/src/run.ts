// `npm run bench`: every part in its own process, one after another, then BENCHMARKS.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { release, platform } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, CONFIG, RESULTS_DIR, ROOT, load, machine, terraformEnv } from './lib/config.js';
import { longTasks } from './lib/profile.js';
import { updateSections, writeReport } from './report.js';

function version(pkg: string): string | null {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return null;
  }
}

function environment() {
  let terraform = 'unknown';
  try {
    terraform = (JSON.parse(execFileSync(CONFIG.terraform, ['version', '-json'], { encoding: 'utf8', env: terraformEnv(), stdio: ['ignore', 'pipe', 'ignore'] })) as { terraform_version: string }).terraform_version;
  } catch {
    // reported as unknown
  }
  const awsDir = join(CONFIG.pluginDir, 'registry.terraform.io/hashicorp/aws');
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString(),
    machine: { ...machine(), os: `${platform()} ${release()}` },
    load: load(),
    versions: {
      node: process.version,
      terraform,
      awsProvider: existsSync(awsDir) ? readdirSync(awsDir).join(', ') : 'not mirrored',
      cdktf: version('cdktf'),
      cdktfCli: version('cdktf-cli'),
      providerAws: version('@cdktf/provider-aws'),
      discordJs: version('discord.js'),
      typeorm: version('typeorm'),
    },
    git: { commit: git(['rev-parse', '--short', 'HEAD']), dirty: git(['status', '--porcelain', '--', 'src']).length > 0 },
    config: CONFIG,
  };
}

const partScript = join(BENCH_DIR, '.build/bench/src/part.js');
mkdirSync(RESULTS_DIR, { recursive: true });
const env = environment();
console.log(`cloud-engine bench: ${env.machine.cpus} × ${env.machine.cpuModel}, load ${env.load.one}/${env.load.five}/${env.load.fifteen}, parts ${CONFIG.parts.join(', ')}, ${CONFIG.runs} runs`);
const started = Date.now();
const durations: Record<string, number> = {};
for (const part of CONFIG.parts) {
  const t = Date.now();
  console.log(`\n▶ ${part}`);
  // BENCH_PROFILE=discord,plan: run those parts under --cpu-prof instead (their figures go to
  // <part>.profiled-run.json, not into the report) and summarize their long tasks.
  const profiled = (process.env.BENCH_PROFILE ?? '').split(',').includes(part);
  const profDir = join(CONFIG.workDir, `profile-${part}`);
  if (profiled) rmSync(profDir, { recursive: true, force: true });
  const flags = profiled ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=500'] : [];
  const child = spawnSync(process.execPath, [...flags, partScript, part], { stdio: 'inherit', env: { ...process.env, BENCH_PROFILING: profiled ? '1' : '' } });
  if (profiled && child.status === 0) {
    const file = readdirSync(profDir).find((name) => name.endsWith('.cpuprofile'));
    if (file) {
      writeFileSync(join(RESULTS_DIR, `${part}.profile.json`), `${JSON.stringify({ part, date: new Date().toISOString(), ...longTasks(join(profDir, file)) }, null, 2)}\n`);
      console.log(`  profile of ${part}: ${join(profDir, file)}`);
    }
  }
  if (!profiled) durations[part] = Date.now() - t;
  if (child.status !== 0) {
    console.error(`part ${part} failed (exit ${child.status}); its previous results, if any, are kept`);
    process.exitCode = 1;
  }
  console.log(`  ${part}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
}
const total = Date.now() - started;
// BENCH_REPORT=sections: only the sections of the parts run (those that have one of their own) are
// rewritten; the rest of BENCHMARKS.md, and environment.json, stay as the last full run left them.
const sectionsOnly = process.env.BENCH_REPORT === 'sections';
// A run of some parts keeps the other parts' earlier results (and their durations).
const envFile = join(RESULTS_DIR, 'environment.json');
// A run that only profiled leaves the environment of the measured run alone.
if (Object.keys(durations).length > 0 && !sectionsOnly) {
  const previous = existsSync(envFile) ? (JSON.parse(readFileSync(envFile, 'utf8')) as { durations?: Record<string, number> }) : {};
  const merged = { ...previous.durations, ...durations };
  writeFileSync(envFile, `${JSON.stringify({ ...env, durations: merged, totalMs: Object.values(merged).reduce((sum, ms) => sum + ms, 0) }, null, 2)}\n`);
}
const out = sectionsOnly ? updateSections(CONFIG.parts) : writeReport();
console.log(`\nwrote ${out} (${(total / 1000).toFixed(0)} s in all)`);
