import { existsSync } from 'node:fs';
import { TerraformError, type TerraformErrorDetails } from './terraform-error.js';
import type { TerraformCommand } from './terraform-events.js';

/** The message of a command that ran and ended badly: timed out, cancelled, or exited non-zero (with its first error). */
export function failureMessage(details: TerraformErrorDetails, timeoutMs: number, killed: boolean, killGraceMs: number): string {
  const { command } = details;
  const forced = killed ? ` (killed after ignoring an interrupt for ${formatMs(killGraceMs)})` : '';
  if (details.timedOut) return `terraform ${command} timed out after ${formatMs(timeoutMs)} and was stopped${forced}`;
  if (details.cancelled) return `terraform ${command} was cancelled and stopped${forced}`;

  const how = details.exitCode !== null ? `exit ${details.exitCode}` : `killed by ${details.signal ?? 'a signal'}`;
  const [first, ...rest] = details.diagnostics;
  let why: string;
  if (first !== undefined) {
    why = collapse(first) + (rest.length > 0 ? ` (and ${rest.length} more error${rest.length === 1 ? '' : 's'})` : '');
  } else {
    const lastLines = details.stderrTail.trim().split('\n').slice(-3).join(' ');
    why = lastLines === '' ? 'no error output' : collapse(lastLines);
  }
  return `terraform ${command} failed (${how}): ${why}`;
}

/** The error for a terraform process that could not start, saying which of binary or directory is at fault and how to fix it. */
export function spawnFailure(
  binary: string,
  command: TerraformCommand,
  cwd: string,
  error: NodeJS.ErrnoException,
  stderrTail: string,
): TerraformError {
  let message: string;
  if (error.code === 'ENOENT' && !existsSync(cwd)) {
    message = `terraform ${command} could not start: the working directory ${cwd} does not exist`;
  } else if (error.code === 'ENOENT') {
    message =
      `terraform ${command} could not start: the terraform binary "${binary}" was not found. ` +
      'Install terraform (or OpenTofu) on PATH, or set CLOUD_ENGINE_TERRAFORM_BIN to its full path.';
  } else if (error.code === 'EACCES') {
    message = `terraform ${command} could not start: "${binary}" is not executable (EACCES). Fix its permissions or set CLOUD_ENGINE_TERRAFORM_BIN to a working binary.`;
  } else {
    message = `terraform ${command} could not start "${binary}": ${error.message}`;
  }
  return new TerraformError(
    message,
    { command, exitCode: null, signal: null, timedOut: false, cancelled: false, diagnostics: [], stderrTail },
    { cause: error },
  );
}

/**
 * Pulls "Error: …" blocks out of terraform's human output, which is all that
 * commands without `-json` give; each block runs to the next diagnostic or box edge.
 */
export function parseStderrDiagnostics(stderr: string): string[] {
  const found: string[] = [];
  let current: string[] | undefined;
  const close = (): void => {
    if (current === undefined) return;
    const [summary, ...detail] = current;
    const text = collapse(detail.join(' '));
    const entry = text === '' ? summary! : `${summary}: ${text}`;
    if (!found.includes(entry)) found.push(entry);
    current = undefined;
  };
  for (const rawLine of stderr.split('\n')) {
    const line = rawLine.replace(/^│ ?/, '');
    if (/^(Error|Warning): /.test(line) || /^[╷╵]/.test(rawLine)) {
      close();
      if (line.startsWith('Error: ')) current = [line.trim()];
      continue;
    }
    current?.push(line.trim());
  }
  close();
  return found;
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function formatMs(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}
