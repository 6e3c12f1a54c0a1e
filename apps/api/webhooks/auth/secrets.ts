import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Constant-time equality of two strings of any length (both are hashed to 32 bytes first). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** True when `presented` equals one of the accepted secrets (two during a rotation). Checks all of them. */
export function matchesAny(presented: string, secrets: string[]): boolean {
  let ok = false;
  for (const secret of secrets) ok = safeEqual(presented, secret) || ok;
  return ok;
}

/** True when `signatureHex` is HMAC-SHA256(secret, payload) for one of the secrets. */
export function hmacMatchesAny(payload: Buffer | string, signatureHex: string, secrets: string[]): boolean {
  return anyHmacMatches(payload, [signatureHex], secrets);
}

/**
 * True when one of the presented hex signatures is HMAC-SHA256(secret, payload) for one of the
 * secrets. Each secret's HMAC is computed once, whatever the number of candidates; every pair
 * is compared (no early exit).
 */
export function anyHmacMatches(payload: Buffer | string, signaturesHex: string[], secrets: string[]): boolean {
  const expected = secrets.map((secret) => createHmac('sha256', secret).update(payload).digest('hex'));
  let ok = false;
  for (const presented of signaturesHex) {
    for (const e of expected) ok = safeEqual(presented.toLowerCase(), e) || ok;
  }
  return ok;
}
