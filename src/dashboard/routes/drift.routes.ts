import type { FastifyInstance } from 'fastify';
import { ID_PARAM, readable, requireFormViewer, type RouteContext } from './route-context.js';

/** How long a Reconcile click waits for its change to open before it answers (the plan goes on; the session page follows it). */
const RECONCILE_WAIT_MS = 10_000;

/**
 * A deployment's drift actions, forms behind the CSRF token, each
 * re-authorized by the kernel at the click (its refusal is the page):
 * `POST /deployments/<id>/drift/check` (check now, then back to the
 * deployment), `…/drift/reconcile` (open the change that puts the cloud
 * back, then on to its session, whose plan streams) and `…/drift/dismiss`.
 */
export function driftRoutes(app: FastifyInstance, context: RouteContext): void {
  const { kernel } = context;
  const back = (id: string) => `/deployments/${encodeURIComponent(id)}#drift`;

  app.post<{ Params: { id: string } }>('/deployments/:id/drift/check', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await requireFormViewer(context, request, reply);
    if (!viewer) return reply;
    const deployment = await readable(kernel.deployments.get(request.params.id, viewer.userId), 'deployment', request.params.id);
    // A check that could not tell is a FAILED record shown on the page; refusals (access, a change open) throw.
    await kernel.orchestrator.checkDrift(deployment.id, viewer.userId);
    return reply.code(303).redirect(back(deployment.id));
  });

  app.post<{ Params: { id: string } }>('/deployments/:id/drift/dismiss', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await requireFormViewer(context, request, reply);
    if (!viewer) return reply;
    const deployment = await readable(kernel.deployments.get(request.params.id, viewer.userId), 'deployment', request.params.id);
    await kernel.orchestrator.dismissDrift(deployment.id, viewer.userId);
    return reply.code(303).redirect(back(deployment.id));
  });

  app.post<{ Params: { id: string } }>('/deployments/:id/drift/reconcile', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await requireFormViewer(context, request, reply);
    if (!viewer) return reply;
    const deployment = await readable(kernel.deployments.get(request.params.id, viewer.userId), 'deployment', request.params.id);
    const sessionId = await reconcileAndWait(context, deployment.id, deployment.projectId, viewer.userId);
    return reply.code(303).redirect(sessionId ? `/sessions/${encodeURIComponent(sessionId)}` : back(deployment.id));
  });
}

/**
 * Starts `reconcileDrift` and resolves with the id of the change it opened
 * as soon as it exists (its plan goes on in the background, followed live on
 * the session's page) — also when that plan then fails (the session page
 * says why) — or rejects with the kernel's refusal when no change opened.
 * Undefined when no change opened within the wait.
 */
function reconcileAndWait(context: RouteContext, deploymentId: string, projectId: string, userId: string): Promise<string | undefined> {
  const { kernel } = context;
  /** Changes this user opened in the project since the click: one of them is the reconcile's. */
  const opened: string[] = [];
  const ofThisDeployment = async (): Promise<string | undefined> => {
    for (const id of opened) {
      const session = await kernel.orchestrator.getSession(id).catch(() => undefined);
      if (session?.deploymentId === deploymentId) return session.id;
    }
    return undefined;
  };
  return new Promise<string | undefined>((resolve, reject) => {
    let settled = false;
    const finish = (error: unknown, sessionId?: string) => {
      if (settled) return;
      settled = true;
      off();
      clearTimeout(timer);
      if (error === undefined) resolve(sessionId);
      else reject(error);
    };
    const off = kernel.events.on('session.created', (event) => {
      if (event.projectId !== projectId || event.userId !== userId) return;
      opened.push(event.sessionId);
      void ofThisDeployment().then((id) => id && finish(undefined, id));
    });
    const timer = setTimeout(() => finish(undefined), RECONCILE_WAIT_MS);
    kernel.orchestrator.reconcileDrift(deploymentId, userId).then(
      (session) => finish(undefined, session.id),
      async (error: unknown) => {
        if (settled) {
          kernel.logger.warn({ err: error, deploymentId, userId }, 'reconcile started from the dashboard failed');
          return;
        }
        // The change opened and its plan failed (a policy, terraform): its page tells why.
        const id = await ofThisDeployment();
        finish(id === undefined ? error : undefined, id);
      },
    );
  });
}
