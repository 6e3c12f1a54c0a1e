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
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(payload).digest('hex');
    ok = safeEqual(signatureHex.toLowerCase(), expected) || ok;
  }
  return ok;
}
