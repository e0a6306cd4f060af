import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudEngineError, configInvalid, planStale } from '../errors.js';
import { token } from '../plugin/token.js';

const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';
/** The key file made in the data dir when no key is configured. */
export const SECRET_KEY_FILE = 'secret.key';

/**
 * Seals lists of secret values (a plan's sensitive values) with AES-256-GCM,
 * so they can be stored beside the plan: any process holding the key can
 * hide them in the apply's output, and the database alone reveals nothing.
 */
export class SealedBox {
  private constructor(private readonly key: Buffer) {}

  /**
   * The box for a kernel: the configured key (64 hex digits or base64), or
   * the data dir's key file, made once with mode 0600 (two kernels starting
   * together agree: the first write wins and both read it).
   */
  static async open(dataDir: string, configuredKey?: string): Promise<SealedBox> {
    if (configuredKey !== undefined) return new SealedBox(decodeKey(configuredKey));
    const path = join(dataDir, SECRET_KEY_FILE);
    await mkdir(dataDir, { recursive: true });
    try {
      await writeFile(path, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const text = (await readFile(path, 'utf8')).trim();
    try {
      return new SealedBox(decodeKey(text));
    } catch {
      throw new CloudEngineError('CONFIG_INVALID', `The key file ${path} is damaged (expected 32 bytes in base64). Restore it, or remove it to make a new one (plans made before cannot be applied then).`, {
        field: 'secretKey',
      });
    }
  }

  /** A box with a given key, for tests and tools. */
  static withKey(key: Buffer): SealedBox {
    if (key.length !== 32) throw new RangeError(`SealedBox.withKey: the key must be 32 bytes, got ${key.length}`);
    return new SealedBox(key);
  }

  /** The values sealed into one string; null when there are none. */
  seal(values: readonly string[]): string | null {
    if (values.length === 0) return null;
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  /** The values back; throws PLAN_STALE when they were sealed with another key or altered. */
  unseal(sealed: string | null): string[] {
    if (sealed === null) return [];
    const [version, iv, tag, body] = sealed.split(':');
    try {
      if (version !== VERSION || !iv || !tag || body === undefined) throw new Error(`unknown format ${JSON.stringify(version)}`);
      const decipher = createDecipheriv(ALGORITHM, this.key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      const text = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
      const values: unknown = JSON.parse(text);
      if (!Array.isArray(values) || !values.every((value) => typeof value === 'string')) throw new Error('not a list of strings');
      return values;
    } catch (error) {
      throw planStale(
        'secrets-unreadable',
        'The sensitive values of this plan cannot be read with this kernel\'s secret key, so its apply could not hide them; it was not applied. ' +
          'Give every kernel sharing the database the same CLOUD_ENGINE_SECRET_KEY, or plan again here.',
        {},
        error,
      );
    }
  }
}
export const SealedBoxToken = token<SealedBox>('kernel.sealed-box');

function decodeKey(text: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw configInvalid('"secretKey"', 'expected 32 bytes as 64 hex digits or base64', { env: 'CLOUD_ENGINE_SECRET_KEY', field: 'secretKey' });
  return key;
}
