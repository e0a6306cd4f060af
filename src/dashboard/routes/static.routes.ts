import type { FastifyInstance } from 'fastify';
import { DASHBOARD_CSS, LIVE_LOG_JS } from '../static/assets.js';

/** `/static/live-log.js` and `/static/dashboard.css`: the only script and stylesheet, from the package. */
export function staticRoutes(app: FastifyInstance): void {
  app.get('/static/live-log.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=300').send(LIVE_LOG_JS));
  app.get('/static/dashboard.css', async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(DASHBOARD_CSS));
}
