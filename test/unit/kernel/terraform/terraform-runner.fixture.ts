import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { TerraformError, TerraformRunner, type TerraformRunnerOptions } from '../../../../src/kernel/terraform/terraform-runner.js';

// What the TerraformRunner tests (runner, process, failure, init cache) share: scratch directories,
// configurations, a runner with short limits and stand-in terraform scripts.

/** The offline provider mirror; tests that need the AWS provider are skipped without it. */
export const PLUGIN_DIR = '/opt/tf-plugins';
export const TIMEOUTS = { init: 60_000, plan: 60_000, apply: 60_000, show: 30_000, output: 30_000 };

const dirs: string[] = [];

/** Removes every directory `workdir` made; a test file calls it in `afterAll`. */
export async function removeWorkdirs(): Promise<void> {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

export async function workdir(config?: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ce-tf-runner-'));
  dirs.push(dir);
  if (config !== undefined) await writeConfig(dir, config);
  return dir;
}

export async function writeConfig(dir: string, config: unknown): Promise<void> {
  await writeFile(path.join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));
}

export function runner(overrides: Partial<TerraformRunnerOptions> = {}): TerraformRunner {
  return new TerraformRunner({ binary: 'terraform', maxConcurrent: 2, timeouts: TIMEOUTS, ...overrides });
}

export function localExec(name: string, command: string): unknown {
  return {
    resource: { terraform_data: { [name]: { input: 'x', provisioner: [{ 'local-exec': { command } }] } } },
    output: { echoed: { value: `\${terraform_data.${name}.output}` } },
  };
}

/** Runs the promise and returns the TerraformError it must reject with. */
export async function failure(promise: Promise<unknown>): Promise<TerraformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TerraformError);
  return error as TerraformError;
}

/** Whether any process runs with exactly this command line fragment (proves no orphans were left). */
export function processRunning(fragment: string): boolean {
  try {
    execFileSync('pgrep', ['-f', fragment], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export async function fakeTerraform(dir: string, body: string): Promise<string> {
  const file = path.join(dir, 'fake-terraform.sh');
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}
