import type { FastifyInstance } from 'fastify';
import { BUSY_STATES, DONE_STATES } from '../../kernel/sessions/deployment-state.js';
import { ID_PARAM, readable, requireViewer, type RouteContext } from './route-context.js';

/**
 * A line the kernel announces (`output.line`) is in the database once the
 * recorder's batch is written, at most 200 ms later: the stream reads then.
 */
const WAKE_AFTER_LINE_MS = 220;
/** How often a stream reads anyway while terraform runs (lines written by another process sharing the database)… */
const POLL_MS = 250;
/** …and how often it looks while the session waits (a plan to approve, a draft): someone may approve it elsewhere. */
const IDLE_POLL_MS = 1000;
/** A comment line now and then keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** How often (in polls) a stream checks its browser session is still signed in. */
const REAUTH_EVERY = 20;

/**
 * `GET /sessions/<id>/output?after=<seq>`: the session's terraform output as
 * server-sent events, read from the persisted lines (so a reload, or a
 * reconnect with Last-Event-ID, loses nothing), woken by the kernel's events
 * for the session and polling besides: `line` events with their seq
 * as event id, `state` when the session's state changes, and `end` once the
 * session is over (applied, failed, cancelled, destroyed) and every line was
 * sent. A session waiting for approval keeps its stream open, so an apply
 * approved from chat streams into an open page too.
 */
export function liveLogRoutes(app: FastifyInstance, context: RouteContext): void {
  const { kernel } = context;
  app.get<{ Params: { id: string }; Querystring: { after?: number } }>(
    '/sessions/:id/output',
    { schema: { params: ID_PARAM, querystring: { type: 'object', properties: { after: { type: 'integer', minimum: 0 } } } } },
    async (request, reply) => {
      const viewer = await requireViewer(context, request, reply);
      if (!viewer) return reply;
      const sessionId = request.params.id;
      let state = (await readable(kernel.orchestrator.getSession(sessionId, viewer.userId), 'session', sessionId)).state;
      const resumeFrom = Number.parseInt(String(request.headers['last-event-id'] ?? ''), 10);
      let after = Number.isSafeInteger(resumeFrom) && resumeFrom >= 0 ? resumeFrom : (request.query.after ?? 0);

      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
      const send = (event: string, data: unknown, id?: number) => raw.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      send('state', { state });

      let closed = false;
      let running = false;
      let polls = 0;
      let lastBeat = Date.now();
      let timer: NodeJS.Timeout | undefined;
      let wakeAt = Number.POSITIVE_INFINITY;
      /** Reads again in `ms`, unless a read is already due sooner; reads never overlap. */
      const schedule = (ms: number) => {
        if (closed || Date.now() + ms >= wakeAt) return;
        clearTimeout(timer);
        wakeAt = Date.now() + ms;
        timer = setTimeout(() => {
          wakeAt = Number.POSITIVE_INFINITY;
          void tick();
        }, ms);
      };
      const unsubscribe = [
        kernel.events.on('output.line', (event) => {
          if (event.sessionId === sessionId) schedule(WAKE_AFTER_LINE_MS);
        }),
        kernel.events.on('session.stateChanged', (event) => {
          if (event.sessionId === sessionId) schedule(0);
        }),
      ];
      const stop = () => {
        closed = true;
        clearTimeout(timer);
        for (const off of unsubscribe) off();
        if (!raw.writableEnded) raw.end();
      };
      request.raw.on('close', stop);

      const tick = async (): Promise<void> => {
        if (closed) return;
        if (running) return schedule(50);
        running = true;
        try {
          if (++polls % REAUTH_EVERY === 0 && !(await kernel.signIns.authenticate(viewer.token))) {
            send('end', { state, reason: 'signed out' });
            return stop();
          }
          // The state first: once it is over, the lines read after it are all there will be.
          const now = (await kernel.orchestrator.getSession(sessionId, viewer.userId)).state;
          const lines = await kernel.orchestrator.getOutput(sessionId, { viewerId: viewer.userId, afterSeq: after });
          if (closed) return;
          for (const line of lines) {
            send('line', { seq: line.seq, operation: line.operation, level: line.level, line: line.line }, line.seq);
            after = line.seq;
          }
          if (now !== state) {
            state = now;
            send('state', { state });
          }
          if (DONE_STATES.includes(now)) {
            send('end', { state: now });
            return stop();
          }
          if (Date.now() - lastBeat > HEARTBEAT_MS) {
            raw.write(': keep-alive\n\n');
            lastBeat = Date.now();
          }
        } catch (error) {
          // Access revoked or the kernel closing: the stream ends, saying so without details.
          kernel.logger.warn({ err: error, sessionId, userId: viewer.userId }, 'dashboard live log stopped');
          send('end', { state, reason: 'stopped' });
          return stop();
        } finally {
          running = false;
        }
        schedule(BUSY_STATES.includes(state) ? POLL_MS : IDLE_POLL_MS);
      };
      await tick();
      return reply;
    },
  );
}
