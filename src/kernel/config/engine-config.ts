import { resolve } from 'node:path';
import { z } from 'zod';
import { configInvalid, describeValue } from '../errors.js';
import { token } from '../plugin/token.js';
import type { Plugin } from '../plugin/define-plugin.js';
import { parseDuration } from './duration.js';

const duration = (what: string) =>
  z.union(
    [
      z.number().int().positive(),
      z.string().transform((text, ctx) => {
        const ms = parseDuration(text);
        if (ms === undefined) {
          ctx.addIssue({ code: 'custom', message: `expected a duration like "90s", "30m" or "2h" for ${what}` });
          return z.NEVER;
        }
        return ms;
      }),
    ],
    // zod 4 reports a union whose options all fail as a bare "Invalid input" unless it has its own message.
    { error: `expected a duration like "90s", "30m" or "2h" (or a positive whole number of milliseconds) for ${what}` },
  );

const csv = z
  .union([z.string(), z.array(z.string())])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(',')).map((item) => item.trim()).filter((item) => item.length > 0),
  );

/** The engine's validated configuration. */
export const EngineConfigSchema = z.strictObject({
  dataDir: z.string().min(1).default('./data').transform((dir) => resolve(dir)),
  admins: csv.default([]),
  terraformBin: z.string().min(1).default('terraform'),
  tfPluginDir: z.string().min(1).optional(),
  maxTerraform: z.coerce.number().int().min(1).max(64).default(2),
  /** Long-lived provider processes that plan, show and apply attach to (see terraform/provider-pool.ts). */
  providerPool: z.enum(['off', 'on']).default('on'),
  /** Most pooled provider processes alive at once; default: maxTerraform + 1 (a spare). */
  providerPoolSize: z.coerce.number().int().min(1).max(64).optional(),
  /** Resident memory (MiB) the pool's processes may hold together; default: a quarter of the machine's, at most 2048. */
  providerPoolMemory: z.coerce.number().int().min(256).max(1_048_576).optional(),
  plugins: csv.default([]),
  /** Extra regular expressions of secrets to redact from chat, logs and stored output. */
  secretPatterns: z
    .union([
      z.array(z.string()),
      z.string().transform((text, ctx) => {
        if (!text.trim().startsWith('[')) return [text];
        try {
          return JSON.parse(text) as string[];
        } catch {
          ctx.addIssue({ code: 'custom', message: 'expected a regular expression, or a JSON array of them' });
          return z.NEVER;
        }
      }),
    ])
    .pipe(
      z.array(
        z.string().refine((source) => {
          try {
            new RegExp(source, 'g');
            return true;
          } catch {
            return false;
          }
        }, 'expected valid regular expressions'),
      ),
    )
    .default([]),
  /**
   * Key names whose values are secrets wherever they appear in JSON (plans,
   * outputs, configs shown), added to the built-in ones (password, token,
   * api_key, …): `pin` hides `pin` and `card_pin`. See secrets/redactor.ts.
   */
  redactKeys: csv
    .refine((names) => names.every((name) => /[A-Za-z0-9]/.test(name)), {
      error: (issue) => `expected key names with a letter or digit; ${JSON.stringify((issue.input as string[]).find((name) => !/[A-Za-z0-9]/.test(name)))} would match every key`,
    })
    .default([]),
  /**
   * The key that seals a plan's sensitive values in the database (32 bytes,
   * hex or base64). Without it, a key file in the data dir is made once;
   * kernels on several machines sharing one database need the same key.
   */
  secretKey: z
    .string()
    .regex(/^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=?)$/, 'expected 32 random bytes as 64 hex digits or base64, e.g. the output of `openssl rand -base64 32`')
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  timeouts: z
    .strictObject({
      init: duration('timeouts.init').default(300_000),
      plan: duration('timeouts.plan').default(1_800_000),
      apply: duration('timeouts.apply').default(7_200_000),
      /** How long a plugin (policy validator, cost estimator) may take to answer. */
      plugin: duration('timeouts.plugin').default(10_000),
    })
    .default({ init: 300_000, plan: 1_800_000, apply: 7_200_000, plugin: 10_000 }),
});
export type EngineConfig = z.output<typeof EngineConfigSchema>;
export const EngineConfig = token<EngineConfig>('kernel.config');

/** Options of the kernel itself (`src/kernel/kernel.ts`); every key may also come from the environment. */
export interface KernelConfigOptions {
  dataDir?: string;
  admins?: string[] | string;
  terraformBin?: string;
  tfPluginDir?: string;
  maxTerraform?: number;
  /** 'on' (default) keeps provider processes alive between terraform commands; 'off' launches them per command. */
  providerPool?: 'off' | 'on';
  /** Most pooled provider processes alive at once; default maxTerraform + 1. */
  providerPoolSize?: number;
  /** MiB of resident memory the pooled processes may hold together. */
  providerPoolMemory?: number;
  /** Module specifiers of external plugins (CLOUD_ENGINE_PLUGINS); the engine (src/engine.ts) imports them, the kernel only records them. */
  plugins?: string[] | string;
  /** Extra secret patterns (regular expression sources) to redact. */
  secretPatterns?: string[] | string;
  /** More key names whose values are redacted (comma list or array), besides password, token, api_key, …. */
  redactKeys?: string[] | string;
  /** The key sealing plans' sensitive values (32 bytes, hex or base64); default: a key file in the data dir. */
  secretKey?: string;
  logLevel?: EngineConfig['logLevel'];
  timeouts?: { init?: number | string; plan?: number | string; apply?: number | string; plugin?: number | string };
  /** Where the JSON log lines go instead of stderr (anything with `write(line)`); secrets are redacted first. */
  logDestination?: { write(line: string): unknown };
  /** TypeORM DataSource options; default is a SQLite file in the data dir. */
  database?: Record<string, unknown>;
  /**
   * Plugins' own settings by plugin id (`{ cost: { priceBook: './prices.json' } }`), each validated by
   * its plugin's config schema at start-up; they win over the environment variables the plugin maps.
   */
  pluginConfig?: Record<string, Record<string, unknown>>;
  /** Where scheduled work (TTL reminders and expiries) reads the time; default the system clock. Tests pass one they move. */
  clock?: { now(): Date };
  /** How often the kernel performs due reminders and expiries, ms (CLOUD_ENGINE_LIFECYCLE_INTERVAL, also "30s"; default 30 000; 0: only when `kernel.lifecycle.runDue()` is called). */
  lifecycleInterval?: number;
  /**
   * Terraform work as jobs on the PostgreSQL job queue (pg-boss), run by
   * worker processes (`cloud-engine worker`); needs a PostgreSQL `database`
   * given by URL. CLOUD_ENGINE_QUEUE=on. Default off: this process runs it.
   */
  queue?: boolean;
  /** With the queue: whether this process works jobs too (default true); false makes a front that only hands them out. */
  runner?: boolean;
  /** Environment to read (the kernel's variables and those plugins map); defaults to process.env. */
  env?: Record<string, string | undefined>;
}

/** Options accepted by `createKernel` (`src/engine.ts`): the kernel's own, and which plugins to load. */
export interface KernelOptions extends KernelConfigOptions {
  /** Plugin objects to load after the built-ins (for programs and tests). */
  extraPlugins?: Plugin[];
  /** Skip the built-in plugins (sandbox, aws, google, policies, cost, console, discord). */
  builtinPlugins?: boolean;
  /** Path of a JSON price book overriding the built-in prices: the cost plugin's `priceBook` (CLOUD_ENGINE_PRICE_BOOK). */
  priceBook?: string;
}

/** Which environment variable feeds which key, so errors can name what the user set. */
export const ENV_KEYS = {
  dataDir: 'CLOUD_ENGINE_DATA_DIR',
  admins: 'CLOUD_ENGINE_ADMINS',
  terraformBin: 'CLOUD_ENGINE_TERRAFORM_BIN',
  tfPluginDir: 'CLOUD_ENGINE_TF_PLUGIN_DIR',
  maxTerraform: 'CLOUD_ENGINE_MAX_TERRAFORM',
  providerPool: 'CLOUD_ENGINE_PROVIDER_POOL',
  providerPoolSize: 'CLOUD_ENGINE_PROVIDER_POOL_SIZE',
  providerPoolMemory: 'CLOUD_ENGINE_PROVIDER_POOL_MEMORY',
  plugins: 'CLOUD_ENGINE_PLUGINS',
  secretKey: 'CLOUD_ENGINE_SECRET_KEY',
  secretPatterns: 'CLOUD_ENGINE_SECRET_PATTERNS',
  redactKeys: 'CLOUD_ENGINE_REDACT_KEYS',
  logLevel: 'CLOUD_ENGINE_LOG_LEVEL',
  'timeouts.init': 'CLOUD_ENGINE_INIT_TIMEOUT',
  'timeouts.plan': 'CLOUD_ENGINE_PLAN_TIMEOUT',
  'timeouts.apply': 'CLOUD_ENGINE_APPLY_TIMEOUT',
  'timeouts.plugin': 'CLOUD_ENGINE_PLUGIN_TIMEOUT',
} as const;

/**
 * Merges options over the environment and validates; a bad value fails with
 * CONFIG_INVALID naming the option (and its environment variable).
 */
export function loadConfig(options: KernelConfigOptions = {}): EngineConfig {
  const env = options.env ?? process.env;
  const fromEnv = (key: keyof typeof ENV_KEYS) => {
    const value = env[ENV_KEYS[key]];
    return value === undefined || value === '' ? undefined : value;
  };
  const timeouts = {
    init: options.timeouts?.init ?? fromEnv('timeouts.init'),
    plan: options.timeouts?.plan ?? fromEnv('timeouts.plan'),
    apply: options.timeouts?.apply ?? fromEnv('timeouts.apply'),
    plugin: options.timeouts?.plugin ?? fromEnv('timeouts.plugin'),
  };
  const raw = {
    dataDir: options.dataDir ?? fromEnv('dataDir'),
    admins: options.admins ?? fromEnv('admins'),
    terraformBin: options.terraformBin ?? fromEnv('terraformBin'),
    tfPluginDir: options.tfPluginDir ?? fromEnv('tfPluginDir'),
    maxTerraform: options.maxTerraform ?? fromEnv('maxTerraform'),
    providerPool: options.providerPool ?? fromEnv('providerPool'),
    providerPoolSize: options.providerPoolSize ?? fromEnv('providerPoolSize'),
    providerPoolMemory: options.providerPoolMemory ?? fromEnv('providerPoolMemory'),
    plugins: options.plugins ?? fromEnv('plugins'),
    secretKey: options.secretKey ?? fromEnv('secretKey'),
    secretPatterns: options.secretPatterns ?? fromEnv('secretPatterns'),
    redactKeys: options.redactKeys ?? fromEnv('redactKeys'),
    logLevel: options.logLevel ?? fromEnv('logLevel'),
    timeouts: Object.fromEntries(Object.entries(timeouts).filter(([, v]) => v !== undefined)),
  };
  const parsed = EngineConfigSchema.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)),
  );
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.join('.');
  // A list item's path ends in its index; the variable is the list's.
  const envName = ENV_KEYS[key as keyof typeof ENV_KEYS] ?? ENV_KEYS[String(issue.path[0]) as keyof typeof ENV_KEYS];
  // A key is never repeated back, not even a malformed one.
  const received = key === 'secretKey' ? '(hidden)' : issue.path.reduce<unknown>((obj, part) => (obj as Record<string, unknown>)?.[part as string], raw);
  throw configInvalid(`"${key}"`, `${issue.message}; received ${describeValue(received)}`, { env: envName, field: key, value: received });
}
