import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import { ERROR_TITLES, isCloudEngineError, type ErrorCode } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import { loadDashboardConfig, type DashboardConfig, type DashboardOptions } from './dashboard-config.js';
import { DashboardMetrics } from './metrics.js';
import { messagePage } from './render/message.page.js';
import { auditRoutes } from './routes/audit.routes.js';
import { deploymentsRoutes } from './routes/deployments.routes.js';
import { driftRoutes } from './routes/drift.routes.js';
import { liveLogRoutes } from './routes/live-log.routes.js';
import { operationsRoutes } from './routes/operations.routes.js';
import { operatorRoutes } from './routes/operator.routes.js';
import type { RouteContext } from './routes/route-context.js';
import { sessionRoutes } from './routes/session.routes.js';
import { signInRoutes } from './routes/sign-in.routes.js';
import { staticRoutes } from './routes/static.routes.js';

/** The HTTP status each kernel error code answers with. */
const STATUS: Readonly<Record<ErrorCode, number>> = {
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  INVALID_STATE: 409,
  PERMISSION_DENIED: 403,
  QUOTA_EXCEEDED: 409,
  POLICY_VIOLATION: 409,
  PLAN_STALE: 409,
  LOCKED: 409,
  TERRAFORM_FAILED: 502,
  CONFIG_INVALID: 500,
  PLUGIN_FAILED: 502,
  INTERNAL: 500,
};

/** A dashboard that is serving: where, and how to stop it. */
export interface RunningDashboard {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * The dashboard's fastify app over a kernel (not listening): security
 * headers, cookies, forms, the pages and the operators' endpoints. Tests
 * drive it with `app.inject`.
 */
export async function buildDashboard(kernel: Kernel, config: DashboardConfig): Promise<{ app: FastifyInstance; metrics: DashboardMetrics }> {
  // Live-log streams never go idle: closing must end them, or a stop would wait for every open page.
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, routerOptions: { maxParamLength: 1000 }, trustProxy: false, forceCloseConnections: true });
  const metrics = new DashboardMetrics(kernel);
  app.addHook('onClose', async () => metrics.close());
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'"], connectSrc: ["'self'"], formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: config.publicUrl.startsWith('https:'),
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 16 * 1024 });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const viewer = request.viewer;
    const page = (status: number, title: string, message: string) => reply.code(status).type('text/html; charset=utf-8').send(messagePage(title, message, viewer));
    if (isCloudEngineError(error) && error.code !== 'INTERNAL') return page(STATUS[error.code] ?? 400, ERROR_TITLES[error.code], error.message);
    if (error.validation) {
      const where = error.validationContext === 'querystring' ? 'query' : 'address';
      return page(400, 'Invalid input', `The ${where} is not valid (${where === 'address' ? 'ids are letters, digits, - and _' : error.message}). Check the link you followed.`);
    }
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return page(error.statusCode, 'Invalid request', 'The request could not be read. Reload the page and try again.');
    const ref = randomBytes(4).toString('hex');
    kernel.logger.error({ err: error, ref, method: request.method, url: request.url, userId: viewer?.userId }, 'dashboard request failed');
    return page(500, 'Internal error', `Internal error (ref ${ref}). The operators can find it in the log.`);
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).type('text/html; charset=utf-8').send(messagePage('Not found', 'There is no such page.', request.viewer)));

  const context: RouteContext = { kernel, config, metrics };
  operatorRoutes(app, context);
  staticRoutes(app);
  signInRoutes(app, context);
  deploymentsRoutes(app, context);
  driftRoutes(app, context);
  sessionRoutes(app, context);
  liveLogRoutes(app, context);
  auditRoutes(app, context);
  operationsRoutes(app, context);
  return { app, metrics };
}

/**
 * Serves the dashboard for a running kernel (`cloud-engine start`): settings
 * from `options` over CLOUD_ENGINE_DASHBOARD_*; links from chat are built on
 * its public URL. When the port is taken it logs why and resolves to
 * undefined: the chat adapters go on without a dashboard.
 */
export async function startDashboard(kernel: Kernel, options: DashboardOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<RunningDashboard | undefined> {
  const config = loadDashboardConfig(options, env);
  const { app } = await buildDashboard(kernel, config);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      kernel.logger.warn(
        { host: config.host, port: config.port, code },
        `dashboard not started: ${config.host}:${config.port} is not available (${code}); set CLOUD_ENGINE_DASHBOARD_PORT to a free port, or start with --no-dashboard`,
      );
      return undefined;
    }
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // Port 0 means "any free port": the links must name the one chosen.
  const url = config.port === 0 && !options.publicUrl && !env.CLOUD_ENGINE_DASHBOARD_URL ? config.publicUrl.replace(/:0$/, `:${port}`) : config.publicUrl;
  kernel.signIns.setPublicUrl(url);
  kernel.logger.info({ url }, 'dashboard listening');
  return { url, app, close: () => app.close() };
}
