import { CloudEngineError, ERROR_TITLES, isCloudEngineError } from '../kernel/errors.js';
import type { LobbyModel } from './lobby.js';

/** A reply in adapter-neutral form: Discord renders an embed, the console text. */
export interface ChatMessage {
  readonly title?: string;
  readonly lines: readonly string[];
  readonly fields?: readonly { readonly name: string; readonly value: string }[];
  readonly tone: 'info' | 'success' | 'warning' | 'error';
  /** Only the person who asked sees it (Discord ephemeral). */
  readonly ephemeral: boolean;
  readonly page?: { readonly index: number; readonly count: number };
  /** A long text better sent as a file (e.g. the full plan). */
  readonly attachment?: { readonly name: string; readonly content: string };
  /** Buttons under the message (Discord buttons; the console names the command each stands for). */
  readonly buttons?: readonly ChatButton[];
}

/**
 * A button of a message: `action` on `target` (a deployment's or a
 * session's id). Every click is checked by the kernel again; a button is
 * never a permission.
 */
export interface ChatButton {
  readonly action: string;
  readonly target: string;
  readonly label: string;
  readonly style: 'primary' | 'secondary' | 'danger';
}

/** What a command produced: a message, or a session lobby to show. */
export type ChatReply = { readonly kind: 'message'; readonly message: ChatMessage } | { readonly kind: 'lobby'; readonly lobby: LobbyModel };

export function message(lines: string | readonly string[], options: Partial<Omit<ChatMessage, 'lines'>> = {}): ChatReply {
  return { kind: 'message', message: { lines: typeof lines === 'string' ? [lines] : lines, tone: 'info', ephemeral: true, ...options } };
}

/**
 * A reply with every text it shows passed through `redact`: a message's
 * title, lines, fields and attachment. A lobby is redacted as it is built (buildLobby).
 */
export function redactReply(reply: ChatReply, redact: (text: string) => string): ChatReply {
  if (reply.kind === 'lobby') return reply;
  const { title, lines, fields, attachment } = reply.message;
  return {
    kind: 'message',
    message: {
      ...reply.message,
      ...(title === undefined ? {} : { title: redact(title) }),
      lines: lines.map(redact),
      ...(fields === undefined ? {} : { fields: fields.map((field) => ({ name: redact(field.name), value: redact(field.value) })) }),
      ...(attachment === undefined ? {} : { attachment: { name: attachment.name, content: redact(attachment.content) } }),
    },
  };
}

/** The same error with its message, value and details redacted (the same object when nothing changed). */
export function redactError<E>(error: E, redactor: { redact(text: string): string; redactDeep<T>(value: T): T }): E | CloudEngineError {
  if (!isCloudEngineError(error)) return error;
  const text = redactor.redact(error.message);
  const value = redactor.redactDeep(error.value);
  if (text === error.message && JSON.stringify(value) === JSON.stringify(error.value)) return error;
  return new CloudEngineError(error.code, text, { field: error.field, value, details: redactor.redactDeep(error.details), cause: error });
}

/**
 * A user-facing error: a CloudEngineError's code (as the title) and message.
 * Anything unexpected, and any INTERNAL error (its text is for the log: a
 * driver's message, a server path), is a short honest line with the
 * reference its log line carries (see `failureReply`).
 */
export function errorReply(error: unknown, reference?: string): ChatReply {
  if (isCloudEngineError(error) && !isInternalError(error)) {
    return message(error.message.split('\n'), { title: titleOf(error), tone: 'error', ephemeral: true, fields: error.field ? [{ name: 'Field', value: error.field }] : undefined });
  }
  const text = reference
    ? `Internal error (ref ${reference}). It has been logged; try again, and give an admin this reference if it keeps happening.`
    : 'Internal error. Try again, and tell an admin if it keeps happening.';
  return message(text, {
    title: 'Internal error',
    tone: 'error',
    ephemeral: true,
  });
}

/** Whether an error is ours to log rather than the user's to read: anything but a CloudEngineError, and INTERNAL ones. */
export function isInternalError(error: unknown): boolean {
  return !isCloudEngineError(error) || error.code === 'INTERNAL';
}

function titleOf(error: CloudEngineError): string {
  return ERROR_TITLES[error.code] ?? error.code;
}
