import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from './cli-runner.js';

/** A `cloud-engine worker` OS process with a data dir of its own, in its own process group. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly dataDir: string;
  /** What it printed, stdout and stderr. */
  output(): string;
  /** `kill -9` of the worker and everything it started (terraform too), as a machine dying would. */
  killHard(): void;
  /** SIGTERM, and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts `cloud-engine worker` (the built bin) on `databaseUrl`; resolves once it says it is ready. */
export async function startWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<WorkerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-worker-'));
  const base: Record<string, string | undefined> = { ...process.env };
  delete base.CLOUD_ENGINE_LOG_LEVEL;
  delete base.CLOUD_ENGINE_ADMINS;
  const child = spawn(process.execPath, [CLI_BIN, 'worker'], {
    env: { ...base, CLOUD_ENGINE_DATABASE_URL: databaseUrl, CLOUD_ENGINE_DATA_DIR: dataDir, CLOUD_ENGINE_LOG_LEVEL: 'warn', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready in 30 s:\n${text}`)), 30_000);
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
    dataDir,
    output: () => text,
    killHard() {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
