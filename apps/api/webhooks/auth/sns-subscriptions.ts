import { isSnsUrl } from '../../../../lib/intake/sources/aws-envelope';

/**
 * Confirms an Amazon SNS subscription as AWS documents it ("Confirm the subscription"): an HTTP
 * GET of the SubscribeURL in the signed SubscriptionConfirmation message. Only called once the
 * message's signature and topic have been verified; the URL must be https on an SNS host.
 */

export interface SnsConfirmerOptions {
  /** When false, the URL is only logged for an operator to open. */
  enabled: boolean;
  /** GETs a URL (default: global fetch, no redirects, 10 s). Tests inject one. */
  get?: (url: string) => Promise<{ status: number; body: string }>;
}

export type SnsConfirmation =
  | { kind: 'confirmed'; subscriptionArn: string | undefined }
  | { kind: 'manual' }
  | { kind: 'failed'; reason: string };

async function getOverHttps(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text() };
}

export class SnsSubscriptionConfirmer {
  private readonly get: (url: string) => Promise<{ status: number; body: string }>;

  constructor(private readonly options: SnsConfirmerOptions) {
    this.get = options.get ?? getOverHttps;
  }

  async confirm(subscribeUrl: string): Promise<SnsConfirmation> {
    if (!this.options.enabled) return { kind: 'manual' };
    // Parsing checked it already; checked again here because this is where the request is made.
    if (!isSnsUrl(subscribeUrl)) return { kind: 'failed', reason: 'SubscribeURL is not an https URL on an Amazon SNS host' };
    let answer: { status: number; body: string };
    try {
      answer = await this.get(subscribeUrl);
    } catch (err) {
      return { kind: 'failed', reason: `Amazon SNS could not be reached: ${(err as Error).message}` };
    }
    if (answer.status < 200 || answer.status >= 300) {
      const code = /<Code>([^<]{1,100})<\/Code>/.exec(answer.body)?.[1];
      return { kind: 'failed', reason: `Amazon SNS answered HTTP ${answer.status}${code ? ` (${code})` : ''}` };
    }
    const arn = /<SubscriptionArn>(arn:[^<]{1,400})<\/SubscriptionArn>/.exec(answer.body)?.[1];
    return { kind: 'confirmed', subscriptionArn: arn };
  }
}
