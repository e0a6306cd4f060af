import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The form token of a browser session: an HMAC of its (secret, HttpOnly)
 * cookie token, so it needs no storage, differs per session and cannot be
 * made by a page that cannot read the cookie. Every POST must carry it.
 */
export function csrfToken(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('cloud-engine dashboard csrf').digest('base64url');
}

/** Whether `given` is the form token of the session whose cookie token is `sessionToken`. */
export function csrfValid(sessionToken: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 128) return false;
  const expected = Buffer.from(csrfToken(sessionToken));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
