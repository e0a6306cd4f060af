import type { FastifyReply, FastifyRequest } from 'fastify';
import { BROWSER_SESSION_TTL_MS, type SignInStore } from '../../kernel/sign-ins/sign-in-store.js';
import { csrfToken, csrfValid } from './csrf.js';

/** The browser session's cookie: HttpOnly, SameSite=Strict, 8 hours; its value is a token whose hash the kernel keeps. */
export const SESSION_COOKIE = 'ce_session';

/** Who a request comes from, once its cookie was checked. */
export interface RequestViewer {
  readonly userId: string;
  readonly sessionId: string;
  readonly csrf: string;
  /** The cookie's token, to check a form's CSRF token against. */
  readonly token: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    viewer?: RequestViewer;
  }
}

/** Sets the session cookie (after a link was redeemed). */
export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge: Math.floor(BROWSER_SESSION_TTL_MS / 1000) });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure, path: '/' });
}

/** The viewer of a request with a live session cookie, or undefined. */
export async function viewerOf(request: FastifyRequest, signIns: SignInStore): Promise<RequestViewer | undefined> {
  const token = request.cookies[SESSION_COOKIE];
  const session = await signIns.authenticate(token);
  if (!session || !token) return undefined;
  return { userId: session.userId, sessionId: session.id, csrf: csrfToken(token), token };
}

/** Whether a form POST carries this session's CSRF token (`_csrf`). */
export function formCsrfValid(request: FastifyRequest, viewer: RequestViewer): boolean {
  const body = request.body as Record<string, unknown> | undefined;
  return csrfValid(viewer.token, body?._csrf);
}
