import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createKernel, type Kernel } from '../../../src/index.js';
import { useEmulatorAwsEnv } from '../../../test/support/aws-emulators.js';
import { HAS_MOTO, NO_MOTO_REASON, startMoto, type MotoServer } from '../../../test/support/moto.js';
import { HAS_POSTGRES, NO_POSTGRES_REASON, startPostgres, type PostgresServer } from '../../../test/support/postgres.js';
import { BENCH_DIR, CONFIG, ROOT, load, round, sleep, type Provider } from '../lib/config.js';
import { ppidOf, treeCpuMs, treeRss } from '../lib/proc.js';
import { resources, type ResourceSpec } from '../lib/spec.js';
import { provenance } from './deployment-change.js';
import { quantile, summarize } from '../lib/stats.js';

/**
 * Issue 19: terraform work through the PostgreSQL job queue (pg-boss) on worker OS processes.
 *
 * One throwaway PostgreSQL server; each configuration gets a fresh database of its own on it:
 * - **in-process**: today's runner, one kernel in this process on that database (queue off, cap 2), state
 *   in its data dir; and again with the state in terraform's pg backend on the database, as the queue keeps it;
 * - **queue × W**: a front in this process (`queue: true, runner: false`) and W `cloud-engine worker`
 *   processes (the bin compiled into bench/.build, each with its own data dir and `CLOUD_ENGINE_MAX_TERRAFORM`).
 * In each, S sandbox sessions of R resources (new deployments) are planned at once (`runPlan` each), then
 * all approved at once (`approveAndApply`). Around each phase: the CPU time of every process tree (the
 * workers with their terraform children; this process; the PostgreSQL server with its backends), peak RSS
 * of each worker's tree sampled from /proc, PostgreSQL connections (pg_stat_activity), transactions
 * (pg_stat_database), and the NOTIFY traffic on the events channel. The queue latency comes from pg-boss's
 * own job rows (`started_on − created_on`) and from the session's first persisted output line.
 */

const int = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number, got ${process.env[name]}`);
  return value;
};
const WORKER_COUNTS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number).filter((count) => count > 0);
const SESSIONS = Math.max(1, int('BENCH_WORKERS_SESSIONS', 30));
const RESOURCES = Math.max(1, int('BENCH_WORKERS_RESOURCES', 10));
const CAP = Math.max(1, int('BENCH_WORKERS_CAP', 2));
const RUNS = Math.max(1, int('BENCH_WORKERS_RUNS', 3));
/** Sessions planned one after another on the idle queue, for its own latency. */
const IDLE = int('BENCH_WORKERS_IDLE', 5);
const IN_PROCESS = process.env.BENCH_WORKERS_INPROCESS !== '0';
/** The AWS figure: sessions of one S3 bucket on moto, planned through the queue by AWS_WORKERS workers (0 = none). */
const AWS_SESSIONS = int('BENCH_WORKERS_AWS_SESSIONS', 6);
const AWS_WORKERS = Math.max(1, int('BENCH_WORKERS_AWS_WORKERS', 2));
const SECRET_KEY = 'b'.repeat(64);
const EVENTS_CHANNEL = 'cloud_engine_events';
const PG_BOSS_VERSION = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'pg-boss', 'package.json'), 'utf8')) as { version: string }).version;
const WORKER_BIN = join(BENCH_DIR, '.build', 'src', 'bin', 'cloud-engine.js');

interface Worker {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  output(): string;
  stop(): Promise<void>;
}

/** `cloud-engine worker` as its own process group; resolves once it says it is ready. */
async function startWorker(url: string, root: string, name: string, extraEnv: Record<string, string>): Promise<Worker> {
  const dataDir = mkdtempSync(join(root, `${name}-`));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('CLOUD_ENGINE_')) delete env[key];
  const child = spawn(process.execPath, [WORKER_BIN, 'worker'], {
    env: {
      ...env,
      CLOUD_ENGINE_DATABASE_URL: url,
      CLOUD_ENGINE_DATA_DIR: dataDir,
      CLOUD_ENGINE_MAX_TERRAFORM: String(CAP),
      CLOUD_ENGINE_SECRET_KEY: SECRET_KEY,
      CLOUD_ENGINE_ADMINS: 'admin',
      CLOUD_ENGINE_LIFECYCLE_INTERVAL: '0',
      CLOUD_ENGINE_LOG_LEVEL: 'warn',
      CLOUD_ENGINE_TF_PLUGIN_DIR: CONFIG.pluginDir,
      ...(process.env.CLOUD_ENGINE_TERRAFORM_BIN ? { CLOUD_ENGINE_TERRAFORM_BIN: process.env.CLOUD_ENGINE_TERRAFORM_BIN } : {}),
      ...extraEnv,
    },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready in 60 s:\n${text}`)), 60_000);
    const check = () => {
      if (text.includes(' ready: ')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready:\n${text}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    dataDir,
    output: () => text,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timeout = sleep(15_000).then(() => 'timeout');
        if ((await Promise.race([exited.then(() => 'exited'), timeout])) === 'timeout') {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            // gone
          }
          await exited;
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const query = async <T>(client: pg.Client, text: string, values: unknown[] = []) => (await client.query(text, values)).rows as T[];

/** The PostgreSQL server's postmaster: the parent of a backend of ours. */
async function postmasterOf(client: pg.Client): Promise<number> {
  const [row] = await query<{ pid: number }>(client, 'SELECT pg_backend_pid() AS pid');
  const parent = ppidOf(row!.pid);
  if (!parent) throw new Error('cannot find the PostgreSQL postmaster (the parent of our backend)');
  return parent;
}

interface Sampler {
  stop(): { workerPeakTreeMiB: number[]; workerPeakNodeMiB: number[]; peakTerraformMiB: number; peakTerraformName?: string; peakProcessesPerWorker: number; thisProcessTree: { peakMiB: number; nodeMiB: number; processes: number; largest: string }; connections: { peak: number; byApp: Record<string, number> } };
}

/** Samples every 100 ms the workers' process trees (RSS) and, every 500 ms, the database's connections. */
function sample(workers: readonly Worker[], client: pg.Client, database: string, besides: readonly number[]): Sampler {
  const peakTree = workers.map(() => 0);
  const peakNode = workers.map(() => 0);
  let peakTf = 0;
  let peakTfName: string | undefined;
  let peakProcs = 0;
  let peakConnections = 0;
  let byApp: Record<string, number> = {};
  let ticks = 0;
  let querying = false;
  let selfPeak = { totalKiB: 0, nodeKiB: 0, processes: 0, largest: '' };
  const timer = setInterval(() => {
    const self = treeRss(process.pid, besides);
    if (self.totalKiB > selfPeak.totalKiB) selfPeak = { totalKiB: self.totalKiB, nodeKiB: Math.max(selfPeak.nodeKiB, self.selfKiB), processes: self.processes, largest: self.largestName ?? '' };
    workers.forEach((worker, i) => {
      const rss = treeRss(worker.pid);
      peakTree[i] = Math.max(peakTree[i]!, rss.totalKiB);
      peakNode[i] = Math.max(peakNode[i]!, rss.selfKiB);
      peakProcs = Math.max(peakProcs, rss.processes);
      if (rss.largestKiB > peakTf) {
        peakTf = rss.largestKiB;
        peakTfName = rss.largestName;
      }
    });
    if (ticks++ % 5 === 0 && !querying) {
      querying = true;
      query<{ app: string; n: string }>(client, "SELECT coalesce(nullif(application_name, ''), '(none)') AS app, count(*) AS n FROM pg_stat_activity WHERE datname = $1 GROUP BY 1", [database])
        .then((rows) => {
          const total = rows.reduce((sum, row) => sum + Number(row.n), 0);
          if (total > peakConnections) {
            peakConnections = total;
            byApp = Object.fromEntries(rows.map((row) => [row.app, Number(row.n)]));
          }
        })
        .catch(() => undefined)
        .finally(() => (querying = false));
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      const mib = (kib: number) => round(kib / 1024, 1);
      return {
        workerPeakTreeMiB: peakTree.map(mib),
        workerPeakNodeMiB: peakNode.map(mib),
        peakTerraformMiB: mib(peakTf),
        peakTerraformName: peakTfName,
        peakProcessesPerWorker: peakProcs,
        thisProcessTree: { peakMiB: mib(selfPeak.totalKiB), nodeMiB: mib(selfPeak.nodeKiB), processes: selfPeak.processes, largest: selfPeak.largest },
        connections: { peak: peakConnections, byApp },
      };
    },
  };
}

/** Counts the events crossing processes (pg_notify on the events channel) while it listens. */
async function listenEvents(url: string) {
  const client = new pg.Client({ connectionString: url, application_name: 'bench-listener' });
  await client.connect();
  const counted = { messages: 0, bytes: 0, byEvent: {} as Record<string, number> };
  client.on('notification', (message) => {
    counted.messages += 1;
    counted.bytes += Buffer.byteLength(message.payload ?? '');
    try {
      const event = (JSON.parse(message.payload ?? '{}') as { event?: string }).event ?? '?';
      counted.byEvent[event] = (counted.byEvent[event] ?? 0) + 1;
    } catch {
      // counted anyway
    }
  });
  await client.query(`LISTEN ${EVENTS_CHANNEL}`);
  return {
    take() {
      const taken = { ...counted, byEvent: { ...counted.byEvent } };
      counted.messages = 0;
      counted.bytes = 0;
      counted.byEvent = {};
      return taken;
    },
    close: () => client.end().catch(() => undefined),
  };
}

const pct = (values: number[]) => ({ n: values.length, p50: round(quantile(values, 0.5)), p90: round(quantile(values, 0.9)), p99: round(quantile(values, 0.99)), max: values.length ? round(Math.max(...values)) : Number.NaN });

interface Config {
  name: string;
  provider: Provider;
  workers: number;
  sessions: number;
  spec: (i: number) => ResourceSpec[];
  apply: boolean;
  /** In-process only: state in terraform's pg backend on the same database (as with the queue), not in the data dir. */
  pgState?: boolean;
}

/** One configuration on a fresh database: its sessions planned at once, then applied at once; everything measured around each phase. */
async function measure(server: PostgresServer, root: string, config: Config, projectSettings: Record<string, unknown>, workerEnv: Record<string, string>, outside?: { name: string; pid: number }) {
  const database = `bench_${config.name.replace(/[^a-z0-9]/g, '_')}`;
  const url = await server.createDatabase(database);
  const admin = new pg.Client({ connectionString: url, application_name: 'bench-sampler' });
  await admin.connect();
  const postmaster = await postmasterOf(admin);
  const workers: Worker[] = [];
  let kernel: Kernel | undefined;
  let listener: Awaited<ReturnType<typeof listenEvents>> | undefined;
  const dataDir = mkdtempSync(join(root, `${config.name}-kernel-`));
  try {
    const queued = config.workers > 0;
    const t0 = performance.now();
    if (queued) {
      // The first worker creates the queue's schema; the others find it.
      workers.push(await startWorker(url, root, `${config.name}-w0`, workerEnv));
      workers.push(...(await Promise.all(Array.from({ length: config.workers - 1 }, (_, i) => startWorker(url, root, `${config.name}-w${i + 1}`, workerEnv)))));
    }
    const workerStartMs = performance.now() - t0;
    kernel = await createKernel({
      logLevel: 'silent',
      dataDir,
      admins: ['admin'],
      tfPluginDir: CONFIG.pluginDir,
      env: {},
      database: { type: 'postgres', url },
      secretKey: SECRET_KEY,
      lifecycleInterval: 0,
      maxTerraform: CAP,
      ...(queued ? { queue: true, runner: false } : {}),
    });
    const k = kernel;
    // The pg backend's connection string as the queue's own default gives it (no password here; lib/pq wants sslmode said).
    const settings = config.pgState ? { ...projectSettings, backend: { type: 'pg', connStr: `${url}?sslmode=disable`, schema: 'cloud_engine_state' } } : projectSettings;
    await k.projects.create({ id: 'load', provider: config.provider, createdBy: 'admin', settings });
    if (queued) listener = await listenEvents(url);
    const newSessions = async (run: number, count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const session = await k.orchestrator.startSession('admin', 'load', undefined, { deployment: `r${run}-d${i}` });
        for (const resource of config.spec(run * 1000 + i)) await k.orchestrator.addResource(session.id, 'admin', resource);
        ids.push(session.id);
      }
      return ids;
    };
    const planOf = new Map<string, string>();
    const planOne = async (id: string) => {
      const result = await k.orchestrator.runPlan(id, 'admin');
      if (!/^Plan: \d+ to add/.test(result.summary ?? '')) throw new Error(`session ${id} planned "${result.summary}"`);
      planOf.set(id, result.id);
    };
    const applyOne = async (id: string) => {
      const done = await k.orchestrator.approveAndApply(id, 'admin', { planId: planOf.get(id)! });
      if (done.state !== 'APPLIED') throw new Error(`session ${id} ended ${done.state}: ${done.error ?? ''}`);
    };
    // Warm-up, not measured: one session planned (and applied) alone, so that the first init on the fresh
    // database (the pg backend creating its schema and table) is not in the figures.
    const warmStarted = performance.now();
    for (const id of await newSessions(0, 1)) {
      await planOne(id);
      if (config.apply) await applyOne(id);
    }
    const warmUpMs = performance.now() - warmStarted;
    await sleep(1000);
    const idleWorkerMiB = workers.map((worker) => round(treeRss(worker.pid).totalKiB / 1024, 1));

    // This process's tree without the workers and the servers it started (counted apart).
    const besides = () => [...workers.map((worker) => worker.pid), ...(outside ? [outside.pid] : [])];
    const xacts = async () => Number((await query<{ n: string }>(admin, 'SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1', [database]))[0]!.n);
    const phase = async (name: 'plan' | 'apply', ids: string[], run: (id: string) => Promise<unknown>) => {
      const loadAt = load().one;
      const cpu = { workers: workers.map((worker) => treeCpuMs(worker.pid)), self: treeCpuMs(process.pid, besides()), postgres: treeCpuMs(postmaster), outside: outside ? treeCpuMs(outside.pid) : 0 };
      const xactBefore = await xacts();
      const sampler = sample(workers, admin, database, besides());
      const submitted = new Map<string, number>();
      const failures: string[] = [];
      const started = performance.now();
      const startedAt = Date.now();
      const ends: number[] = [];
      await Promise.all(
        ids.map(async (id) => {
          submitted.set(id, Date.now());
          try {
            await run(id);
            ends.push(performance.now() - started);
          } catch (error) {
            failures.push((error as Error).message.split('\n')[0]!.slice(0, 300));
          }
        }),
      );
      const wallMs = performance.now() - started;
      const memory = sampler.stop();
      // pg_stat_database is flushed by each backend within a second of its last transaction.
      await sleep(1200);
      const xactAfter = await xacts();
      const workerCpuMs = workers.map((worker, i) => treeCpuMs(worker.pid) - cpu.workers[i]!);
      const postgresCpuMs = treeCpuMs(postmaster) - cpu.postgres;
      // This process with its terraform children: the in-process kernel, or the front (which runs none);
      // not the workers (its children too) nor a server it started for the bench (moto), counted apart.
      const outsideCpuMs = outside ? treeCpuMs(outside.pid) - cpu.outside : 0;
      const selfCpuMs = treeCpuMs(process.pid, besides()) - cpu.self;
      const firstLines = await query<{ session_id: string; first: string; n: string }>(
        admin,
        'SELECT session_id, min("at") AS first, count(*) AS n FROM output_lines WHERE operation = $1 AND session_id = ANY($2) GROUP BY session_id',
        [name, ids],
      );
      const firstLine = new Map(firstLines.map((row) => [row.session_id, new Date(row.first).getTime()]));
      const lineCount = firstLines.reduce((sum, row) => sum + Number(row.n), 0);
      let jobs: { waitMs: number[]; runMs: number[]; toFirstLineMs: number[]; retries: number; states: Record<string, number>; owners: number } | undefined;
      if (queued) {
        const rows = await query<{ session_id: string; created: string; started: string | null; completed: string | null; retry_count: number; state: string }>(
          admin,
          `SELECT data->>'sessionId' AS session_id, extract(epoch FROM created_on) * 1000 AS created, extract(epoch FROM started_on) * 1000 AS started,
                  extract(epoch FROM completed_on) * 1000 AS completed, retry_count, state
             FROM cloud_engine_jobs.job WHERE data->>'kind' = $1 AND data->>'sessionId' = ANY($2)`,
          [name, ids],
        );
        const states: Record<string, number> = {};
        for (const row of rows) states[row.state] = (states[row.state] ?? 0) + 1;
        const [owners] = await query<{ n: string }>(admin, 'SELECT count(DISTINCT operation_owner) AS n FROM sessions WHERE id = ANY($1)', [ids]);
        jobs = {
          waitMs: rows.filter((row) => row.started).map((row) => Number(row.started) - Number(row.created)),
          runMs: rows.filter((row) => row.started && row.completed).map((row) => Number(row.completed) - Number(row.started)),
          toFirstLineMs: rows.filter((row) => firstLine.has(row.session_id)).map((row) => firstLine.get(row.session_id)! - Number(row.created)),
          retries: rows.reduce((sum, row) => sum + Number(row.retry_count), 0),
          states,
          owners: Number(owners!.n),
        };
      }
      const submitToFirstLineMs = ids.filter((id) => firstLine.has(id)).map((id) => firstLine.get(id)! - submitted.get(id)!);
      const done = ends.length;
      const result = {
        sessions: ids.length,
        done,
        failures,
        wallMs: round(wallMs),
        perMinute: round(done / (wallMs / 60_000), 1),
        cpuMs: { workers: workerCpuMs.map((ms) => round(ms)), thisProcessTree: round(selfCpuMs), postgres: round(postgresCpuMs), ...(outside ? { [outside.name]: round(outsideCpuMs) } : {}) },
        memory,
        transactions: xactAfter - xactBefore,
        outputLines: lineCount,
        notify: listener?.take() ?? null,
        startedAt: new Date(startedAt).toISOString(),
        load: loadAt,
        raw: { doneMs: ends, submitToFirstLineMs, ...(jobs ? { jobWaitMs: jobs.waitMs, jobRunMs: jobs.runMs, jobToFirstLineMs: jobs.toFirstLineMs } : {}) },
        jobs: jobs ? { retries: jobs.retries, states: jobs.states, distinctOwners: jobs.owners } : null,
      };
      process.stderr.write(
        `  workers ${config.name} ${name}: ${done}/${ids.length} in ${round(wallMs)} ms = ${result.perMinute}/min${failures.length ? ` (${failures.length} FAILED: ${failures[0]})` : ''}; submit→first line p50 ${round(quantile(submitToFirstLineMs, 0.5))} p99 ${round(quantile(submitToFirstLineMs, 0.99))} ms${jobs ? `; job wait p50 ${round(quantile(jobs.waitMs, 0.5))} p99 ${round(quantile(jobs.waitMs, 0.99))}, run p50 ${round(quantile(jobs.runMs, 0.5))}; states ${JSON.stringify(jobs.states)}, retries ${jobs.retries}` : ''}; CPU workers ${workerCpuMs.map((ms) => round(ms)).join('+')} this ${round(selfCpuMs)} pg ${round(postgresCpuMs)} ms; peak tree ${memory.workerPeakTreeMiB.join(', ')} MiB, largest child ${memory.peakTerraformMiB} MiB; conns ${memory.connections.peak} ${JSON.stringify(memory.connections.byApp)}; xacts ${xactAfter - xactBefore}; load ${loadAt}\n`,
      );
      return result;
    };
    type Phase = Awaited<ReturnType<typeof phase>>;
    const runs: Array<{ plan: Phase; apply: Phase | null }> = [];
    for (let r = 1; r <= RUNS; r++) {
      const ids = await newSessions(r, config.sessions);
      await sleep(500);
      listener?.take();
      const plan = await phase('plan', ids, planOne);
      const apply = config.apply ? await phase('apply', ids, applyOne) : null;
      runs.push({ plan, apply });
    }
    // An idle queue: sessions planned one after another, so the latency is the queue's own (polling), not waiting behind others.
    const idle: Phase[] = [];
    for (const id of await newSessions(RUNS + 1, IDLE)) idle.push(await phase('plan', [id], planOne));
    return {
      name: config.name,
      provider: config.provider,
      workers: config.workers,
      state: config.workers || config.pgState ? 'pg' : 'local',
      cap: CAP,
      sessions: config.sessions,
      runs: RUNS,
      resourcesPerSession: config.spec(0).length,
      workerStartMs: round(workerStartMs),
      warmUpMs: round(warmUpMs),
      idleWorkerMiB,
      // Which worker ran what: the deployments' working dirs each worker's data dir holds at the end (a plan and its apply may run on two).
      workingDirsPerWorker: workers.map((worker) => {
        try {
          return readdirSync(join(worker.dataDir, 'deployments')).length;
        } catch {
          return 0;
        }
      }),
      plan: combine(runs.map((run) => run.plan), workers.length),
      apply: config.apply ? combine(runs.map((run) => run.apply!), workers.length) : null,
      idlePlan: IDLE ? combine(idle, workers.length) : null,
      plannedAndAppliedPerMinute: config.apply ? summarize(runs.map((run) => (run.plan.done + run.apply!.done) / 2 / ((run.plan.wallMs + run.apply!.wallMs) / 60_000))) : null,
      perRun: runs.map((run) => ({ plan: { ...run.plan, raw: undefined }, apply: run.apply ? { ...run.apply, raw: undefined } : null })),
    };
  } finally {
    await listener?.close();
    await kernel?.close().catch(() => undefined);
    await Promise.all(workers.map((worker) => worker.stop().catch(() => undefined)));
    await admin.end().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

type PhaseRun = {
  sessions: number;
  done: number;
  failures: string[];
  wallMs: number;
  perMinute: number;
  cpuMs: { workers: number[]; thisProcessTree: number; postgres: number; moto?: number };
  memory: ReturnType<Sampler['stop']>;
  transactions: number;
  outputLines: number;
  notify: { messages: number; bytes: number; byEvent: Record<string, number> } | null;
  load: number;
  raw: { doneMs: number[]; submitToFirstLineMs: number[]; jobWaitMs?: number[]; jobRunMs?: number[]; jobToFirstLineMs?: number[] };
  jobs: { retries: number; states: Record<string, number>; distinctOwners: number } | null;
};

/** The runs of one phase together: rates as median (min–max) of the runs, latencies pooled, costs per session. */
function combine(runs: PhaseRun[], workerCount: number) {
  const all = (pick: (run: PhaseRun) => number[] | undefined) => runs.flatMap((run) => pick(run) ?? []);
  const done = runs.reduce((sum, run) => sum + run.done, 0);
  const per = (total: number, digits = 0) => (done ? round(total / done, digits) : Number.NaN);
  const sum = (pick: (run: PhaseRun) => number) => runs.reduce((total, run) => total + pick(run), 0);
  const peakConnections = runs.reduce((best, run) => (run.memory.connections.peak > best.peak ? run.memory.connections : best), { peak: 0, byApp: {} as Record<string, number> });
  const workerCpu = sum((run) => run.cpuMs.workers.reduce((total, ms) => total + ms, 0));
  return {
    done,
    failed: runs.reduce((total, run) => total + run.failures.length, 0),
    failures: [...new Set(runs.flatMap((run) => run.failures))].slice(0, 5),
    perMinute: summarize(runs.map((run) => run.perMinute)),
    wallMs: summarize(runs.map((run) => run.wallMs)),
    doneMs: pct(all((run) => run.raw.doneMs)),
    submitToFirstLineMs: pct(all((run) => run.raw.submitToFirstLineMs)),
    jobWaitMs: workerCount ? pct(all((run) => run.raw.jobWaitMs)) : null,
    jobRunMs: workerCount ? pct(all((run) => run.raw.jobRunMs)) : null,
    jobToFirstLineMs: workerCount ? pct(all((run) => run.raw.jobToFirstLineMs)) : null,
    retries: sum((run) => run.jobs?.retries ?? 0),
    distinctOwners: runs.map((run) => run.jobs?.distinctOwners ?? 1),
    cpuMsPerSession: {
      workers: workerCount ? per(workerCpu) : null,
      thisProcessTree: per(sum((run) => run.cpuMs.thisProcessTree)),
      postgres: per(sum((run) => run.cpuMs.postgres)),
      ...(runs.some((run) => run.cpuMs.moto !== undefined) ? { moto: per(sum((run) => run.cpuMs.moto ?? 0)) } : {}),
    },
    /** CPU of the workers (or of the in-process kernel) over the phase's wall time, in cores. */
    coresBusy: {
      workers: workerCount ? round(workerCpu / sum((run) => run.wallMs), 2) : null,
      thisProcessTree: round(sum((run) => run.cpuMs.thisProcessTree) / sum((run) => run.wallMs), 2),
      postgres: round(sum((run) => run.cpuMs.postgres) / sum((run) => run.wallMs), 2),
    },
    workerPeakTreeMiB: round(Math.max(0, ...runs.flatMap((run) => run.memory.workerPeakTreeMiB)), 1),
    workerPeakNodeMiB: round(Math.max(0, ...runs.flatMap((run) => run.memory.workerPeakNodeMiB)), 1),
    peakChildMiB: round(Math.max(0, ...runs.map((run) => run.memory.peakTerraformMiB)), 1),
    peakChildName: runs.find((run) => run.memory.peakTerraformName)?.memory.peakTerraformName ?? null,
    peakProcessesPerWorker: Math.max(0, ...runs.map((run) => run.memory.peakProcessesPerWorker)),
    thisProcessTree: runs.reduce((best, run) => (run.memory.thisProcessTree.peakMiB > best.peakMiB ? run.memory.thisProcessTree : best), runs[0]!.memory.thisProcessTree),
    connections: peakConnections,
    transactionsPerSession: per(sum((run) => run.transactions), 1),
    outputLinesPerSession: per(sum((run) => run.outputLines), 1),
    notifyPerSession: runs[0]?.notify ? { messages: per(sum((run) => run.notify!.messages), 1), bytes: per(sum((run) => run.notify!.bytes)) } : null,
    notifyByEvent: runs[0]?.notify ? runs.reduce<Record<string, number>>((acc, run) => {
      for (const [event, count] of Object.entries(run.notify!.byEvent)) acc[event] = (acc[event] ?? 0) + count;
      return acc;
    }, {}) : null,
    load: summarize(runs.map((run) => run.load)),
  };
}

/** Git commit and terraform version; BENCH_SOURCE_COMMIT names the commit when the bench runs on an exported tree (`git archive`), which has no .git. */
function source() {
  const found = provenance();
  const exported = process.env.BENCH_SOURCE_COMMIT;
  return found.git.commit === 'unknown' && exported ? { ...found, git: { commit: exported, dirty: false, exported: true } } : found;
}

export async function workersPart() {
  if (!HAS_POSTGRES) return { skipped: NO_POSTGRES_REASON };
  const measuredAt = new Date().toISOString();
  const loadStart = load();
  const root = mkdtempSync(join(CONFIG.workDir, 'workers-'));
  let server: PostgresServer | undefined;
  try {
    server = await startPostgres();
    const versionClient = new pg.Client({ connectionString: server.url });
    await versionClient.connect();
    const postgresVersion = (await versionClient.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
    await versionClient.end();
    const sandbox = (workers: number, name: string): Config => ({ name, provider: 'sandbox', workers, sessions: SESSIONS, spec: () => resources('sandbox', RESOURCES), apply: true });
    const configs: Config[] = [
      ...(IN_PROCESS ? [sandbox(0, 'in-process'), { ...sandbox(0, 'in-process-pg-state'), pgState: true }] : []),
      ...WORKER_COUNTS.map((count) => sandbox(count, `queue-${count}`)),
    ];
    const rows = [];
    for (const config of configs) rows.push(await measure(server, root, config, {}, {}));
    let aws: unknown = { skipped: 'BENCH_WORKERS_AWS_SESSIONS=0' };
    if (AWS_SESSIONS > 0 && !HAS_MOTO) aws = { skipped: NO_MOTO_REASON };
    else if (AWS_SESSIONS > 0) {
      const restoreEnv = useEmulatorAwsEnv();
      let moto: MotoServer | undefined;
      try {
        moto = await startMoto();
        const settings = { region: 'us-east-1', endpoint: moto.url, skipCredentialsValidation: true };
        const bucket = (i: number): ResourceSpec[] => [{ name: 'b', type: 'aws.s3_bucket', config: { bucket: `ce-bench-workers-${i}` } }];
        // Workers inherit this process's emulator credentials (useEmulatorAwsEnv set them).
        aws = await measure(server, root, { name: `aws-queue-${AWS_WORKERS}`, provider: 'aws', workers: AWS_WORKERS, sessions: AWS_SESSIONS, spec: bucket, apply: false }, settings, {}, { name: 'moto', pid: moto.pid });
      } finally {
        await moto?.stop().catch(() => undefined);
        restoreEnv();
      }
    }
    return { measuredAt, ...source(), postgresVersion, pgBoss: PG_BOSS_VERSION, cap: CAP, sessions: SESSIONS, runs: RUNS, idle: IDLE, resources: RESOURCES, load: { start: loadStart, end: load() }, rows, aws };
  } finally {
    await server?.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}
