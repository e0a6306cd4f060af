import { randomUUID } from 'node:crypto';
import type { Logger } from '../kernel/logger.js';
import { errorReply, isInternalError, type ChatReply } from './chat-message.js';

/**
 * The reply to a chat action that failed. A refusal or bad input reads as
 * the kernel worded it. Anything unexpected, and any INTERNAL error, is
 * logged as `event` with `context` (who, what, which session) under a new
 * reference, and the person is shown only "Internal error (ref X)".
 */
export function failureReply(error: unknown, logger: Logger, event: string, context: Readonly<Record<string, unknown>> = {}): ChatReply {
  if (!isInternalError(error)) return errorReply(error);
  const reference = newReference();
  logger.error({ ...context, err: error, reference }, event);
  return errorReply(error, reference);
}

/** A short id that ties what a person was shown to the log line. */
export function newReference(): string {
  return randomUUID().slice(0, 8);
}
