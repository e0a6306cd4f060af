import { pino, type Logger as PinoLogger } from 'pino';
import { token } from './plugin/token.js';

/** Structured logger (pino); plugins receive a child bound to their id. */
export type Logger = PinoLogger;
export const Logger = token<Logger>('kernel.logger');

/** Logs to stderr so stdout stays free for the program's own output. */
export function createLogger(level: string): Logger {
  return pino({ level, base: undefined }, pino.destination({ fd: 2, sync: false }));
}
