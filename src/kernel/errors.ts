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
