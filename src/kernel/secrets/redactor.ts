import { token } from '../plugin/token.js';

/** What replaces a secret everywhere it would otherwise reach chat, logs or the database. */
export const REDACTED = '(redacted)';

/**
 * Secret shapes recognised in any text. Each pattern's last capture group,
 * when it has one, is the secret; otherwise the whole match is.
 */
export const DEFAULT_SECRET_PATTERNS: readonly RegExp[] = [
  // AWS access key ids.
  /\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16})\b/g,
  // AWS secret access keys, recognised by the name next to them.
  /(aws_?secret_?access_?key|secret_?access_?key|secretAccessKey)(["'\s:=]+)([A-Za-z0-9/+=]{40})/gi,
  // HTTP bearer tokens.
  /\b(Bearer\s+)([A-Za-z0-9\-._~+/]{8,}=*)/gi,
  // GitHub and Slack tokens.
  /\b(gh[pousr]_[A-Za-z0-9]{30,})\b/g,
  /\b(xox[abprs]-[A-Za-z0-9-]{10,})\b/g,
  // A private key on one line (a whole PEM block, or its header when split over lines).
  /(-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----)/g,
];

/** Environment variables whose values are credentials: never let a copy out. */
const CREDENTIAL_ENV = /(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|ACCESS_KEY|CREDENTIALS?|API_KEY)/i;

/** Literal values shorter than this are not redacted on their own: too many false hits. */
const MIN_LITERAL = 6;

/**
 * Key names whose values are secrets, in normalized form (see `normalizeKey`).
 * A key matches when its normalized name ends with one of them: `db_password`,
 * `AWS_SECRET_ACCESS_KEY` and `x-auth-token` do; `token_type`,
 * `password_length`, `secret_arn` and `public_key` (names, sizes, ids) do not.
 */
export const DEFAULT_SECRET_KEYS: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'secretkey',
  'privatekey',
  'privatekeypem',
  'credential',
  'credentials',
  'connectionstring',
  'secretstring',
];

/** A key name as secret key rules compare it: lowercase letters and digits only (`AWS_Secret-Key` → `awssecretkey`). */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * Replaces secrets by `(redacted)`: configured patterns, credential values
 * from the environment, literal values a plan marks sensitive, and in JSON
 * every value under a secret key name (`password`, `api_key`, …).
 */
export class Redactor {
  private readonly literals: readonly string[];
  private readonly secretKeys: readonly string[];

  constructor(
    private readonly patterns: readonly RegExp[] = DEFAULT_SECRET_PATTERNS,
    literals: Iterable<string> = [],
    secretKeys: Iterable<string> = DEFAULT_SECRET_KEYS,
  ) {
    // Longest first, so a secret containing another is replaced whole.
    this.literals = [...new Set([...literals].filter((value) => value.length >= MIN_LITERAL))].sort((a, b) => b.length - a.length);
    // An entry with no letter or digit would end every key: it is no rule at all.
    this.secretKeys = [...new Set([...secretKeys].map(normalizeKey).filter((key) => key !== ''))];
  }

  /**
   * A redactor for the process: default and extra patterns, the
   * environment's credential values, default and extra secret key names.
   */
  static forEnvironment(extraPatterns: readonly string[] = [], env: Record<string, string | undefined> = process.env, extraSecretKeys: readonly string[] = []): Redactor {
    const patterns = [...DEFAULT_SECRET_PATTERNS, ...extraPatterns.map((source) => new RegExp(source, 'g'))];
    const literals = Object.entries(env)
      .filter(([name, value]) => CREDENTIAL_ENV.test(name) && typeof value === 'string')
      .map(([, value]) => value as string);
    return new Redactor(patterns, literals, [...DEFAULT_SECRET_KEYS, ...extraSecretKeys]);
  }

  /** The same rules plus more literal secrets (e.g. a plan's sensitive values). */
  with(literals: Iterable<string>): Redactor {
    return new Redactor(this.patterns, [...this.literals, ...literals], this.secretKeys);
  }

  /** Whether values under this key are secrets (its normalized name ends with a secret key name). */
  isSecretKey(key: string): boolean {
    const name = normalizeKey(key);
    return name !== '' && this.secretKeys.some((secret) => name.endsWith(secret));
  }

  redact(text: string): string {
    let out = text;
    for (const literal of this.literals) if (out.includes(literal)) out = out.split(literal).join(REDACTED);
    for (const pattern of this.patterns) {
      pattern.lastIndex = 0;
      out = out.replace(pattern, (...match: unknown[]) => {
        const groups = match.slice(1, -2) as (string | undefined)[];
        if (groups.length <= 1) return REDACTED;
        // Keep the label groups (e.g. "Bearer ", "secret_key=") and replace the secret, the last group.
        return groups.slice(0, -1).join('') + REDACTED;
      });
    }
    return out;
  }

  /**
   * Redacts every string (and key) of a JSON-like value; under a secret key
   * name, every string and number, however deep, becomes `(redacted)`
   * (booleans and nulls stay: they are flags, such as a plan's sensitivity marks).
   */
  redactDeep<T>(value: T): T {
    return this.deep(value, false) as T;
  }

  /** `secret`: the value is under a secret key name. */
  private deep(value: unknown, secret: boolean): unknown {
    if (secret && (typeof value === 'string' || typeof value === 'number')) return REDACTED;
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) return value.map((item) => this.deep(item, secret));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.redact(key), this.deep(item, secret || this.isSecretKey(key))]));
    }
    return value;
  }

  /**
   * A line-by-line redactor for a stream: a PEM private key split over many
   * lines is hidden from its BEGIN line to its END line.
   */
  lines(): (line: string) => string {
    let inKey = false;
    return (line) => {
      if (inKey) {
        if (/-----END [A-Z ]*PRIVATE KEY-----/.test(line)) inKey = false;
        return REDACTED;
      }
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(line) && !/-----END [A-Z ]*PRIVATE KEY-----/.test(line)) {
        inKey = true;
        return this.redact(line.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----.*$/, REDACTED));
      }
      return this.redact(line);
    };
  }
}

export const RedactorToken = token<Redactor>('kernel.redactor');

/**
 * The string values a plan JSON marks sensitive (`before_sensitive`,
 * `after_sensitive`), so they can be hidden wherever they show up.
 */
export function sensitiveValues(plan: { resource_changes?: { change: { before?: unknown; after?: unknown; before_sensitive?: unknown; after_sensitive?: unknown } }[] }): string[] {
  const found: string[] = [];
  for (const change of plan.resource_changes ?? []) {
    collect(change.change.before, change.change.before_sensitive, found);
    collect(change.change.after, change.change.after_sensitive, found);
  }
  return found;
}

/** A copy of a plan JSON with the values it marks sensitive replaced. */
export function redactPlanSensitive<T extends { resource_changes?: { change: Record<string, unknown> }[] }>(plan: T): T {
  const copy = structuredClone(plan);
  for (const change of copy.resource_changes ?? []) {
    change.change.before = mask(change.change.before, change.change.before_sensitive);
    change.change.after = mask(change.change.after, change.change.after_sensitive);
  }
  return copy;
}

function collect(value: unknown, marks: unknown, found: string[]): void {
  if (marks === true) {
    walkStrings(value, found);
    return;
  }
  if (marks === null || typeof marks !== 'object' || value === null || typeof value !== 'object') return;
  for (const [key, mark] of Object.entries(marks as Record<string, unknown>)) collect((value as Record<string, unknown>)[key], mark, found);
}

function walkStrings(value: unknown, found: string[]): void {
  if (typeof value === 'string') found.push(value);
  else if (typeof value === 'number') found.push(String(value));
  else if (Array.isArray(value)) value.forEach((item) => walkStrings(item, found));
  else if (value !== null && typeof value === 'object') Object.values(value).forEach((item) => walkStrings(item, found));
}

function mask(value: unknown, marks: unknown): unknown {
  if (marks === true) return value === null || value === undefined ? value : REDACTED;
  if (marks === null || typeof marks !== 'object' || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item, index) => mask(item, (marks as unknown[])[index]));
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, mark] of Object.entries(marks as Record<string, unknown>)) out[key] = mask(out[key], mark);
  return out;
}
