import type { FastifyInstance } from 'fastify';
import { operationsPage } from '../render/operations.page.js';
import { requireViewer, type RouteContext } from './route-context.js';

/** `GET /operations`: the terraform queue, the provider pool and sessions by state, for global admins (the kernel refuses others). */
export function operationsRoutes(app: FastifyInstance, context: RouteContext): void {
  const { kernel } = context;
  app.get('/operations', async (request, reply) => {
    const viewer = await requireViewer(context, request, reply);
    if (!viewer) return reply;
    const stats = await kernel.orchestrator.stats(viewer.userId);
    return reply.type('text/html; charset=utf-8').send(operationsPage(viewer, stats));
  });
}
