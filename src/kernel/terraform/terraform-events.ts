import { StringDecoder } from 'node:string_decoder';

/** The terraform subcommands the runner drives. */
export type TerraformCommand = 'init' | 'plan' | 'apply' | 'show' | 'output' | 'state';

/** Severity of a terraform event, folded onto three levels. */
export type TerraformEventLevel = 'info' | 'warn' | 'error';

/** One thing terraform said, streamed as it happens. */
export interface TerraformEvent {
  /**
   * Terraform's `-json` message type (planned_change, change_summary, apply_start,
   * apply_progress, apply_complete, apply_errored, provision_progress,
   * provision_complete, diagnostic, outputs, resource_drift, version, log, …),
   * or `stdout` / `stderr` for lines that were not JSON.
   */
  type: string;
  level: TerraformEventLevel;
  /** The human line: terraform's `@message`, with a diagnostic's detail appended. */
  message: string;
  command: TerraformCommand;
  /** The whole JSON object terraform printed, when the line was JSON. */
  raw?: Record<string, unknown>;
}

/** A diagnostic as it appears in terraform's `-json` stream. */
export interface TerraformDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail?: string;
  address?: string;
  snippet?: { context?: string | null };
}

/** Parses one line of terraform's `-json` output; anything that is not a JSON object becomes a `stdout` event. */
export function parseTerraformJsonLine(line: string, command: TerraformCommand): TerraformEvent {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  let parsed: unknown;
  if (text.startsWith('{')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!isRecord(parsed)) return { type: 'stdout', level: 'info', message: text, command };

  const type = typeof parsed.type === 'string' ? parsed.type : 'log';
  const level = toLevel(parsed['@level']);
  let message = typeof parsed['@message'] === 'string' ? parsed['@message'] : '';
  const diagnostic = readDiagnostic(parsed.diagnostic);
  if (type === 'diagnostic' && diagnostic !== undefined) {
    message = formatDiagnostic(diagnostic);
  }
  return { type, level: diagnostic?.severity === 'error' ? 'error' : level, message, command, raw: parsed };
}

/** Renders a diagnostic as one line: "Error: <summary>: <detail> [at <address>]". */
export function formatDiagnostic(diagnostic: TerraformDiagnostic): string {
  const prefix = diagnostic.severity === 'error' ? 'Error' : 'Warning';
  let text = `${prefix}: ${diagnostic.summary}`;
  const detail = diagnostic.detail?.trim();
  if (detail) text += `: ${detail}`;
  // JSON configs are usually a single line, so the config address locates a problem better than a line number.
  const where = diagnostic.address ?? diagnostic.snippet?.context ?? undefined;
  if (where) text += ` [at ${where}]`;
  return text;
}

/** Reads `diagnostic` off a `-json` message, when it is one. */
export function readDiagnostic(value: unknown): TerraformDiagnostic | undefined {
  if (!isRecord(value) || typeof value.summary !== 'string') return undefined;
  return {
    severity: value.severity === 'error' ? 'error' : 'warning',
    summary: value.summary,
    detail: typeof value.detail === 'string' ? value.detail : undefined,
    address: typeof value.address === 'string' ? value.address : undefined,
    snippet: isRecord(value.snippet)
      ? { context: typeof value.snippet.context === 'string' ? value.snippet.context : null }
      : undefined,
  };
}

/** The longest output line kept (stored, streamed, shown); terraform can print megabytes on one line. */
export const MAX_LINE_CHARS = 8192;

/**
 * A line cut to at most `MAX_LINE_CHARS` characters, ending in "… (cut: N
 * characters in all)" when it was longer; a cut line is returned unchanged.
 * Cut after redacting, never before: a secret cut in two escapes the redactor.
 */
export function capLine(line: string): string {
  if (line.length <= MAX_LINE_CHARS) return line;
  const marker = `… (cut: ${line.length.toLocaleString('en-US')} characters in all)`;
  let end = MAX_LINE_CHARS - marker.length;
  // Not between the two halves of a surrogate pair.
  if (/[\uD800-\uDBFF]/.test(line[end - 1]!)) end -= 1;
  return line.slice(0, end) + marker;
}

/** The most lines of an error message kept on a session (stored, audited, sent in events). */
export const MAX_MESSAGE_LINES = 200;

/**
 * A multi-line message (a session's error) bounded like output: each line
 * cut by `capLine`, and at most `MAX_MESSAGE_LINES` lines, saying how many
 * more there were. Redact first.
 */
export function capText(text: string): string {
  const lines = text.split('\n');
  const kept = lines.slice(0, MAX_MESSAGE_LINES).map(capLine);
  if (lines.length > MAX_MESSAGE_LINES) kept.push(`… (${lines.length - MAX_MESSAGE_LINES} more lines cut)`);
  return kept.join('\n');
}

/**
 * Splits a byte stream into lines as chunks arrive: a line may straddle chunks
 * (even inside a multi-byte character), and the last line may lack its newline.
 */
export class LineBuffer {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** Feeds one chunk and returns the lines it completed, without their line endings. */
  push(chunk: Buffer | string): string[] {
    this.pending += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (!this.pending.includes('\n')) return [];
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    return parts.map(stripCarriageReturn);
  }

  /** Returns what is left once the stream has ended. */
  end(): string[] {
    this.pending += this.decoder.end();
    const rest = this.pending;
    this.pending = '';
    return rest === '' ? [] : [stripCarriageReturn(rest)];
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function toLevel(value: unknown): TerraformEventLevel {
  if (value === 'error') return 'error';
  if (value === 'warn' || value === 'warning') return 'warn';
  return 'info';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
