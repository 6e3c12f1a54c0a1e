import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SnsSignatureVerifier } from '../../apps/api/webhooks/auth/sns-signature';
import { ReplayCache, verifyWebhook, type AuthRequest } from '../../apps/api/webhooks/auth/verify';
import type { AuthScheme } from '../../lib/intake/source';

const NOW = 1_795_000_000;
const body = Buffer.from(JSON.stringify({ title: 't', severity: 'high', entity: { kind: 'host', key: 'h' } }));
const deps = () => ({ replays: new ReplayCache(), sns: new SnsSignatureVerifier(), snsTopicsConfigured: false });

function request(scheme: AuthScheme, headers: Record<string, string> = {}, query: Record<string, string> = {}): AuthRequest {
  return { source: 'generic', scheme, headers, query, rawBody: body, body: JSON.parse(body.toString()), now: NOW };
}
const hmac = (secret: string, payload: string | Buffer) => createHmac('sha256', secret).update(payload).digest('hex');
const palisadeHeaders = (secret: string, ts = NOW) => ({
  'x-palisade-timestamp': String(ts),
  'x-palisade-signature': `v1=${hmac(secret, Buffer.concat([Buffer.from(`${ts}.`), body]))}`,
});

describe('webhook authentication', () => {
  const rotation = ['old-secret', 'new-secret'];

  it('tokens: Bearer, Basic, header and (where allowed) query; both secrets during a rotation', async () => {
    const token: AuthScheme = { kind: 'token', allowQueryToken: false };
    for (const secret of rotation) {
      expect(await verifyWebhook(request(token, { authorization: `Bearer ${secret}` }), rotation, deps())).toMatchObject({ ok: true });
      expect(await verifyWebhook(request(token, { 'x-palisade-token': secret }), rotation, deps())).toMatchObject({ ok: true });
      const basic = Buffer.from(`elastic:${secret}`).toString('base64');
      expect(await verifyWebhook(request(token, { authorization: `Basic ${basic}` }), rotation, deps())).toMatchObject({ ok: true });
    }
    expect(await verifyWebhook(request(token, { authorization: 'Bearer guessed' }), rotation, deps())).toMatchObject({ ok: false, code: 'invalid_token' });
    expect(await verifyWebhook(request(token), rotation, deps())).toMatchObject({ ok: false, code: 'missing_token' });
    expect(await verifyWebhook(request(token, {}, { token: 'new-secret' }), rotation, deps())).toMatchObject({ ok: false, code: 'missing_token' });
    const query: AuthScheme = { kind: 'token', allowQueryToken: true };
    expect(await verifyWebhook(request(query, {}, { token: 'new-secret' }), rotation, deps())).toMatchObject({ ok: true });
  });

  it('GitHub: X-Hub-Signature-256 over the raw body, with either secret', async () => {
    const scheme: AuthScheme = { kind: 'github-hmac' };
    for (const secret of rotation) {
      expect(await verifyWebhook(request(scheme, { 'x-hub-signature-256': `sha256=${hmac(secret, body)}` }), rotation, deps())).toMatchObject({ ok: true });
    }
    expect(await verifyWebhook(request(scheme, { 'x-hub-signature-256': `sha256=${hmac('wrong', body)}` }), rotation, deps())).toMatchObject({
      ok: false,
      code: 'invalid_signature',
    });
    expect(await verifyWebhook(request(scheme, { 'x-hub-signature-256': hmac('old-secret', body) }), rotation, deps())).toMatchObject({ ok: false });
    const missing = await verifyWebhook(request(scheme), rotation, deps());
    expect(missing).toMatchObject({ ok: false, code: 'missing_signature', hint: expect.stringContaining('PALISADE_WEBHOOK_SECRET_GENERIC') });
  });

  it('Palisade: timestamped HMAC, 5-minute tolerance, replays refused once stored, either secret', async () => {
    const scheme: AuthScheme = { kind: 'palisade-hmac' };
    for (const secret of rotation) {
      expect(await verifyWebhook(request(scheme, palisadeHeaders(secret)), rotation, deps())).toMatchObject({ ok: true });
    }
    expect(await verifyWebhook(request(scheme, palisadeHeaders('wrong')), rotation, deps())).toMatchObject({ ok: false, code: 'invalid_signature' });
    expect(await verifyWebhook(request(scheme, palisadeHeaders('new-secret', NOW - 301)), rotation, deps())).toMatchObject({ ok: false, code: 'stale_signature' });
    expect(await verifyWebhook(request(scheme, palisadeHeaders('new-secret', NOW + 301)), rotation, deps())).toMatchObject({ ok: false, code: 'stale_signature' });
    expect(await verifyWebhook(request(scheme, palisadeHeaders('new-secret', NOW - 299)), rotation, deps())).toMatchObject({ ok: true });
    expect(await verifyWebhook(request(scheme, { 'x-palisade-timestamp': String(NOW) }), rotation, deps())).toMatchObject({ ok: false, code: 'missing_signature' });

    const shared = deps();
    const first = await verifyWebhook(request(scheme, palisadeHeaders('new-secret')), rotation, shared);
    expect(first.ok).toBe(true);
    // Not stored yet (e.g. the store failed with 503): the sender's retry still gets in...
    expect((await verifyWebhook(request(scheme, palisadeHeaders('new-secret')), rotation, shared)).ok).toBe(true);
    // ...once stored, the same signed request is a replay.
    shared.replays.remember((first as { replayKey: string }).replayKey, NOW);
    expect(await verifyWebhook(request(scheme, palisadeHeaders('new-secret')), rotation, shared)).toMatchObject({ ok: false, code: 'replayed_request' });
    // Rewriting the signature header (upper-case hex, an extra candidate) is still the same request.
    const headers = palisadeHeaders('new-secret');
    const rewritten = { ...headers, 'x-palisade-signature': ` ${headers['x-palisade-signature'].toUpperCase().replace('V1=', 'v1=')},v1=00` };
    expect(await verifyWebhook(request(scheme, rewritten), rotation, shared)).toMatchObject({ ok: false, code: 'replayed_request' });
  });

  it('keeps the replay cache bounded and cheap', () => {
    const cache = new ReplayCache(1_000);
    for (let i = 0; i < 5_000; i++) cache.remember(`k${i}`, NOW);
    expect(cache.seen('k4999', NOW)).toBe(true);
    expect(cache.seen('k0', NOW)).toBe(false);
    cache.remember('late', NOW + 10_000);
    expect(cache.seen('k4999', NOW + 10_000)).toBe(false);
  });

  it('refuses everything from a source with no secret, naming the variable to set', async () => {
    const result = await verifyWebhook(request({ kind: 'token', allowQueryToken: false }, { authorization: 'Bearer x' }), [], deps());
    expect(result).toMatchObject({ ok: false, code: 'source_not_configured', hint: expect.stringContaining('PALISADE_WEBHOOK_SECRET_GENERIC') });
  });

  it('refuses unsigned event fields beside a signed SNS envelope, and old SNS messages', async () => {
    const envelope = { Type: 'Notification', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:guardduty', SignatureVersion: '2', Message: '{}', Timestamp: new Date(NOW * 1000).toISOString() };
    const withTopics = () => ({ ...deps(), snsTopicsConfigured: true });
    const forged: AuthRequest = { ...request({ kind: 'aws' }), source: 'guardduty', body: { ...envelope, 'detail-type': 'GuardDuty Finding', detail: { id: 'x' } } };
    expect(await verifyWebhook(forged, ['token'], withTopics())).toMatchObject({ ok: false, code: 'invalid_sns_envelope', message: expect.stringContaining('detail-type, detail') });
    const old: AuthRequest = { ...request({ kind: 'aws' }), source: 'guardduty', body: { ...envelope, Timestamp: new Date((NOW - 7200) * 1000).toISOString() } };
    expect(await verifyWebhook(old, ['token'], withTopics())).toMatchObject({ ok: false, code: 'stale_signature' });
  });

  it('answers 503 when the SNS signing certificate cannot be had, so that SNS delivers the message again', async () => {
    const envelope = {
      Type: 'Notification', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:guardduty', MessageId: 'm-1', SignatureVersion: '2', Signature: 'c2ln', Message: '{}',
      Timestamp: new Date(Date.now()).toISOString(), SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123.pem',
    };
    const sns = new SnsSignatureVerifier({ fetchCertificate: () => Promise.reject(new Error('connect ETIMEDOUT')) });
    const req: AuthRequest = { ...request({ kind: 'aws' }), source: 'guardduty', body: envelope, now: Math.floor(Date.now() / 1000) };
    expect(await verifyWebhook(req, [], { ...deps(), sns, snsTopicsConfigured: true })).toMatchObject({
      ok: false,
      status: 503,
      code: 'sns_certificate_unavailable',
      message: expect.stringContaining('connect ETIMEDOUT'),
      hint: expect.stringContaining('retries'),
    });
  });

  it('refuses SNS messages until the allowed topics are configured', async () => {
    const envelope = { Type: 'Notification', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:guardduty', SignatureVersion: '2', Message: '{}' };
    const req: AuthRequest = { ...request({ kind: 'aws' }), source: 'guardduty', body: envelope };
    const result = await verifyWebhook(req, ['token'], deps());
    expect(result).toMatchObject({ ok: false, code: 'source_not_configured', hint: expect.stringContaining('PALISADE_SNS_TOPIC_ARNS') });
  });
});
