import { randomBytes } from 'node:crypto';

/**
 * Escapes a user string for Terraform's JSON syntax, where every string is a
 * template: `${` and `%{` become `$${` and `%%{`, which Terraform reads back
 * as the literal characters.
 */
export function escapeTemplate(text: string): string {
  return text.replace(/([$%])\{/g, (_match, sigil: string) => `${sigil}${sigil}{`);
}

/**
 * Keeps user strings literal through cdktf as well as Terraform. cdktf
 * resolves anything shaped like its own token markers (`${TfToken[…]}`,
 * `#{TfToken[…]}`) even inside escaped text, so a user could reference or
 * break other values. Each guard has a random nonce that it splices into
 * every `${`, `#{` and `%{` of user text before cdktf sees it, and strips
 * from the synthesized JSON afterwards. The nonce is secret to one
 * synthesis, so user text cannot forge or remove it.
 */
export class LiteralGuard {
  private readonly nonce = `ceLiteral${randomBytes(12).toString('hex')}`;

  /** Escapes for Terraform and breaks cdktf token markers. */
  protect(text: string): string {
    return escapeTemplate(text).replace(/([$#%])\{/g, (_match, sigil: string) => `${sigil}${this.nonce}{`);
  }

  /** Applies `protect` to every string and object key of a JSON-like value. */
  protectDeep<T>(value: T): T {
    return mapStrings(value, (text) => this.protect(text)) as T;
  }

  /** Removes this guard's nonce from every string and key of synthesized JSON. */
  reveal<T>(value: T): T {
    return mapStrings(value, (text) => (text.includes(this.nonce) ? text.split(this.nonce).join('') : text)) as T;
  }
}

function mapStrings(value: unknown, map: (text: string) => string): unknown {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[map(key)] = mapStrings(item, map);
    return out;
  }
  return value;
}
