import { execFile, execFileSync } from 'node:child_process';
import { accessSync, appendFileSync, chownSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL server for tests: its own data dir in a fresh tmp
 * dir, listening only on 127.0.0.1 on a free port, trust auth, no fsync.
 */

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const INITDB = onPath('initdb');
const PG_CTL = onPath('pg_ctl');

/** True when `initdb` (and `pg_ctl`) are on PATH, so `startPostgres` can work. */
export const HAS_POSTGRES = Boolean(INITDB && PG_CTL);

/** Why the Postgres tests are skipped, for a console message. */
export const NO_POSTGRES_REASON = HAS_POSTGRES
  ? ''
  : `PostgreSQL tests skipped: ${INITDB ? 'pg_ctl' : 'initdb'} is not on PATH (${process.env.PATH ?? ''}). Install PostgreSQL server binaries (e.g. postgresql-15) to run them.`;

export interface PostgresServer {
  /** Connection URL of the `cloud_engine` database (user postgres, trust auth). */
  readonly url: string;
  readonly port: number;
  /** Creates another empty database on this server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server at once (`pg_ctl stop -m immediate`) and removes its files. Safe to call twice. */
  stop(): Promise<void>;
}

const STEP_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 20_000;
const USER = 'postgres';
const DATABASE = 'cloud_engine';

/** Servers still running, stopped on process exit if a test forgot (or crashed before) `stop()`. */
const live = new Set<{ pgData: string; root: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of live) {
      try {
        execFileSync(...asPostgres(PG_CTL!, ['stop', '-D', server.pgData, '-m', 'immediate', '-w', '-t', '10']), { stdio: 'ignore', cwd: server.root, timeout: 15_000 });
      } catch {
        // best effort
      }
      rmSync(server.root, { recursive: true, force: true });
    }
  });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** initdb refuses to run as root: then run the binaries as the `postgres` user. */
function asPostgres(binary: string, args: string[]): [string, string[]] {
  return isRoot ? ['runuser', ['-u', USER, '--', binary, ...args]] : [binary, args];
}

function run(binary: string, args: string[], cwd: string, timeoutMs = STEP_TIMEOUT_MS): Promise<{ stdout: string; stderr: string }> {
  const [command, argv] = asPostgres(binary, args);
  return new Promise((resolve, reject) => {
    execFile(command, argv, { cwd, timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, LC_ALL: 'C.UTF-8' } }, (error, stdout, stderr) => {
      if (error) {
        const how = error.killed ? `timed out after ${timeoutMs / 1000}s` : `exited with ${error.code ?? error.signal}`;
        reject(new Error(`${[command, ...argv].join(' ')} ${how}\n${`${stdout}\n${stderr}`.trim()}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not find a free port'))));
    });
  });
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

function postgresUid(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(`The tests run as root, and initdb refuses root, but there is no "${USER}" user to run PostgreSQL as: ${(error as Error).message}`);
  }
}

async function query(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitUntilReady(url: string, log: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await query(url, 'SELECT 1');
      return;
    } catch (error) {
      last = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`PostgreSQL did not accept connections at ${url} within ${READY_TIMEOUT_MS / 1000}s: ${(last as Error)?.message}\n--- server log (tail) ---\n${tail(log)}`);
}

/** Starts a fresh PostgreSQL server; `stop()` it when done. */
export async function startPostgres(): Promise<PostgresServer> {
  if (!HAS_POSTGRES) throw new Error(NO_POSTGRES_REASON);
  const root = mkdtempSync(join(tmpdir(), 'cloud-engine-pg-'));
  const pgData = join(root, 'data');
  const log = join(root, 'server.log');
  const handle = { pgData, root };
  let started = false;

  const stop = async () => {
    if (!live.delete(handle)) return;
    try {
      if (started) await run(PG_CTL!, ['stop', '-D', pgData, '-m', 'immediate', '-w', '-t', '10'], root, 15_000);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  live.add(handle);
  installExitHook();
  try {
    if (isRoot) {
      const { uid, gid } = postgresUid();
      chownSync(root, uid, gid);
    }
    await run(INITDB!, ['-D', pgData, '-U', USER, '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync', '--no-instructions'], root);
    writeFileSync(join(pgData, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');

    // The port is free now, but another process may take it before postgres binds it: retry then.
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      appendFileSync(
        join(pgData, 'postgresql.conf'),
        [
          '',
          '# throwaway test server',
          "listen_addresses = '127.0.0.1'",
          `port = ${port}`,
          `unix_socket_directories = '${root}'`,
          'fsync = off',
          'synchronous_commit = off',
          'full_page_writes = off',
          'max_connections = 100',
          "log_min_messages = 'warning'",
          '',
        ].join('\n'),
      );
      try {
        await run(PG_CTL!, ['start', '-D', pgData, '-l', log, '-w', '-t', String(READY_TIMEOUT_MS / 1000)], root, READY_TIMEOUT_MS + 5_000);
        started = true;
        break;
      } catch (error) {
        const serverLog = tail(log);
        if (attempt < 3 && /could not bind|Address already in use/i.test(serverLog)) continue;
        // pg_ctl may have started the postmaster before giving up waiting.
        started = existsSync(join(pgData, 'postmaster.pid'));
        throw new Error(`${(error as Error).message}\n--- server log (tail) ---\n${serverLog}`);
      }
    }

    const base = `postgres://${USER}@127.0.0.1:${port}`;
    await waitUntilReady(`${base}/postgres`, log);
    const createDatabase = async (name: string) => {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await query(`${base}/postgres`, `CREATE DATABASE ${name}`);
      return `${base}/${name}`;
    };
    const url = await createDatabase(DATABASE);
    return { url, port, createDatabase, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}
