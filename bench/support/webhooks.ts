import { signedHeaders } from '../../lib/intake/signing';
import { SOURCE_ADAPTERS } from '../../lib/intake/sources';

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/**
 * A generic-source webhook signed as POST /webhooks/generic expects, through the same
 * lib/intake/signing.ts `palisade alert send` uses: a fresh timestamp per call, and the
 * delivery id given (a sender's retry of one alert) or a new one.
 */
export function signGeneric(secret: string, payload: unknown, delivery?: string): SignedRequest {
  const body = JSON.stringify(payload);
  const proof = signedHeaders(SOURCE_ADAPTERS.generic.auth, Buffer.from(body), secret, { delivery, event: 'alert' });
  return { body, headers: { 'content-type': 'application/json', ...proof } };
}
