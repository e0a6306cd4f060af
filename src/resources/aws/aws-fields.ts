import { createHash } from 'node:crypto';
import { z } from 'zod';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;

/** An IPv4 CIDR block with its prefix bounded, e.g. 10.0.0.0/16. */
export function ipv4Cidr(field: string, minPrefix: number, maxPrefix: number, example: string) {
  const message = `${field} must be an IPv4 network such as ${example} (prefix /${minPrefix} to /${maxPrefix})`;
  return z
    .string({ error: message })
    .regex(new RegExp(`^${IPV4}/(\\d{1,2})$`), message)
    .refine((cidr) => {
      const prefix = Number(cidr.slice(cidr.indexOf('/') + 1));
      return prefix >= minPrefix && prefix <= maxPrefix;
    }, message)
    .refine(isNetworkAddress, `${field} must start at its network's first address (e.g. 10.0.1.0/24, not 10.0.1.5/24): AWS refuses host bits`);
}

/** Any IPv4 CIDR (/0 to /32), for the sources of firewall rules. */
export const IPV4_CIDR = new RegExp(`^${IPV4}/(?:3[0-2]|[12]?\\d)$`);

/** Whether a CIDR has no host bits set (10.0.1.0/24 yes, 10.0.1.5/24 no). */
export function isNetworkAddress(cidr: string): boolean {
  const [address, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const value = address!.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const hostBits = 32 - prefix;
  return hostBits === 0 || value % 2 ** hostBits === 0;
}

/**
 * A list field that chat forms can fill with text: a list, or text with its
 * items separated by commas (or a JSON list, which is how an edit form shows
 * a stored list). Items keep their own schema and messages.
 */
export function textList<T extends z.ZodType>(item: T, options: { field: string; max: number; separator?: RegExp }) {
  return z.preprocess(
    (value) => (typeof value === 'string' ? listFromText(value, options.separator ?? /\s*,\s*/) : value),
    z
      .array(item, { error: `${options.field} must be a list, or text with the items separated by commas` })
      .max(options.max, `${options.field} may hold at most ${options.max} items`),
  );
}

function listFromText(text: string, separator: RegExp): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return text;
    }
  }
  return trimmed === '' ? [] : trimmed.split(separator).filter((part) => part !== '');
}

/**
 * A short stable digest of validated text, for construct ids of parts made
 * per list item: the same item keeps its id whatever its position, so adding
 * or removing one never replaces the others.
 */
export function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
