import { createHmac } from 'node:crypto';

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** A generic-source webhook body signed as POST /webhooks/generic expects (v1 HMAC over "<ts>.<body>"). */
export function signGeneric(secret: string, payload: unknown): SignedRequest {
  const body = JSON.stringify(payload);
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  return { body, headers: { 'content-type': 'application/json', 'x-palisade-timestamp': ts, 'x-palisade-signature': `v1=${sig}` } };
}
