import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, CONFIG, ROOT, load, round } from '../lib/config.js';
import { summarize, type Summary } from '../lib/stats.js';
import { timed } from '../lib/proc.js';

const CHILD = join(BENCH_DIR, '.build/bench/src/startup-child.js');
const CLI = join(BENCH_DIR, '.build/src/bin/cloud-engine.js');

interface ChildResult {
  wallReadyMs: number;
  bootMs: number;
  importMs: number;
  createKernelMs: number;
  rssReadyMiB: number;
  rssIdleMiB: number;
  heapUsedMiB: number;
}

function startOnce(dataDir: string, extraArgs: string[] = []): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let wallReadyMs = 0;
    let buffer = '';
    let result: ChildResult | undefined;
    const child = spawn(process.execPath, [...extraArgs, CHILD, dataDir, '1000'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let index: number;
      while ((index = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 1);
        const message = JSON.parse(line) as { ready?: boolean; result?: Omit<ChildResult, 'wallReadyMs'> };
        if (message.ready) wallReadyMs = performance.now() - started;
        if (message.result) result = { wallReadyMs, ...message.result };
      }
    });
    child.on('error', reject);
    // Resolved on close, so a --cpu-prof file has been written.
    child.on('close', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`startup child exited ${code}`))));
  });
}

/** Self time of a CPU profile grouped by the package whose code (or whose loading) it was. */
function profileByPackage(file: string, untilMs: number): Array<{ what: string; ms: number }> {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
    samples: number[];
    timeDeltas: number[];
    startTime: number;
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const url = byId.get(cur)!.callFrame.url;
      const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
      if (pkg) return pkg[1]!;
      if (url.includes('/bench/.build/src/')) return 'cloud-engine (src)';
    }
    const name = byId.get(id)!.callFrame.functionName;
    if (['compileSourceTextModule', 'parseSource', 'detectModuleFormat', 'wrapSafe', 'parseCJS', 'compileFunctionForCJSLoader'].includes(name)) return `module compile/parse (${name})`;
    if (['internalModuleStat', 'openFileHandle', 'readFileUtf8', 'getPackageScopeConfig', 'realpathSync', 'URL', 'statSync'].includes(name)) return 'module resolution & file reads';
    return name || '(anonymous)';
  };
  const totals = new Map<string, number>();
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i]! / 1000;
    if (at > untilMs) break;
    const key = label(profile.samples[i]!);
    totals.set(key, (totals.get(key) ?? 0) + profile.timeDeltas[i]! / 1000);
  }
  return [...totals]
    .filter(([key]) => key !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 14)
    .map(([what, ms]) => ({ what, ms: round(ms) }));
}

export async function startupPart() {
  const loadStart = load();
  const fresh: ChildResult[] = [];
  const existing: ChildResult[] = [];
  const dirs: string[] = [];
  for (let i = 0; i < CONFIG.startupRuns; i++) {
    const dir = mkdtempSync(join(CONFIG.workDir, 'startup-'));
    dirs.push(dir);
    fresh.push(await startOnce(dir));
    existing.push(await startOnce(dir));
  }
  // The CLI a script would call: node start, commander, kernel, one query, exit.
  const cli: number[] = [];
  for (let i = 0; i < CONFIG.startupRuns; i++) {
    const run = await timed(process.execPath, [CLI, 'projects', '--json'], {
      cwd: ROOT,
      env: { ...process.env, CLOUD_ENGINE_DATA_DIR: dirs[i]!, CLOUD_ENGINE_USER: 'admin', CLOUD_ENGINE_LOG_LEVEL: 'silent' },
    });
    if (run.exitCode !== 0) throw new Error(`cloud-engine projects failed: ${run.tail}`);
    cli.push(run.ms);
  }
  // What the heaviest dependency groups cost to import alone, in a fresh process each.
  const groups: Record<string, string[]> = {
    'cdktf + constructs + provider bindings (aws, google)': [
      'cdktf',
      'constructs',
      '@cdktf/provider-aws/lib/provider/index.js',
      '@cdktf/provider-aws/lib/s3-bucket/index.js',
      '@cdktf/provider-aws/lib/instance/index.js',
      '@cdktf/provider-aws/lib/dynamodb-table/index.js',
      '@cdktf/provider-google/lib/provider/index.js',
      '@cdktf/provider-google/lib/compute-instance/index.js',
      '@cdktf/provider-google/lib/storage-bucket/index.js',
    ],
    'typeorm + sqlite3': ['typeorm', 'sqlite3'],
    'zod': ['zod'],
    'inversify + reflect-metadata': ['reflect-metadata', 'inversify'],
    'pino': ['pino'],
    'node alone (empty script)': [],
  };
  const deps: Array<{ group: string; ms: Summary }> = [];
  for (const [group, modules] of Object.entries(groups)) {
    const code = `const t = performance.now(); for (const m of ${JSON.stringify(modules)}) await import(m); process.stdout.write(String(performance.now() - t));`;
    const wall: number[] = [];
    const inside: number[] = [];
    for (let i = 0; i < CONFIG.startupRuns; i++) {
      const run = await timed(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, keepStdout: true });
      wall.push(run.ms);
      inside.push(Number(run.stdout));
    }
    deps.push({ group, ms: summarize(modules.length ? inside : wall) });
  }

  // One profiled start: where the start-up time goes, by package.
  const profDir = mkdtempSync(join(CONFIG.workDir, 'startup-prof-'));
  const profiled = await startOnce(dirs[0]!, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250']);
  const profFile = join(profDir, readdirSync(profDir)[0]!);
  const profile = profileByPackage(profFile, profiled.bootMs + profiled.importMs + profiled.createKernelMs);
  for (const dir of [...dirs, profDir]) rmSync(dir, { recursive: true, force: true });

  const pick = (rows: ChildResult[], key: keyof ChildResult): Summary => summarize(rows.map((row) => row[key]));
  return {
    load: { start: loadStart, end: load() },
    runs: CONFIG.startupRuns,
    fresh: { wallReadyMs: pick(fresh, 'wallReadyMs'), bootMs: pick(fresh, 'bootMs'), importMs: pick(fresh, 'importMs'), createKernelMs: pick(fresh, 'createKernelMs'), rssReadyMiB: pick(fresh, 'rssReadyMiB'), rssIdleMiB: pick(fresh, 'rssIdleMiB'), heapUsedMiB: pick(fresh, 'heapUsedMiB') },
    existing: { wallReadyMs: pick(existing, 'wallReadyMs'), bootMs: pick(existing, 'bootMs'), importMs: pick(existing, 'importMs'), createKernelMs: pick(existing, 'createKernelMs'), rssReadyMiB: pick(existing, 'rssReadyMiB'), rssIdleMiB: pick(existing, 'rssIdleMiB'), heapUsedMiB: pick(existing, 'heapUsedMiB') },
    cliProjectsMs: summarize(cli),
    deps,
    profile: { note: 'one --cpu-prof start (fresh data dir reused), CPU self time until the kernel was ready, by package', totalMs: round(profiled.bootMs + profiled.importMs + profiled.createKernelMs), rows: profile },
  };
}
