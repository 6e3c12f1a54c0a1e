import { createHmac, randomUUID } from 'node:crypto';
import type { AuthScheme } from './source';

/**
 * The headers that prove a webhook's sender, as apps/api/webhooks/auth/verify.ts checks them
 * for the source's scheme: what `palisade alert send` and game days send.
 */
export function signedHeaders(scheme: AuthScheme, body: Buffer, secret: string, opts: { delivery?: string; event: string; now?: number }): Record<string, string> {
  const delivery = opts.delivery ?? randomUUID();
  switch (scheme.kind) {
    case 'palisade-hmac': {
      const timestamp = String(Math.floor((opts.now ?? Date.now()) / 1000));
      const signature = createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
      return { 'x-palisade-timestamp': timestamp, 'x-palisade-signature': `v1=${signature}`, 'x-palisade-delivery': delivery };
    }
    case 'github-hmac':
      return {
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
        'x-github-event': opts.event,
        'x-github-delivery': delivery,
      };
    case 'token':
    case 'aws':
      // aws: as an EventBridge API destination sends it (an SNS envelope proves itself by its signature).
      return { authorization: `Bearer ${secret}` };
  }
}
