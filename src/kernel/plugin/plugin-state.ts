import { CloudEngineError } from '../errors.js';
import type { Database } from '../persistence/database.js';
import { PluginStateEntity } from '../persistence/entities/plugin-state.entity.js';

/** Small JSON values one plugin keeps across restarts, in the kernel's database. */
export interface PluginState {
  /** The stored value, or undefined when there is none. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Stores `value` (JSON, at most 16 KiB) under `key`, replacing what was there. */
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$/;
const MAX_VALUE_CHARS = 16 * 1024;

/** Plugin state on the kernel's database, one namespace per plugin id. */
export class PluginStateStore {
  constructor(private readonly db: Database) {}

  for(pluginId: string): PluginState {
    return {
      get: async <T>(key: string) => {
        checkKey(pluginId, key);
        const row = await this.db.manager.findOneBy(PluginStateEntity, { pluginId, key });
        return (row?.value ?? undefined) as T | undefined;
      },
      set: async (key: string, value: unknown) => {
        checkKey(pluginId, key);
        const text = value === undefined ? undefined : JSON.stringify(value);
        if (text === undefined || text.length > MAX_VALUE_CHARS) {
          throw new CloudEngineError(
            'INVALID_INPUT',
            `Plugin ${pluginId} tried to store ${text === undefined ? 'a value that is not JSON' : `${text.length} characters`} under ${JSON.stringify(key)}; ` +
              `plugin state holds JSON values of at most ${MAX_VALUE_CHARS} characters: keep big data elsewhere.`,
            { field: 'value' },
          );
        }
        await this.db.manager.upsert(PluginStateEntity, { pluginId, key, value: JSON.parse(text) as PluginStateEntity['value'], updatedAt: new Date() }, ['pluginId', 'key']);
      },
      delete: async (key: string) => {
        checkKey(pluginId, key);
        await this.db.manager.delete(PluginStateEntity, { pluginId, key });
      },
    };
  }
}

function checkKey(pluginId: string, key: string): void {
  if (typeof key === 'string' && KEY.test(key)) return;
  throw new CloudEngineError(
    'INVALID_INPUT',
    `Plugin ${pluginId} used the state key ${JSON.stringify(key)}; keys are 1-200 characters of letters, digits and . _ : / -, starting with a letter or digit.`,
    { field: 'key', value: key },
  );
}
