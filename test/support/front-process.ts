import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_BIN } from './cli-runner.js';

/** A `cloud-engine start` OS process (a front) with a data dir of its own, in its own process group. */
export interface FrontProcess {
  readonly child: ChildProcess;
  readonly dataDir: string;
  /** What it printed, stdout and stderr (its JSON log lines among them). */
  output(): string;
  /** `kill -9` of the front and everything it started, as a machine dying would. */
  killHard(): void;
  stop(): Promise<void>;
}

/** Starts `cloud-engine start --no-dashboard [args]` with `env` (the database, the queue, the chat adapters'); resolves once it runs. */
export async function startFront(env: Record<string, string>, args: readonly string[] = []): Promise<FrontProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cloud-engine-front-'));
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of ['CLOUD_ENGINE_LOG_LEVEL', 'CLOUD_ENGINE_ADMINS', 'CLOUD_ENGINE_CONSOLE']) delete base[key];
  const child = spawn(process.execPath, [CLI_BIN, 'start', '--no-dashboard', ...args], {
    env: { ...base, CLOUD_ENGINE_DATA_DIR: dataDir, CLOUD_ENGINE_LOG_LEVEL: 'info', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`front not started in 30 s:\n${text}`)), 30_000);
    const check = () => {
      if (text.includes('chat adapters started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`front exited (${code}) before it started:\n${text}`));
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
