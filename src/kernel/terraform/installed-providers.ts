import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One provider binary `terraform init` installed in a working directory. */
export interface InstalledProvider {
  source: string;
  version: string;
  platform: string;
  binary: string;
  size: number;
}

/** Providers `terraform init` installed: `.terraform/providers/<host>/<ns>/<type>/<version>/<os_arch>/terraform-provider-*`. */
export async function findInstalledProviders(cwd: string): Promise<InstalledProvider[]> {
  const root = path.join(cwd, '.terraform', 'providers');
  const found: InstalledProvider[] = [];
  const dirs = async (dir: string): Promise<string[]> => {
    try {
      return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() || d.isSymbolicLink()).map((d) => d.name);
    } catch {
      return [];
    }
  };
  for (const host of await dirs(root)) {
    for (const ns of await dirs(path.join(root, host))) {
      for (const type of await dirs(path.join(root, host, ns))) {
        for (const version of await dirs(path.join(root, host, ns, type))) {
          for (const platform of await dirs(path.join(root, host, ns, type, version))) {
            const dir = path.join(root, host, ns, type, version, platform);
            const names = (await readdir(dir)).filter((name) => name.startsWith(`terraform-provider-${type}`));
            if (names.length !== 1) continue;
            const binary = path.join(dir, names[0]!);
            const info = await stat(binary);
            found.push({ source: `${host}/${ns}/${type}`, version, platform, binary, size: info.size });
          }
        }
      }
    }
  }
  // Several versions of one provider (a stale install) would be ambiguous: reattach only what the lock file selects.
  const locked = await lockedVersions(cwd);
  return found.filter((provider) => {
    const want = locked.get(provider.source);
    return want === undefined ? found.filter((p) => p.source === provider.source).length === 1 : want === provider.version;
  });
}

async function lockedVersions(cwd: string): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  let text: string;
  try {
    text = await readFile(path.join(cwd, '.terraform.lock.hcl'), 'utf8');
  } catch {
    return versions;
  }
  const block = /provider\s+"([^"]+)"\s*\{[^}]*?version\s*=\s*"([^"]+)"/g;
  for (const match of text.matchAll(block)) versions.set(match[1]!, match[2]!);
  return versions;
}

/** The pool's key for a process serving `provider` to commands whose environment hashes to `envHash`. */
export function processKey(provider: InstalledProvider, envHash: string): string {
  return `${provider.source}@${provider.version}/${provider.platform}#${envHash}`;
}

/**
 * Variables only terraform itself reads (workspace, CLI config and flags, automation switches):
 * they may differ between sessions that can share a provider process.
 */
const TERRAFORM_ONLY = /^(TF_REATTACH_PROVIDERS|TF_WORKSPACE|TF_IN_AUTOMATION|TF_INPUT|TF_CLI_CONFIG_FILE|TF_CLI_ARGS(_\w+)?|TF_DATA_DIR|CHECKPOINT_DISABLE)$/;

/**
 * A hash of the environment a provider process could read: two commands share a process only if
 * the provider would see the same variables (credentials, region, endpoints and everything else).
 */
export function hashEnv(env: NodeJS.ProcessEnv): string {
  const entries = Object.entries(env)
    .filter(([name, value]) => value !== undefined && !TERRAFORM_ONLY.test(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 16);
}
