import { pino, type Logger as PinoLogger } from 'pino';
import { token } from './plugin/token.js';

/** Structured logger (pino); plugins receive a child bound to their id. */
export type Logger = PinoLogger;
export const Logger = token<Logger>('kernel.logger');

/**
 * Logs to stderr so stdout stays free for the program's own output. With a
 * `redact` function, every message and error text passes through it, so no
 * secret reaches the logs.
 */
export function createLogger(level: string, redact?: (text: string) => string): Logger {
  if (!redact) return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: false }));
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
          return JSON.parse(redact(JSON.stringify(object))) as Record<string, unknown>;
        },
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
