import type { FastifyInstance } from 'fastify';
import type { SessionView } from '../../kernel/sessions/session-view.js';
import { deploymentPage } from '../render/deployment.page.js';
import { deploymentsPage } from '../render/deployments.page.js';
import { ID_PARAM, readable, requireViewer, type RouteContext } from './route-context.js';

/** How many of a deployment's changes its page lists. */
const HISTORY = 25;

/** `GET /` (deployments of the projects the viewer can read) and `GET /deployments/<id>`. */
export function deploymentsRoutes(app: FastifyInstance, context: RouteContext): void {
  const { kernel } = context;

  app.get('/', async (request, reply) => {
    const viewer = await requireViewer(context, request, reply);
    if (!viewer) return reply;
    const deployments = await kernel.deployments.list({}, viewer.userId);
    const adminProjects = kernel.authorizer.isGlobalAdmin(viewer.userId) ? (await kernel.projects.list()).map((project) => project.id) : await kernel.access.projectsFor(viewer.userId, 'admin');
    return reply.type('text/html; charset=utf-8').send(deploymentsPage(viewer, deployments, adminProjects, kernel.clock.now()));
  });

  app.get<{ Params: { id: string } }>('/deployments/:id', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await requireViewer(context, request, reply);
    if (!viewer) return reply;
    const deployment = await readable(kernel.deployments.get(request.params.id, viewer.userId), 'deployment', request.params.id);
    const sessions: SessionView[] = [];
    for (const id of deployment.sessions.slice(0, HISTORY)) sessions.push(await kernel.orchestrator.getSession(id, viewer.userId));
    return reply.type('text/html; charset=utf-8').send(deploymentPage(viewer, deployment, sessions, kernel.clock.now()));
  });
}
