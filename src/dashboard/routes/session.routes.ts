import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { levelAtLeast } from '../../kernel/access/authorizer.js';
import { DONE_STATES } from '../../kernel/sessions/deployment-state.js';
import type { SessionView } from '../../kernel/sessions/session-view.js';
import type { RequestViewer } from '../auth/session-cookie.js';
import { sessionPage } from '../render/session.page.js';
import { policyResults } from '../views/policy-results.js';
import { ID_PARAM, readable, requireFormViewer, requireViewer, type RouteContext } from './route-context.js';

const APPROVABLE = new Set(['PLAN_READY', 'DESTROY_READY']);
/** How long a click waits to see the approval taken before it answers (the apply goes on; the page follows it). */
const APPROVAL_WAIT_MS = 10_000;

/** `GET /sessions/<id>` and its actions, `POST /sessions/<id>/approve|cancel` (CSRF token, re-authorized by the kernel). */
export function sessionRoutes(app: FastifyInstance, context: RouteContext): void {
  const { kernel } = context;

  const page = async (viewer: RequestViewer, session: SessionView) => {
    const output = await kernel.orchestrator.getOutput(session.id, { viewerId: viewer.userId });
    const level = kernel.authorizer.isGlobalAdmin(viewer.userId) ? 'admin' : await kernel.access.levelOf(viewer.userId, session.projectId);
    // Offered to whoever holds deploy; the kernel still decides (four eyes, approvers) when clicked.
    const mayAct = levelAtLeast(level, 'deploy');
    const policies = policyResults(await kernel.audit.list({ sessionId: session.id }));
    return sessionPage(viewer, session, output, policies, {
      approve: mayAct && APPROVABLE.has(session.state) && session.plan !== null,
      cancel: mayAct && !DONE_STATES.includes(session.state),
    });
  };

  const formViewer = (request: FastifyRequest, reply: FastifyReply) => requireFormViewer(context, request, reply);

  app.get<{ Params: { id: string } }>('/sessions/:id', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await requireViewer(context, request, reply);
    if (!viewer) return reply;
    const session = await readable(kernel.orchestrator.getSession(request.params.id, viewer.userId), 'session', request.params.id);
    return reply.type('text/html; charset=utf-8').send(await page(viewer, session));
  });

  app.post<{ Params: { id: string }; Body: { planId?: string } }>('/sessions/:id/approve', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await formViewer(request, reply);
    if (!viewer) return reply;
    const sessionId = request.params.id;
    await readable(kernel.orchestrator.getSession(sessionId, viewer.userId), 'session', sessionId);
    const planId = typeof request.body?.planId === 'string' && request.body.planId !== '' ? request.body.planId : undefined;
    // The kernel's refusals (access, four eyes, a stale plan) answer the click; the apply itself runs on.
    await kernel.orchestrator.checkApproval(sessionId, viewer.userId, { planId });
    await approveAndWait(context, sessionId, viewer.userId, planId);
    return reply.code(303).redirect(`/sessions/${encodeURIComponent(sessionId)}`);
  });

  app.post<{ Params: { id: string } }>('/sessions/:id/cancel', { schema: { params: ID_PARAM } }, async (request, reply) => {
    const viewer = await formViewer(request, reply);
    if (!viewer) return reply;
    const sessionId = request.params.id;
    await readable(kernel.orchestrator.getSession(sessionId, viewer.userId), 'session', sessionId);
    await kernel.orchestrator.cancelSession(sessionId, viewer.userId);
    return reply.code(303).redirect(`/sessions/${encodeURIComponent(sessionId)}`);
  });
}

/**
 * Starts `approveAndApply` and resolves once the approval is taken (the
 * session leaves the approvable state) — or rejects with the kernel's error
 * when it refuses; the apply goes on in the background, followed by the page.
 */
function approveAndWait(context: RouteContext, sessionId: string, userId: string, planId: string | undefined): Promise<void> {
  const { kernel } = context;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown) => {
      if (settled) return;
      settled = true;
      off();
      clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(error);
    };
    const off = kernel.events.on('session.stateChanged', (event) => {
      if (event.sessionId === sessionId && (event.to === 'APPROVED' || event.to === 'DESTROYING')) finish();
    });
    const timer = setTimeout(() => finish(), APPROVAL_WAIT_MS);
    kernel.orchestrator.approveAndApply(sessionId, userId, { planId }).then(
      () => finish(),
      (error: unknown) => {
        if (settled) kernel.logger.warn({ err: error, sessionId, userId }, 'apply approved from the dashboard failed');
        finish(error);
      },
    );
  });
}
