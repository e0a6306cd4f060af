import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The file in `.terraform/` that records which configuration the directory was initialized for. */
export const INIT_STAMP_FILE = 'cloud-engine-init.json';

const LOCK_FILE = '.terraform.lock.hcl';
// Files at least this big in an init template are hard-linked rather than copied.
const HARD_LINK_MIN_BYTES = 1024 * 1024;

/** What an init key depends on besides the configuration, and where templates are kept. */
export interface InitCacheOptions {
  binary: string;
  pluginDir?: string;
  /** Where initialized `.terraform` directories are kept as templates, one per init key; off when absent. */
  initCacheDir?: string;
  logger?: { warn(obj: object, msg?: string): void };
}

/**
 * What lets `terraform init` be skipped: the init key (a hash of what init depends on), the stamp
 * that records it in `.terraform`, and the templates a new directory is set up from by linking.
 */
export class InitCache {
  constructor(private readonly options: InitCacheOptions) {}

  /**
   * A hash of what `terraform init` depends on, and whether its result may be shared with other
   * directories: only with the local backend (a remote backend's init talks to the backend).
   */
  async initKey(cwd: string): Promise<{ key?: string; templatable: boolean }> {
    let config: unknown;
    try {
      config = JSON.parse(await readFile(path.join(cwd, 'main.tf.json'), 'utf8'));
    } catch {
      // Without a readable configuration there is nothing to compare; init always runs and terraform explains.
      return { templatable: false };
    }
    const root = typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : {};
    const material = {
      terraform: root.terraform ?? null,
      // Module sources are installed by init too, so a new module must re-run it.
      module: root.module ?? null,
      binary: this.options.binary,
      pluginDir: this.options.pluginDir ?? null,
    };
    const key = createHash('sha256').update(stableStringify(material)).digest('hex');
    return { key, templatable: root.module === undefined && usesLocalBackend(root.terraform) };
  }

  /** The key `cwd` was last initialized for, when its stamp is there and readable. */
  async stampedKey(cwd: string): Promise<string | undefined> {
    try {
      const stamp: unknown = JSON.parse(await readFile(stampPath(cwd), 'utf8'));
      const key = (stamp as { key?: unknown } | null)?.key;
      return typeof key === 'string' ? key : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records that `cwd` is initialized for `key`. */
  async writeStamp(cwd: string, key: string): Promise<void> {
    // Configurations without providers leave no .terraform behind, so the stamp may have to create it.
    await mkdir(path.join(cwd, '.terraform'), { recursive: true });
    const stamp = { key, binary: this.options.binary, pluginDir: this.options.pluginDir ?? null, at: new Date().toISOString() };
    await writeFile(stampPath(cwd), `${JSON.stringify(stamp, null, 2)}\n`);
  }

  async removeStamp(cwd: string): Promise<void> {
    await rm(stampPath(cwd), { force: true });
  }

  /** The template directory for a key; undefined when no init cache dir is configured. */
  templateDir(key: string): string | undefined {
    return this.options.initCacheDir === undefined ? undefined : path.join(this.options.initCacheDir, key.slice(0, 32));
  }

  /**
   * Sets up a new working directory from a template: `.terraform` is rebuilt with directories made,
   * symlinks copied as links and files hard-linked (a provider binary is never copied), and the
   * lock file is copied. False (and the directory left as it was) when there is no usable template.
   */
  async initFromTemplate(template: string, cwd: string): Promise<boolean> {
    const source = path.join(template, '.terraform');
    if (!existsSync(path.join(source, INIT_STAMP_FILE))) return false;
    const target = path.join(cwd, '.terraform');
    try {
      await linkTree(source, target);
      if (existsSync(path.join(template, LOCK_FILE))) await copyFile(path.join(template, LOCK_FILE), path.join(cwd, LOCK_FILE));
      return true;
    } catch (error) {
      // A broken template (a provider gone from the mirror, a half-written copy) costs one real init, never a failure.
      this.options.logger?.warn({ err: error, template }, 'init template unusable; running terraform init');
      await Promise.all([rm(target, { recursive: true, force: true }), rm(path.join(cwd, LOCK_FILE), { force: true })]);
      await rm(template, { recursive: true, force: true }).catch(() => undefined);
      return false;
    }
  }

  /** Keeps a just-initialized directory as the template for its key; written aside and renamed into place. */
  async saveTemplate(template: string, cwd: string): Promise<void> {
    if (existsSync(template)) return;
    const staging = `${template}.${process.pid}.${Date.now()}.tmp`;
    try {
      await linkTree(path.join(cwd, '.terraform'), path.join(staging, '.terraform'));
      if (existsSync(path.join(cwd, LOCK_FILE))) await copyFile(path.join(cwd, LOCK_FILE), path.join(staging, LOCK_FILE));
      await rename(staging, template);
    } catch (error) {
      // Another process saved the same template first (rename onto a non-empty dir fails), or the disk refused: init keeps working.
      if (!existsSync(template)) this.options.logger?.warn({ err: error, template }, 'could not save an init template');
      await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function stampPath(cwd: string): string {
  return path.join(cwd, '.terraform', INIT_STAMP_FILE);
}

/** JSON with sorted object keys, so the same configuration always hashes the same. */
function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function usesLocalBackend(terraform: unknown): boolean {
  if (terraform === undefined || terraform === null) return true;
  if (typeof terraform !== 'object') return false;
  const block = terraform as Record<string, unknown>;
  if (block.cloud !== undefined) return false;
  const backend = block.backend;
  if (backend === undefined) return true;
  if (typeof backend !== 'object' || backend === null) return false;
  const names = Object.keys(backend);
  return names.length === 1 && names[0] === 'local';
}

/**
 * Recreates the tree at `from` under `to`: directories made, symlinks copied as links (after
 * checking their targets exist), small files copied (terraform rewrites some in place, which must
 * not reach the other tree), big ones (provider binaries) hard-linked, or copied across file systems.
 */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await linkTree(source, target);
    } else if (entry.isSymbolicLink()) {
      await stat(source); // Throws when the link dangles: the mirror moved, so the template is stale.
      await symlink(await readlink(source), target);
    } else if ((await stat(source)).size < HARD_LINK_MIN_BYTES) {
      await copyFile(source, target);
    } else {
      await link(source, target).catch(() => copyFile(source, target));
    }
  }
}
