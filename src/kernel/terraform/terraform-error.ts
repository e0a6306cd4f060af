import type { TerraformCommand } from './terraform-events.js';

/** The fields that say how a terraform command ended. */
export interface TerraformErrorDetails {
  command: TerraformCommand;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  diagnostics: string[];
  stderrTail: string;
}

/** A terraform command that failed, timed out, was cancelled or could not start. */
export class TerraformError extends Error {
  override readonly name = 'TerraformError';
  readonly command: TerraformCommand;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Error diagnostics, each as "Error: <summary>: <detail>". */
  readonly diagnostics: string[];
  /** The last ~4 KB terraform wrote to stderr. */
  readonly stderrTail: string;

  constructor(message: string, details: TerraformErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.timedOut = details.timedOut;
    this.cancelled = details.cancelled;
    this.diagnostics = details.diagnostics;
    this.stderrTail = details.stderrTail;
  }
}
