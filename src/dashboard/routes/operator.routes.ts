import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { readiness } from '../readiness.js';
import type { RouteContext } from './route-context.js';

/**
 * For operators: `/metrics` (Prometheus), `/healthz` (the process answers),
 * `/readyz` (database and terraform). Open without a token only on a
 * loopback address; with `metrics.token` set they want `Authorization: Bearer <token>`.
 */
export function operatorRoutes(app: FastifyInstance, context: RouteContext): void {
  const { config, metrics, kernel } = context;

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0];
    if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz') return;
    if (config.metricsToken !== undefined) {
      if (!bearerMatches(request.headers.authorization, config.metricsToken)) {
        return reply.code(401).header('www-authenticate', 'Bearer').type('text/plain; charset=utf-8').send('Unauthorized: send Authorization: Bearer <metrics token> (CLOUD_ENGINE_METRICS_TOKEN).\n');
      }
    } else if (!config.loopback) {
      return reply.code(403).type('text/plain; charset=utf-8').send('Forbidden: the dashboard listens beyond loopback; set CLOUD_ENGINE_METRICS_TOKEN and send it as a Bearer token.\n');
    }
    return undefined;
  });

  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  app.get('/healthz', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok\n'));
  app.get('/readyz', async (_request, reply) => {
    const checks = await readiness(kernel);
    const ok = checks.every((check) => check.ok);
    return reply
      .code(ok ? 200 : 503)
      .type('text/plain; charset=utf-8')
      .send(checks.map((check) => `${check.name}: ${check.ok ? 'ok' : 'FAILED'} (${check.detail})`).join('\n') + '\n');
  });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
