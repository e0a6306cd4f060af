import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_BIN } from './cli-runner.js';

/** The built `cloud-engine` bin running as an OS process of its own, in its own process group. */
export interface BinProcess {
  readonly child: ChildProcess;
  /** What it printed, stdout and stderr (its JSON log lines among them). */
  output(): string;
  /** `kill -9` of it and everything it started (terraform too), as a machine dying would. */
  killHard(): void;
  /** SIGTERM, and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts `cloud-engine <args>` with the machine's environment less its log and admin settings, plus
 * `env`; resolves once it has printed `ready`, rejects if it exits first or takes over 30 s.
 */
export async function startBin(args: readonly string[], env: Record<string, string>, ready: string): Promise<BinProcess> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const key of ['CLOUD_ENGINE_LOG_LEVEL', 'CLOUD_ENGINE_ADMINS', 'CLOUD_ENGINE_CONSOLE']) delete base[key];
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env: { ...base, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cloud-engine ${args.join(' ')} not ready in 30 s:\n${text}`)), 30_000);
    const take = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes(ready)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`cloud-engine ${args.join(' ')} exited (${code}) before it was ready:\n${text}`));
    });
  });
  return {
    child,
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
