import type { FastifyInstance } from 'fastify';
import { levelAtLeast } from '../../kernel/access/authorizer.js';
import type { SessionView } from '../../kernel/sessions/session-view.js';
import { formCsrfValid } from '../auth/session-cookie.js';
import { messagePage } from '../render/message.page.js';
import { deploymentPage } from '../render/deployment.page.js';
import { deploymentsPage } from '../render/deployments.page.js';
import { referenceGraph } from '../render/reference-graph.js';
import { COST_HISTORY, resourceCosts } from '../views/resource-costs.js';
import { ID_PARAM, readable, requireViewer, type RouteContext } from './route-context.js';

/** How many of a deployment's changes its page lists. */
const HISTORY = 25;

/** `GET /` (deployments of the projects the viewer can read), `GET /deployments/<id>` and `POST /deployments/<id>/extend` (its TTL). */
export function deploymentsRoutes(app: FastifyInstance, context: RouteContext): void {
  const { kernel } = context;

  app.get('/', async (request, reply) => {
    const viewer = await requireViewer(context, request, reply);
    if (!viewer) return reply;
    const deployments = await kernel.deployments.list({}, viewer.userId);
    const adminProjects = kernel.authorizer.isGlobalAdmin(viewer.userId) ? (await kernel.projects.list()).map((project) => project.id) : await kernel.access.projectsFor(viewer.userId, 'admin');
    return reply.type('text/html; charset=utf-8').send(deploymentsPage(viewer, deployments, adminProjects, kernel.clock.now(), kernel.authorizer.isGlobalAdmin(viewer.userId)));
  });

  app.get<{ Params: { id: string } }>('/deployments/:id', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await requireViewer(context, request, reply);
    if (!viewer) return reply;
    const deployment = await readable(kernel.deployments.get(request.params.id, viewer.userId), 'deployment', request.params.id);
    // The history shows the latest changes; cost per resource walks back further, to the last teardown.
    const sessions: SessionView[] = [];
    for (const id of deployment.sessions.slice(0, COST_HISTORY)) {
      const session = await kernel.orchestrator.getSession(id, viewer.userId);
      sessions.push(session);
      if (sessions.length >= HISTORY && session.state === 'DESTROYED') break;
    }
    const level = kernel.authorizer.isGlobalAdmin(viewer.userId) ? 'admin' : await kernel.access.levelOf(viewer.userId, deployment.projectId);
    const deploy = levelAtLeast(level, 'deploy');
    // Offered when the kernel would take them now (deployed, no change open); it still decides at the click.
    const checkable = deploy && deployment.state === 'ACTIVE' && deployment.openSessionId === null;
    const parts = {
      graph: referenceGraph(deployment.resources, (type) => kernel.registries.resourceTypes.get(type)),
      costs: resourceCosts(deployment.resources, sessions),
    };
    return reply
      .type('text/html; charset=utf-8')
      .send(deploymentPage(viewer, deployment, sessions.slice(0, HISTORY), kernel.clock.now(), { extend: deploy, check: checkable, reconcile: checkable }, parts));
  });

  app.post<{ Params: { id: string }; Body: { by?: string } }>('/deployments/:id/extend', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await requireViewer(context, request, reply);
    if (!viewer) return reply;
    if (!formCsrfValid(request, viewer)) return reply.code(403).type('text/html; charset=utf-8').send(messagePage('Refused', 'This form is missing its security token (CSRF). Reload the page and try again.', viewer));
    const deployment = await readable(kernel.deployments.get(request.params.id, viewer.userId), 'deployment', request.params.id);
    // The kernel checks deploy access and the project's maximum TTL, and words the refusal.
    const by = typeof request.body?.by === 'string' && request.body.by.trim() !== '' ? request.body.by.trim() : undefined;
    await kernel.orchestrator.extendTtl(deployment.id, viewer.userId, by);
    return reply.code(303).redirect(`/deployments/${encodeURIComponent(deployment.id)}`);
  });
}
