import type { FastifyInstance } from 'fastify';
import { auditPage } from '../render/audit.page.js';
import { readable, requireViewer, type RouteContext } from './route-context.js';

const PROJECT_PARAM = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' } } } as const;
/** The trail shows this far back, at most `LIMIT` events, newest first. */
const WINDOW_MS = 30 * 24 * 60 * 60_000;
const LIMIT = 500;

/** `GET /projects/<id>/audit`: the project's audit trail, for its admins (and global admins). */
export function auditRoutes(app: FastifyInstance, context: RouteContext): void {
  const { kernel } = context;
  app.get<{ Params: { id: string } }>('/projects/:id/audit', { schema: { params: PROJECT_PARAM } }, async (request, reply) => {
    const viewer = await requireViewer(context, request, reply);
    if (!viewer) return reply;
    const projectId = request.params.id;
    // Readers of the project learn it exists; the trail itself needs admin (the kernel's refusal, audited).
    await readable(kernel.authorizer.authorize({ userId: viewer.userId, action: 'project.view', projectId }), 'project', projectId);
    await kernel.authorizer.authorize({ userId: viewer.userId, action: 'project.admin', projectId });
    const since = new Date(kernel.clock.now().getTime() - WINDOW_MS);
    const events = (await kernel.audit.list({ projectId, since })).slice(-LIMIT).reverse();
    return reply.type('text/html; charset=utf-8').send(auditPage(viewer, projectId, events));
  });
}
