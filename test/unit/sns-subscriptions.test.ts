import { describe, expect, it } from 'vitest';
import { SnsSubscriptionConfirmer } from '../../apps/api/webhooks/auth/sns-subscriptions';

const URL_OK = 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:eu-west-1:1:t&Token=abc';

describe('SNS subscription confirmation', () => {
  it('leaves the URL to an operator when auto-confirm is off, without a request', async () => {
    const seen: string[] = [];
    const c = new SnsSubscriptionConfirmer({ enabled: false, get: async (u) => (seen.push(u), { status: 200, body: '' }) });
    await expect(c.confirm(URL_OK)).resolves.toEqual({ kind: 'manual' });
    expect(seen).toEqual([]);
  });

  it('visits only https URLs on an SNS host', async () => {
    const seen: string[] = [];
    const c = new SnsSubscriptionConfirmer({ enabled: true, get: async (u) => (seen.push(u), { status: 200, body: '' }) });
    for (const bad of ['http://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription', 'https://sns.eu-west-1.amazonaws.com.evil.example/', 'https://169.254.169.254/latest/meta-data/']) {
      await expect(c.confirm(bad)).resolves.toEqual({ kind: 'failed', reason: 'SubscribeURL is not an https URL on an Amazon SNS host' });
    }
    expect(seen).toEqual([]);
  });

  it('reads the subscription ARN, and explains an error answer or an unreachable SNS', async () => {
    const ok = new SnsSubscriptionConfirmer({ enabled: true, get: async () => ({ status: 200, body: '<SubscriptionArn>arn:aws:sns:eu-west-1:1:t:42</SubscriptionArn>' }) });
    await expect(ok.confirm(URL_OK)).resolves.toEqual({ kind: 'confirmed', subscriptionArn: 'arn:aws:sns:eu-west-1:1:t:42' });
    const denied = new SnsSubscriptionConfirmer({ enabled: true, get: async () => ({ status: 403, body: '<Error><Code>AuthorizationError</Code></Error>' }) });
    await expect(denied.confirm(URL_OK)).resolves.toEqual({ kind: 'failed', reason: 'Amazon SNS answered HTTP 403 (AuthorizationError)' });
    const down = new SnsSubscriptionConfirmer({ enabled: true, get: () => Promise.reject(new Error('connect ETIMEDOUT')) });
    await expect(down.confirm(URL_OK)).resolves.toEqual({ kind: 'failed', reason: 'Amazon SNS could not be reached: connect ETIMEDOUT' });
  });
});
