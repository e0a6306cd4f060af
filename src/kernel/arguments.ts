import { parse as parseYaml } from 'yaml';
import { parseDuration } from './config/duration.js';
import { describeValue, invalidInput, invalidValue } from './errors.js';
import { DeploymentState, isDeploymentState } from './sessions/deployment-state.js';

/*
 * Arguments people type, read the same way by every front end: the chat
 * commands (`src/chat`) and the CLI (`src/cli`). `name` is what the person
 * typed the value as — `duration` in chat, `--for` on the command line — and
 * the error's field is that name without its dashes.
 */

/** `2h`, `30m`, `7d`, `1w` → milliseconds. */
export function parseDurationArgument(text: string, name: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw invalidValue(name, 'a number and a unit (s, m, h, d or w) like 30m, 2h or 7d', text, { field: fieldOf(name) });
  }
  return ms;
}

/** A whole number, as a number or as digits (`10`, `-3`), within `range` when one is given. */
export function parseWholeNumber(value: unknown, name: string, range: { readonly min?: number; readonly max?: number } = {}): number {
  const number = wholeNumber(value);
  if (number === undefined || (range.min !== undefined && number < range.min) || (range.max !== undefined && number > range.max)) {
    throw invalidValue(name, `a whole number${rangeText(range)}`, value, { field: fieldOf(name) });
  }
  return number;
}

/** A quota limit: a whole number such as 10, or `none` (or `unlimited`) for no limit. The kernel checks the upper bound. */
export function parseQuotaLimit(value: unknown, name = 'limit'): number | null {
  if (typeof value === 'string' && /^(none|unlimited)$/i.test(value)) return null;
  const number = wholeNumber(value);
  if (number === undefined || number < 0) {
    throw invalidValue(name, 'a whole number such as 10, or none', value, { field: fieldOf(name) });
  }
  return number;
}

/** Session states, in any case, repeated or comma-separated (`plan_ready,APPLYING`); none given → undefined. */
export function parseStates(values: readonly string[] | undefined, name = 'state'): DeploymentState[] | undefined {
  if (!values?.length) return undefined;
  const states = values.flatMap((value) => value.split(',')).map((value) => value.trim().toUpperCase()).filter(Boolean);
  for (const state of states) {
    if (!isDeploymentState(state)) {
      throw invalidInput(name, `${describeValue(state)} is not a session state; use ${Object.values(DeploymentState).join(', ')}`, { field: fieldOf(name), value: state });
    }
  }
  if (states.length === 0) {
    throw invalidInput(name, `no state named; use ${Object.values(DeploymentState).join(', ')}`, { field: fieldOf(name), value: values.join(',') });
  }
  return states as DeploymentState[];
}

/**
 * An object typed as JSON (or YAML): provider settings, say. `where` names
 * a file it was read from; a list, a scalar or `null` is refused, so it
 * never reads as "nothing given".
 */
export function parseObjectText(text: string, name: string, options: { readonly format?: 'json' | 'yaml'; readonly where?: string } = {}): Record<string, unknown> {
  const format = options.format === 'yaml' ? 'YAML' : 'JSON';
  const at = options.where ? ` in ${options.where}` : '';
  let parsed: unknown;
  try {
    parsed = format === 'YAML' ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const reason = ((error as Error)?.message ?? String(error)).split('\n')[0];
    throw invalidInput(`${name}${at}`, `not valid ${format} (${reason}); write an object such as {"region": "us-east-1"}`, { field: fieldOf(name), value: text });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidInput(`${name}${at}`, `expected a ${format} object such as {"region": "us-east-1"}`, { field: fieldOf(name), value: text });
  }
  return parsed as Record<string, unknown>;
}

function wholeNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || !/^-?\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

function rangeText(range: { readonly min?: number; readonly max?: number }): string {
  if (range.min !== undefined && range.max !== undefined) return ` from ${range.min} to ${range.max}`;
  if (range.min !== undefined) return ` of at least ${range.min}`;
  if (range.max !== undefined) return ` of at most ${range.max}`;
  return '';
}

function fieldOf(name: string): string {
  return name.replace(/^-+/, '');
}
