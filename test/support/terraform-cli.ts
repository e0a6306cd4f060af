import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Kernel } from '../../src/kernel/kernel.js';
import { StackSynthesizer } from '../../src/kernel/synth/stack-synthesizer.js';

/**
 * Runs terraform by hand in a session's working dir, with the environment the
 * kernel's runner would give it (this process's env plus the session's), for
 * what the kernel has no call for: a second operation racing the kernel's for
 * the state lock, or a re-plan of a session that is already APPLIED.
 */

/** The binary the kernel runs (CLOUD_ENGINE_TERRAFORM_BIN, else terraform on PATH). */
export const TERRAFORM_BIN = process.env.CLOUD_ENGINE_TERRAFORM_BIN || 'terraform';

/**
 * The environment the kernel adds to a session's terraform runs: the synthesis' `environment` (provider
 * endpoints and the like), computed by the kernel's own synthesizer over its loaded plugins.
 */
export async function sessionTerraformEnv(kernel: Kernel, sessionId: string): Promise<Record<string, string>> {
  const session = await kernel.orchestrator.getSession(sessionId);
  const project = await kernel.projects.get(session.projectId);
  const synthesizer = new StackSynthesizer(kernel.registries.providers, kernel.registries.resourceTypes);
  return synthesizer.synthesize({ sessionId, project, resources: session.resources }).environment;
}

export interface TerraformCliResult {
  /** Exit code; null when killed (timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  /** stdout and stderr for assertion messages. */
  readonly output: string;
}

export interface TerraformCliOptions {
  cwd: string;
  /** Added over process.env, as the kernel's runner does. */
  env?: Record<string, string | undefined>;
  /** Killed (SIGKILL, whole process group) after this; default 60 s. */
  timeoutMs?: number;
}

export function runTerraform(args: readonly string[], options: TerraformCliOptions): Promise<TerraformCliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  Object.assign(env, { TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' });
  // As the runner: a CLI config path that does not exist only adds a warning.
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) env.TF_CLI_CONFIG_FILE = '';
  const timeoutMs = options.timeoutMs ?? 60_000;

  return new Promise((resolve, reject) => {
    const child = spawn(TERRAFORM_BIN, [...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${TERRAFORM_BIN} ${args.join(' ')}: ${error.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut, output: `$ terraform ${args.join(' ')}\n${stdout}\n${stderr}`.trim() });
    });
  });
}


/**
 * Files under a working dir that hold Terraform state (a `*.tfstate*` file at its root, or any JSON file
 * with resources in it), as paths relative to the dir. `.terraform/terraform.tfstate` is the backend's
 * configuration cache, not state, and counts only if resources show up in it.
 */
export function localStateFiles(workingDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, relative: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        // Provider binaries are large and hold no state.
        if (rel !== '.terraform/providers') walk(path, rel);
        continue;
      }
      if (!entry.isFile()) continue;
      if (relative === '' && /\.tfstate(\.|$)/.test(entry.name)) {
        found.push(rel);
        continue;
      }
      if (!/(\.json|\.tfstate[^/]*)$/.test(entry.name) || statSync(path).size > 10_000_000) continue;
      try {
        const parsed = JSON.parse(readFileSync(path, 'utf8')) as { resources?: unknown[] };
        if (Array.isArray(parsed.resources) && parsed.resources.length > 0) found.push(rel);
      } catch {
        // not JSON: not state
      }
    }
  };
  walk(workingDir, '');
  return found.sort();
}
