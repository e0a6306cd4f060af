import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

// What the provider pool tests (pool, process, installed providers, the runner with a pool) share:
// stand-in provider binaries installed the way `terraform init` lays one out, and waiting on processes.

// A stand-in provider: with -debug it prints the reattach line as real providers do, then waits.
export const FAKE_PROVIDER = `#!/bin/sh
if [ "$1" != "-debug" ]; then exit 1; fi
echo "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:"
echo ""
echo "	TF_REATTACH_PROVIDERS='{\\"registry.terraform.io/hashicorp/fake\\":{\\"Protocol\\":\\"grpc\\",\\"ProtocolVersion\\":5,\\"Pid\\":$$,\\"Test\\":true,\\"Addr\\":{\\"Network\\":\\"unix\\",\\"String\\":\\"/tmp/plugin$$\\"}}}'"
exec sleep 300
`;
// The same, taking its time to start.
export const SLOW_PROVIDER = FAKE_PROVIDER.replace('then exit 1; fi', 'then exit 1; fi\nsleep 0.4');
// A provider without a debug mode: it exits at once.
export const NO_DEBUG_PROVIDER = '#!/bin/sh\necho "This binary is a plugin."\nexit 1\n';

export function workingDir(root: string, name: string, script: string): string {
  const cwd = join(root, name);
  const dir = join(cwd, '.terraform', 'providers', 'registry.terraform.io', 'hashicorp', 'fake', '1.2.3', 'linux_amd64');
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, 'terraform-provider-fake_v1.2.3');
  writeFileSync(binary, script);
  chmodSync(binary, 0o755);
  return cwd;
}

/** Alive: exists and is not a zombie waiting to be reaped (a provider's parent is its guard shell, not us). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor(check: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Gives every test in the calling describe a fresh scratch directory (through `use`), removed after the test. */
export function freshDirEachTest(prefix: string, use: (dir: string) => void): void {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    use(dir);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
}
