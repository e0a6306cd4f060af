import { CommanderError } from 'commander';
import { isCloudEngineError, type ErrorCode } from '../kernel/errors.js';

/** Exit codes of every `cloud-engine` subcommand. */
export const ExitCode = {
  OK: 0,
  /** Something broke: terraform failed, an apply ended FAILED, an internal error. */
  FAILURE: 1,
  /** The user can fix it: invalid input, permission, policy, quota, stale plan, wrong state, something else holding the lock. */
  USER_ERROR: 2,
  /** `drift`: the check ran and found the cloud changed outside Terraform. */
  DRIFTED: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Codes the person or script running the command can act on; everything else is a failure. */
export const USER_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_INPUT',
  'PERMISSION_DENIED',
  'POLICY_VIOLATION',
  'QUOTA_EXCEEDED',
  'PLAN_STALE',
  'NOT_FOUND',
  'INVALID_STATE',
  'CONFIG_INVALID',
  // Nothing was changed and nothing broke: another change or process holds it; cancel that one, or wait.
  'LOCKED',
]);

/** The process exit code for an error a command ended with. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USER_ERROR;
  if (isCloudEngineError(error)) return USER_ERROR_CODES.has(error.code) ? ExitCode.USER_ERROR : ExitCode.FAILURE;
  return ExitCode.FAILURE;
}

/** The `{ error }` object `--json` prints on stdout. */
export interface JsonError {
  error: { code: string; message: string; field?: string; sessionId?: string };
}

/** What an error looks like to a script: a stable code, the message, the field at fault. */
export function errorJson(error: unknown, sessionId?: string): JsonError {
  const base = isCloudEngineError(error)
    ? { code: error.code, message: error.message, field: error.field }
    : error instanceof CommanderError
      ? { code: 'INVALID_INPUT', message: error.message.replace(/^error: /, '') }
      : { code: 'INTERNAL', message: errorMessage(error) };
  return { error: { ...base, ...(sessionId ? { sessionId } : {}) } };
}

/**
 * The `code: message` line(s) for stderr. User errors never carry a stack
 * trace; an unexpected error shows its stack only at debug log level.
 */
export function errorText(error: unknown, options: { debug?: boolean } = {}): string {
  if (isCloudEngineError(error)) return `${error.code}: ${error.message}`;
  const stack = error instanceof Error && options.debug ? `\n${error.stack ?? ''}` : '';
  const hint = options.debug ? '' : ' (set CLOUD_ENGINE_LOG_LEVEL=debug for the stack trace)';
  return `INTERNAL: ${errorMessage(error)}${hint}${stack}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
