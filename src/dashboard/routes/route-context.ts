import type { FastifyReply, FastifyRequest } from 'fastify';
import { CloudEngineError, isCloudEngineError } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { DashboardConfig } from '../dashboard-config.js';
import type { DashboardMetrics } from '../metrics.js';
import { formCsrfValid, viewerOf, type RequestViewer } from '../auth/session-cookie.js';
import { messagePage } from '../render/message.page.js';

/** What every route gets: the kernel, the settings and the metrics. */
export interface RouteContext {
  readonly kernel: Kernel;
  readonly config: DashboardConfig;
  readonly metrics: DashboardMetrics;
}

/** An id in an address: letters, digits, '-' and '_' (what the kernel makes). Anything else is a clean 400. */
export const ID_PARAM = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
} as const;

/** Opened without a session: how to get one. */
export const SIGN_IN_HINT = 'Sign in from chat: type /cloud-dashboard (or run cloud-engine dashboard-link) and open the link you get within 5 minutes.';

/** The request's viewer, or a 401 page telling how to sign in (then undefined: the route stops). */
export async function requireViewer(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<RequestViewer | undefined> {
  const viewer = await viewerOf(request, context.kernel.signIns);
  if (viewer) {
    request.viewer = viewer;
    return viewer;
  }
  await reply.code(401).type('text/html; charset=utf-8').send(messagePage('Sign in', SIGN_IN_HINT));
  return undefined;
}

/**
 * Reads something the viewer may or may not see: a refusal to read looks
 * exactly like a missing id, so addresses tell nothing about other projects.
 */
export async function readable<T>(read: Promise<T>, what: string, id: string): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (isCloudEngineError(error, 'PERMISSION_DENIED') || isCloudEngineError(error, 'NOT_FOUND')) {
      throw new CloudEngineError('NOT_FOUND', `No ${what} "${id}" that you can see. Check the address, or ask a project admin for read access.`, { field: 'id', value: id });
    }
    throw error;
  }
}

/** A form POST: signed in, with this browser session's CSRF token; else a 401 or 403 page (then undefined: the route stops). */
export async function requireFormViewer(context: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<RequestViewer | undefined> {
  const viewer = await requireViewer(context, request, reply);
  if (!viewer) return undefined;
  if (!formCsrfValid(request, viewer)) {
    await reply.code(403).type('text/html; charset=utf-8').send(messagePage('Refused', 'This form is missing its security token (CSRF). Reload the page and try again.', viewer));
    return undefined;
  }
  return viewer;
}
