import pg from 'pg';
import type { KernelEventMap, KernelEventName, KernelEvents } from '../events/kernel-events.js';
import type { Logger } from '../logger.js';

/** The PostgreSQL channel the kernel's events cross processes on. */
export const EVENTS_CHANNEL = 'cloud_engine_events';
/** NOTIFY payloads are limited to 8000 bytes. */
const MAX_PAYLOAD = 7900;
/** Measures of this process alone (its metrics): not sent to the others. */
const LOCAL_ONLY: ReadonlySet<KernelEventName> = new Set<KernelEventName>(['chat.acknowledged']);
/** A relayed output line is cut to this: it says a line arrived (its full text is persisted, and read from there). */
const RELAYED_LINE_CHARS = 2000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * The kernel's events across the processes on one database (fronts and
 * workers): every event a process emits itself — a worker's output lines
 * too, as they stream — is sent with `pg_notify`, and
 * every process listening passes on what the others sent, so a front's
 * Discord lobbies follow a plan a worker runs, and a reminder a worker's
 * lifecycle sent is posted by the front that runs the gateway.
 */
export class EventRelay {
  private stopTap: (() => void) | undefined;
  private sending: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly client: pg.Client,
    private readonly events: KernelEvents,
    private readonly origin: string,
    private readonly logger: Logger,
  ) {}

  static async start(url: string, events: KernelEvents, origin: string, logger: Logger): Promise<EventRelay> {
    const client = new pg.Client({ connectionString: url, application_name: 'cloud-engine-events' });
    await client.connect();
    const relay = new EventRelay(client, events, origin, logger);
    client.on('notification', (message) => relay.receive(message.payload));
    client.on('error', (error) => logger.error({ err: error }, 'event relay connection failed'));
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    relay.stopTap = events.tap((event, payload) => relay.send(event, payload));
    return relay;
  }

  async close(): Promise<void> {
    this.stopTap?.();
    await this.sending.catch(() => undefined);
    await this.client.end().catch(() => undefined);
  }

  private send(event: KernelEventName, payload: unknown): void {
    if (LOCAL_ONLY.has(event)) return;
    const text = JSON.stringify({ origin: this.origin, event, payload: slim(event, payload) });
    if (Buffer.byteLength(text) > MAX_PAYLOAD) {
      this.logger.warn({ event, bytes: Buffer.byteLength(text) }, 'event too large to relay to other processes');
      return;
    }
    // In order: one connection, one query after another.
    this.sending = this.sending
      .then(() => this.client.query('SELECT pg_notify($1, $2)', [EVENTS_CHANNEL, text]))
      .catch((error: unknown) => this.logger.warn({ err: error, event }, 'event not relayed'));
  }

  private receive(text: string | undefined): void {
    if (!text) return;
    try {
      const message = JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value)) as { origin: string; event: KernelEventName; payload: unknown };
      if (message.origin === this.origin) return;
      this.events.emitFromElsewhere(message.event, message.payload as KernelEventMap[typeof message.event]);
    } catch (error) {
      this.logger.warn({ err: error }, 'relayed event not understood');
    }
  }
}

/** What crosses: a plan's event without its plan JSON, an output line cut short (listeners re-read what they show). */
function slim(event: KernelEventName, payload: unknown): unknown {
  if (event === 'output.line') {
    const line = payload as KernelEventMap['output.line'];
    return line.line.length > RELAYED_LINE_CHARS ? { ...line, line: `${line.line.slice(0, RELAYED_LINE_CHARS)}…` } : line;
  }
  if (event !== 'plan.ready') return payload;
  const { plan, ...rest } = payload as KernelEventMap['plan.ready'];
  const { planJson: _planJson, ...summary } = plan;
  return { ...rest, plan: summary };
}
