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
          method.apply(this, args.map((arg) => (typeof arg === 'string' ? redact(arg) : arg)) as Parameters<typeof method>);
        },
      },
      formatters: {
        log(object) {
          // Errors are serialized the way pino would (type, message, stack, cause) before the text is redacted;
          // a bare JSON.stringify would turn every Error into {}.
          const text = JSON.stringify(object, (_key, value: unknown) => (value instanceof Error ? pino.stdSerializers.err(value) : value));
          return JSON.parse(redact(text)) as Record<string, unknown>;
        },
      },
    },
    out,
  );
}
