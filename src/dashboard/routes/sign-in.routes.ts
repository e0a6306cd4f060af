import type { FastifyInstance } from 'fastify';
import { clearSessionCookie, formCsrfValid, setSessionCookie, viewerOf } from '../auth/session-cookie.js';
import { messagePage, signedInPage } from '../render/message.page.js';
import type { RouteContext } from './route-context.js';

const TOKEN_PARAM = { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: 128 } } } as const;

/** `GET /sign-in/<token>` (the link from chat: sets the cookie, then on to `/`) and `POST /sign-out`. */
export function signInRoutes(app: FastifyInstance, context: RouteContext): void {
  const secure = context.config.publicUrl.startsWith('https:');

  app.get<{ Params: { token: string } }>('/sign-in/:token', { schema: { params: TOKEN_PARAM } }, async (request, reply) => {
    // Links must not leak through a Referer to whatever the next page loads.
    reply.header('referrer-policy', 'no-referrer');
    const opened = await context.kernel.signIns.redeem(request.params.token);
    setSessionCookie(reply, opened.token, secure);
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(signedInPage(opened.userId));
  });

  app.post('/sign-out', async (request, reply) => {
    const viewer = await viewerOf(request, context.kernel.signIns);
    if (viewer) {
      if (!formCsrfValid(request, viewer)) return reply.code(403).type('text/html; charset=utf-8').send(messagePage('Refused', 'This form is missing its security token (CSRF). Reload the page and try again.'));
      await context.kernel.signIns.revoke(viewer.sessionId);
    }
    clearSessionCookie(reply, secure);
    return reply.type('text/html; charset=utf-8').send(messagePage('Signed out', 'You are signed out. Type /cloud-dashboard in chat for a new link.'));
  });
}
