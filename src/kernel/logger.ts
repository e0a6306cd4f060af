import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { token } from './plugin/token.js';

/** Structured logger (pino); plugins receive a child bound to their id. */
export type Logger = PinoLogger;
export const Logger = token<Logger>('kernel.logger');

/**
 * Logs to stderr (or `destination`) so stdout stays free for the program's own
 * output. With a `redact` function, every message and error text passes
 * through it, so no secret reaches the logs.
 */
export function createLogger(level: string, redact?: (text: string) => string, destination?: DestinationStream): Logger {
  const out = destination ?? pino.destination({ fd: 2, sync: false });
  if (!redact) return pino({ level, base: undefined }, out);
  return pino(
    {
      level,
      base: undefined,
      hooks: {
        logMethod(args, method) {
          const redacted: unknown[] = args.map((arg) => (typeof arg === 'string' ? redact(arg) : arg));
          // logger.error(err) alone: pino would take the message from the error, unredacted.
          const [first, second] = redacted;
          if (first instanceof Error && typeof second !== 'string') redacted.splice(0, 1, { err: first }, redact(first.message));
          method.apply(this, redacted as Parameters<typeof method>);
        },
      },
      formatters: {
        log(object) {
          const fields: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(object)) fields[key] = redactValue(value, redact);
          return fields;
        },
      },
    },
    out,
  );
}

/**
 * A log field with every string redacted. Errors stay errors (pino's serializer turns them into
 * type, message and stack after this), with their text and own fields redacted; a plain
 * JSON round trip would log every Error as {}.
 */
function redactValue(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (value instanceof Error) {
    const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(value)) copy[key] = redactValue((value as unknown as Record<string, unknown>)[key], redact);
    return copy;
  }
  if (typeof value !== 'object' || value === null) return value;
  const text = JSON.stringify(value, (_key, inner: unknown) => (inner instanceof Error ? pino.stdSerializers.err(inner) : inner));
  return text === undefined ? value : (JSON.parse(redact(text)) as unknown);
}
