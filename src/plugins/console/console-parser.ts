import { CloudEngineError } from '../../kernel/errors.js';

/** A typed console line: `/name word key:value key="quoted value" k=v`. */
export interface ParsedLine {
  readonly name: string;
  /** `key:value` options, as for slash commands. */
  readonly options: Readonly<Record<string, string>>;
  /** Bare words and `key=value` words, in order (for /add, /approve …). */
  readonly words: readonly string[];
}

/** Splits a line into words, honouring "double" and 'single' quotes and backslash escapes inside them. */
export function tokenize(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quote) {
      if (char === '\\' && i + 1 < line.length && (line[i + 1] === quote || line[i + 1] === '\\')) {
        current += line[++i];
      } else if (char === quote) quote = null;
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(current);
      current = '';
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (quote) {
    throw new CloudEngineError('INVALID_INPUT', `Unclosed ${quote} quote in: ${line.slice(0, 80)}. Close the quote and try again.`, { field: 'line' });
  }
  if (started) words.push(current);
  return words;
}

/** Parses a command line; returns undefined for blank lines and comments (#). */
export function parseLine(line: string): ParsedLine | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  if (!trimmed.startsWith('/')) {
    throw new CloudEngineError('INVALID_INPUT', `Commands start with "/": try /help.`, { field: 'line', value: trimmed.slice(0, 40) });
  }
  const [head, ...rest] = tokenize(trimmed.slice(1));
  const options: Record<string, string> = {};
  const words: string[] = [];
  for (const word of rest) {
    const match = /^([a-z_][a-z0-9_]*):(.*)$/s.exec(word);
    if (match) options[match[1]!] = match[2]!;
    else words.push(word);
  }
  return { name: (head ?? '').toLowerCase(), options, words };
}

/** The closest known name within a small edit distance, for "did you mean". */
export function nearest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(previous[j]! + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
