import { CloudEngineError, isCloudEngineError, type ErrorCode } from '../../kernel/errors.js';
import type { ChatApi } from '../../kernel/plugin/chat-adapter.js';
import type { CommandArgs } from '../chat-command.js';
import { optionalText } from '../command-options.js';

/** Why a precondition refused: a stable identifier (the error code adapters switch on) and a message for people. */
export interface PreconditionError {
  readonly identifier: ErrorCode;
  readonly message: string;
  readonly field?: string;
  readonly value?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type PreconditionResult = { readonly ok: true } | { readonly ok: false; readonly error: PreconditionError };

export function ok(): PreconditionResult {
  return { ok: true };
}

export function error(failure: PreconditionError): PreconditionResult {
  return { ok: false, error: failure };
}

/** What a precondition looks at: who asks, with what options, through which API. */
export interface PreconditionContext {
  readonly api: ChatApi;
  readonly userId: string;
  readonly args: CommandArgs;
}

/** A check a command declares it needs; it answers with a result and never throws for a refusal. */
export interface Precondition {
  /** Names it in the refusal's details and in tests. */
  readonly name: string;
  run(context: PreconditionContext): Promise<PreconditionResult>;
}

/** A refusal and the precondition that made it. */
export interface PreconditionRefusal {
  readonly precondition: string;
  readonly error: PreconditionError;
}

/** Runs `preconditions` in order and stops at the first refusal; undefined when all pass. */
export async function checkPreconditions(preconditions: readonly Precondition[], context: PreconditionContext): Promise<PreconditionRefusal | undefined> {
  for (const precondition of preconditions) {
    const result = await precondition.run(context);
    if (!result.ok) return { precondition: precondition.name, error: result.error };
  }
  return undefined;
}

/**
 * Runs the preconditions and throws the first refusal as the error users see,
 * for callers that answer every error in one place (a command's run, a button).
 */
export async function requirePreconditions(preconditions: readonly Precondition[], context: PreconditionContext): Promise<void> {
  const refusal = await checkPreconditions(preconditions, context);
  if (refusal) throw refusalError(refusal);
}

/** A refusal as the error users see: its identifier is the code, its message the text. */
export function refusalError(refusal: PreconditionRefusal): CloudEngineError {
  const { identifier, message, field, value, details } = refusal.error;
  return new CloudEngineError(identifier, message, { field, value, details: { ...details, precondition: refusal.precondition } });
}

/**
 * A kernel check as a result: a CloudEngineError it throws becomes the
 * refusal, worded as the kernel words it. Anything else (INTERNAL
 * included) is not a refusal and is thrown on, to be reported as internal.
 */
export async function resultOf(check: () => unknown): Promise<PreconditionResult> {
  try {
    await check();
    return ok();
  } catch (thrown) {
    if (!isCloudEngineError(thrown) || thrown.code === 'INTERNAL') throw thrown;
    return error({ identifier: thrown.code, message: thrown.message, field: thrown.field, value: thrown.value, details: thrown.details });
  }
}

/** The option's text, or a refusal naming the missing option (as a command's own reading would). */
export function requiredOption(args: CommandArgs, name: string): { readonly value: string } | { readonly refusal: PreconditionResult } {
  const value = optionalText(args, name);
  if (value !== undefined) return { value };
  return { refusal: error({ identifier: 'INVALID_INPUT', message: `Missing ${name}: this option is required.`, field: name }) };
}

/** `whenGiven` when the person named `option`, else `whenAbsent` (e.g. a project's admin, or a global admin for everything). */
export function byOption(option: string, whenGiven: Precondition, whenAbsent: Precondition): Precondition {
  return {
    name: `${whenGiven.name} if ${option} is given, else ${whenAbsent.name}`,
    run: (context) => (optionalText(context.args, option) === undefined ? whenAbsent : whenGiven).run(context),
  };
}
