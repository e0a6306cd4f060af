import { isIP } from 'node:net';
import { z } from 'zod';
import { configInvalid } from '../kernel/errors.js';

/** The dashboard's settings as a program passes them (`startDashboard(kernel, { port, host })`). */
export interface DashboardOptions {
  readonly port?: number | string;
  readonly host?: string;
  /** The address people open (behind a proxy, say); links are built on it. Default `http://<host>:<port>`. */
  readonly publicUrl?: string;
  /** With it, `/metrics` wants `Authorization: Bearer <token>` and may be served on any address. */
  readonly metricsToken?: string;
}

/** The dashboard's validated settings. */
export interface DashboardConfig {
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string;
  readonly metricsToken: string | undefined;
  /** Whether it listens on loopback only (then `/metrics` needs no token). */
  readonly loopback: boolean;
}

/** Which environment variable feeds each setting. */
export const DASHBOARD_ENV = {
  port: 'CLOUD_ENGINE_DASHBOARD_PORT',
  host: 'CLOUD_ENGINE_DASHBOARD_HOST',
  publicUrl: 'CLOUD_ENGINE_DASHBOARD_URL',
  metricsToken: 'CLOUD_ENGINE_METRICS_TOKEN',
} as const;

const schema = z.strictObject({
  port: z.coerce.number({ error: 'expected a port number from 0 to 65535' }).int('expected a whole port number').min(0, 'expected a port number from 0 to 65535').max(65535, 'expected a port number from 0 to 65535').default(8080),
  host: z.string().min(1, 'expected a host name or IP address').default('127.0.0.1'),
  publicUrl: z
    .string()
    .refine((text) => /^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(text), 'expected an http:// or https:// address like https://ops.example.com')
    .optional(),
  metricsToken: z.string().min(16, 'expected a token of at least 16 characters').optional(),
});

/** Reads the dashboard's settings: `options` over `env`; a bad value is CONFIG_INVALID naming the setting and its variable. */
export function loadDashboardConfig(options: DashboardOptions = {}, env: NodeJS.ProcessEnv = process.env): DashboardConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(DASHBOARD_ENV) as (keyof typeof DASHBOARD_ENV)[]) {
    const value = options[key] ?? env[DASHBOARD_ENV[key]];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? 'dashboard') as keyof typeof DASHBOARD_ENV;
    // A token is a secret: the error names it, never its value.
    const shown = key === 'metricsToken' ? '(hidden)' : raw[key];
    throw configInvalid(`dashboard.${key}`, key === 'metricsToken' ? issue.message : `${issue.message}, got ${JSON.stringify(shown)}`, { env: DASHBOARD_ENV[key], field: `dashboard.${key}`, value: shown });
  }
  const { port, host, publicUrl, metricsToken } = parsed.data;
  const urlHost = isIP(host) === 6 ? `[${host}]` : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return { port, host, metricsToken, loopback: isLoopback(host), publicUrl: (publicUrl ?? `http://${urlHost}:${port}`).replace(/\/+$/, '') };
}

/** Whether `host` accepts connections from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
