/** Stable identifiers for every error a user can see; adapters may switch on them. */
export const ErrorCode = {
  NOT_FOUND: 'NOT_FOUND',
  INVALID_INPUT: 'INVALID_INPUT',
  INVALID_STATE: 'INVALID_STATE',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  POLICY_VIOLATION: 'POLICY_VIOLATION',
  PLAN_STALE: 'PLAN_STALE',
  LOCKED: 'LOCKED',
  TERRAFORM_FAILED: 'TERRAFORM_FAILED',
  CONFIG_INVALID: 'CONFIG_INVALID',
  PLUGIN_FAILED: 'PLUGIN_FAILED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The short title adapters show above an error's message; typed by code, so a new code needs a title to compile. */
export const ERROR_TITLES: Readonly<Record<ErrorCode, string>> = Object.freeze({
  NOT_FOUND: 'Not found',
  INVALID_INPUT: 'Invalid input',
  INVALID_STATE: 'Not possible right now',
  PERMISSION_DENIED: 'Permission denied',
  QUOTA_EXCEEDED: 'Quota exceeded',
  POLICY_VIOLATION: 'Policy violation',
  PLAN_STALE: 'Plan is stale',
  LOCKED: 'Busy',
  TERRAFORM_FAILED: 'Terraform failed',
  CONFIG_INVALID: 'Configuration problem',
  PLUGIN_FAILED: 'Plugin failed',
  INTERNAL: 'Internal error',
});

export interface CloudEngineErrorOptions {
  /** The offending field, when one input field is to blame. */
  field?: string;
  /** The value received (kept short; never a secret). */
  value?: unknown;
  /** Extra structured context for adapters and logs. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * The one error type users see: a stable `code`, a message that says what was
 * wrong and what to do, and optionally the field and value at fault.
 */
export class CloudEngineError extends Error {
  override readonly name = 'CloudEngineError';
  readonly code: ErrorCode;
  readonly field?: string;
  readonly value?: unknown;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: CloudEngineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.value = options.value;
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, field: this.field, details: this.details };
  }
}

export function isCloudEngineError(error: unknown, code?: ErrorCode): error is CloudEngineError {
  return error instanceof CloudEngineError && (code === undefined || error.code === code);
}

/** Shortens a received value for an error message so a huge input cannot flood chat. */
export function describeValue(value: unknown, max = 60): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

// ---- Factories for the families of errors raised in many places: one wording each. ----

/** NOT_FOUND: `what` does not exist, with the way to find the right one. */
export function notFound(what: string, fix: string, options: { field?: string; value?: unknown } = {}): CloudEngineError {
  return new CloudEngineError('NOT_FOUND', `${what} does not exist. ${fix}`, options);
}

/** NOT_FOUND: no project has this id. */
export function projectNotFound(id: unknown): CloudEngineError {
  return notFound(`Project ${JSON.stringify(id)}`, 'List projects to see the ids, or ask an admin to create it.', { field: 'projectId', value: id });
}

/** NOT_FOUND: no session has this id. */
export function sessionNotFound(id: unknown): CloudEngineError {
  return notFound(`Session ${JSON.stringify(id)}`, 'List your sessions to find its id.', { field: 'sessionId', value: id });
}

/** INVALID_STATE: the thing is in the wrong state for what was asked; says the state and what to do. */
export function wrongState(message: string, state: string, details: Record<string, unknown> = {}): CloudEngineError {
  return new CloudEngineError('INVALID_STATE', message, { details: { state, ...details } });
}

/** Where an input error points: the field recorded on the error (default: the name in the message), the value received, extra context. */
export interface InvalidInputOptions {
  /** The field recorded on the error when it differs from the name the message uses (a command-line flag, a nested path). */
  field?: string;
  value?: unknown;
  details?: Record<string, unknown>;
}

/**
 * INVALID_INPUT: `Invalid <field>: <problem>.` — the problem says what was
 * wrong, the value received (see `describeValue`) and what to write instead.
 */
export function invalidInput(field: string, problem: string, options: InvalidInputOptions = {}): CloudEngineError {
  return new CloudEngineError('INVALID_INPUT', `Invalid ${field}: ${problem}.`, { field: options.field ?? field, value: options.value, details: options.details });
}

/** INVALID_INPUT: `Invalid <field>: expected <expected>; received <value>.` */
export function invalidValue(field: string, expected: string, value: unknown, options: Omit<InvalidInputOptions, 'value'> = {}): CloudEngineError {
  return invalidInput(field, `expected ${expected}; received ${describeValue(value)}`, { ...options, value });
}

/**
 * PLUGIN_FAILED: `Plugin "<id>" <problem>.` — a plugin's definition or
 * contribution is wrong; `details.pluginId` names it, and the problem says how to fix it.
 */
export function pluginFailed(pluginId: string, problem: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}): CloudEngineError {
  return new CloudEngineError('PLUGIN_FAILED', `Plugin "${pluginId}" ${problem}.`, { cause: options.cause, details: { pluginId, ...options.details } });
}

/**
 * CONFIG_INVALID: `Invalid configuration <setting> (<env>): <problem>.` —
 * `setting` as the operator writes it (`"dataDir"`, `pluginConfig["acme"]`),
 * `env` the environment variable it can also come from.
 */
export function configInvalid(
  setting: string,
  problem: string,
  options: { env?: string; field?: string; value?: unknown; details?: Record<string, unknown> } = {},
): CloudEngineError {
  const { env, ...rest } = options;
  return new CloudEngineError('CONFIG_INVALID', `Invalid configuration ${setting}${env ? ` (${env})` : ''}: ${problem}.`, rest);
}

/** Why a plan can no longer be approved. */
export type PlanStaleReason = 'plan-changed' | 'plan-missing' | 'config-changed' | 'plan-file-missing' | 'secrets-unreadable' | 'deployment-changed';

/** PLAN_STALE with a typed reason (`details.reason`): the plan shown is not the plan that would be applied. */
export function planStale(reason: PlanStaleReason, message: string, details: Record<string, unknown> = {}, cause?: unknown): CloudEngineError {
  return new CloudEngineError('PLAN_STALE', message, { details: { reason, ...details }, cause });
}

/**
 * The data directory refused a write (full, read-only, no permission):
 * INTERNAL saying which and what to do; undefined for any other error.
 */
export function dataDirFailure(doing: string, error: unknown, retry = 'try again'): CloudEngineError | undefined {
  const code = (error as NodeJS.ErrnoException)?.code ?? '';
  const text = (error as Error)?.message ?? String(error);
  if (code === 'ENOSPC') {
    return new CloudEngineError('INTERNAL', `${doing} failed: no space left in the data directory (${text}). Free space in CLOUD_ENGINE_DATA_DIR, then ${retry}.`, { cause: error });
  }
  if (code === 'EACCES' || code === 'EROFS') {
    return new CloudEngineError('INTERNAL', `${doing} failed: the data directory refused a write (${text}). Check that CLOUD_ENGINE_DATA_DIR is writable, then ${retry}.`, { cause: error });
  }
  return undefined;
}

/** The message of anything thrown. */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
