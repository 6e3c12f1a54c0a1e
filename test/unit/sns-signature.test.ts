import { generateKeyPairSync } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SnsSignatureVerifier } from '../../apps/api/webhooks/auth/sns-signature';
import { CERT_URL, makeTestPki, ROGUE_URL, signSns, snsConfirmation as confirmation, snsNotification as notification, TOPIC, type TestPki } from '../support/sns';

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki?.remove());
afterEach(() => vi.useRealTimers());

const signed = (m: Record<string, string>, version: '1' | '2', key = pki.leafKey, certUrl = CERT_URL) => signSns(m, version, key, certUrl);

/** A verifier trusting the test CA (or, with null, Node's root store), serving certificates by URL and counting fetches. */
function verifier(certs: Record<string, string> = { [CERT_URL]: pki.leaf, [ROGUE_URL]: pki.rogueLeaf }, trustedCas: string[] | null = [pki.ca]) {
  const fetches: string[] = [];
  const fetchCertificate = async (url: string) => {
    fetches.push(url);
    const pem = certs[url];
    if (pem === undefined) throw new Error('HTTP 404');
    return pem;
  };
  return { v: new SnsSignatureVerifier({ fetchCertificate, trustedCas: trustedCas ?? undefined }), fetches };
}

describe('SNS signature verification', () => {
  it.each([
    ['a notification with a Subject', () => notification('GuardDuty finding')],
    ['a notification without a Subject', () => notification()],
    ['a subscription confirmation', () => confirmation()],
    ['an unsubscribe confirmation', () => confirmation('UnsubscribeConfirmation')],
  ])('accepts %s signed with SignatureVersion 1 and 2', async (_name, make) => {
    const { v } = verifier();
    await expect(v.verify(signed(make(), '1'))).resolves.toEqual({ ok: true });
    await expect(v.verify(signed(make(), '2'))).resolves.toEqual({ ok: true });
  });

  it('rejects a tampered message, an added Subject and a swapped Type', async () => {
    const { v } = verifier();
    const good = signed(notification(), '2');
    await expect(v.verify({ ...good, Message: good.Message.replace('Bitcoin', 'Litecoin') })).resolves.toEqual({ ok: false, reason: 'signature does not match' });
    await expect(v.verify({ ...good, Subject: 'injected' })).resolves.toEqual({ ok: false, reason: 'signature does not match' });
    await expect(v.verify({ ...signed(notification(), '1'), SignatureVersion: '2' })).resolves.toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('rejects a message signed with another key', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { v } = verifier();
    const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(v.verify(signed(notification(), '2', key))).resolves.toEqual({ ok: false, reason: 'signature does not match' });
  });

  it.each([
    ['https://evil.example.com/SimpleNotificationService-1.pem', 'SigningCertURL host evil.example.com is not an Amazon SNS host'],
    ['https://sns.us-east-1.amazonaws.com.evil.example/SimpleNotificationService-1.pem', 'SigningCertURL host sns.us-east-1.amazonaws.com.evil.example is not an Amazon SNS host'],
    ['https://sns.us-east-1.amazonaws.com@evil.example/SimpleNotificationService-1.pem', 'SigningCertURL host evil.example is not an Amazon SNS host'],
    ['https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-1.pem', 'SigningCertURL host sns.us-east-1.amazonaws.com:8443 is not an Amazon SNS host'],
    ['https://s3.amazonaws.com/SimpleNotificationService-1.pem', 'SigningCertURL host s3.amazonaws.com is not an Amazon SNS host'],
    ['http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem', 'SigningCertURL must use https, not http'],
    ['https://sns.us-east-1.amazonaws.com/redirect?to=evil', 'SigningCertURL path /redirect is not an SNS certificate'],
    ['not a url', 'SigningCertURL is not a valid URL'],
  ])('rejects SigningCertURL %s before fetching anything', async (url, reason) => {
    const { v, fetches } = verifier();
    await expect(v.verify(signed(notification(), '2', pki.leafKey, url))).resolves.toEqual({ ok: false, reason });
    expect(fetches).toEqual([]);
  });

  it('rejects a certificate that is not issued by the trusted CA', async () => {
    const { v } = verifier();
    await expect(v.verify(signed(notification(), '2', pki.rogueKey, ROGUE_URL))).resolves.toEqual({ ok: false, reason: 'certificate is not issued by a trusted CA' });
    const trustsRogue = verifier(undefined, [pki.rogueCa]).v;
    await expect(trustsRogue.verify(signed(notification(), '2', pki.rogueKey, ROGUE_URL))).resolves.toEqual({ ok: true });
  });

  it('rejects an expired certificate', async () => {
    const { v } = verifier();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5 * 24 * 3600 * 1000);
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: false, reason: expect.stringMatching(/^certificate expired on /) });
  });

  it('fetches each certificate once for many messages; a failed fetch is remembered for 15 s (less than SNS waits between retries), then tried again', async () => {
    const { v, fetches } = verifier();
    const messages = [signed(notification(), '1'), signed(notification('s'), '2'), signed(confirmation(), '2')];
    await expect(Promise.all(messages.map((m) => v.verify(m)))).resolves.toEqual(messages.map(() => ({ ok: true })));
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: true });
    expect(fetches).toEqual([CERT_URL]);

    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2024-05-14T03:07:30Z') });
    const flaky = verifier({});
    const refused = { ok: false, reason: 'could not get the signing certificate: HTTP 404', retryable: true };
    await expect(flaky.v.verify(signed(notification(), '2'))).resolves.toEqual(refused);
    for (let i = 0; i < 50; i++) await expect(flaky.v.verify(signed(notification(), '2'))).resolves.toEqual(refused);
    expect(flaky.fetches).toEqual([CERT_URL]);
    vi.setSystemTime(Date.now() + 16_000);
    await flaky.v.verify(signed(notification(), '2'));
    expect(flaky.fetches).toEqual([CERT_URL, CERT_URL]);
  });

  it('fetches at most ten new certificates a minute, whatever a forged flood points at', async () => {
    const { v, fetches } = verifier();
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: true });
    const forged = Array.from({ length: 200 }, (_, i) => signed(notification(), '2', pki.leafKey, CERT_URL.replace(/-\w+\.pem$/, `-forged${i}.pem`)));
    const verdicts = await Promise.all(forged.map((m) => v.verify(m)));
    expect(verdicts.every((r) => !r.ok)).toBe(true);
    expect(fetches.length).toBeLessThanOrEqual(1 + 10);
    expect(verdicts.filter((r) => !r.ok && /too many/.test(r.reason)).length).toBeGreaterThanOrEqual(190);
    // The certificate fetched before the flood still serves.
    await expect(v.verify(signed(notification('after'), '2'))).resolves.toEqual({ ok: true });
  });

  it('with the system root store, accepts an SNS leaf served alone but not one for another name', async () => {
    // Amazon serves the signing certificate without its intermediate; the https fetch from an SNS host vouches for it.
    const { v } = verifier({ [CERT_URL]: pki.leaf, [ROGUE_URL]: pki.otherNameLeaf }, null);
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: true });
    const other = pki.read('other.key');
    await expect(v.verify(signed(notification(), '2', other, ROGUE_URL))).resolves.toEqual({ ok: false, reason: 'certificate is not issued by a trusted CA' });
    // A chain that is served must lead to a root in the store.
    const chained = verifier({ [CERT_URL]: pki.leaf + pki.ca }, null).v;
    await expect(chained.verify(signed(notification(), '2'))).resolves.toEqual({ ok: false, reason: 'certificate is not issued by a trusted CA' });
  });

  it('only accepts the configured topics when given some', async () => {
    const v = new SnsSignatureVerifier({ fetchCertificate: async () => pki.leaf, trustedCas: [pki.ca], topicArns: ['arn:aws:sns:us-east-1:123456789012:other'] });
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: false, reason: `TopicArn ${TOPIC} is not an allowed topic` });
  });

  it.each([
    [null, 'the message is not a JSON object'],
    [[], 'the message is not a JSON object'],
    ['Notification', 'the message is not a JSON object'],
    [{}, 'Type undefined is not an Amazon SNS message type'],
    [{ Type: 'Notification', SignatureVersion: 2 }, 'SignatureVersion is missing or not a string'],
    [{ Type: 'Notification', SignatureVersion: '3', Signature: 'x' }, 'SignatureVersion 3 is not supported'],
    [{ Type: 'Notification', SignatureVersion: 'constructor', Signature: 'x' }, 'SignatureVersion constructor is not supported'],
    [{ Type: 'Notification', SignatureVersion: '2' }, 'field Signature is missing'],
    [{ ...notification(), MessageId: 42, SignatureVersion: '2', Signature: 'x', SigningCertURL: CERT_URL }, 'field MessageId is missing or not a string'],
    [{ ...confirmation(), Token: undefined, SignatureVersion: '2', Signature: 'x', SigningCertURL: CERT_URL }, 'field Token is missing or not a string'],
  ])('never throws on bad input: %j', async (message, reason) => {
    const { v, fetches } = verifier();
    await expect(v.verify(message)).resolves.toEqual({ ok: false, reason });
    expect(fetches).toEqual([]);
  });

  it('rejects a certificate URL that serves something else than a certificate', async () => {
    const { v } = verifier({ [CERT_URL]: '<html>Access Denied</html>' });
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: false, reason: 'could not get the signing certificate: the response is not a PEM certificate', retryable: true });
    await expect(v.verify({ ...signed(notification(), '2'), Signature: '!!!not base64' })).resolves.toMatchObject({ ok: false });
  });
});
