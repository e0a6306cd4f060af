import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

/** The built `cloud-engine` bin the CLI tests run. */
export const CLI_BIN = join(import.meta.dirname, '..', '..', 'dist', 'bin', 'cloud-engine.js');

/** What one run of the bin printed and how it ended. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  json: () => any;
}

/** The environment the bin runs with: `dir`'s data (`dir/data`), acting as `user`, the machine's log and admin settings left out (a test may set its own in `extraEnv`). */
export function cliEnv(dir: string, user: string, extraEnv: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, CLOUD_ENGINE_DATA_DIR: join(dir, 'data'), CLOUD_ENGINE_USER: user };
  delete env.CLOUD_ENGINE_LOG_LEVEL;
  delete env.CLOUD_ENGINE_ADMINS;
  return { ...env, ...extraEnv };
}

/** Runs the built bin as `user` on `dir`, the way a CI job would; `stdin` is text to pipe in or a file descriptor. */
export function runCli(dir: string, user: string, args: string[], extraEnv: Record<string, string> = {}, options: { stdin?: string | number; timeout?: number } = {}): CliRun {
  const stdin = options.stdin;
  const run = spawnSync(process.execPath, [CLI_BIN, ...args], {
    cwd: dir,
    env: cliEnv(dir, user, extraEnv),
    encoding: 'utf8',
    timeout: options.timeout ?? 90_000,
    ...(typeof stdin === 'string' ? { input: stdin } : typeof stdin === 'number' ? { stdio: [stdin, 'pipe', 'pipe'] } : {}),
  });
  // Input the command stops reading at a limit ends in EPIPE on our side, as it would for `cat big | cloud-engine …`.
  if (!(typeof stdin === 'string' && (run.error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE')) expect(run.error).toBeUndefined();
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, json: () => JSON.parse(run.stdout) };
}
