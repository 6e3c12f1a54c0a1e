import { execFileSync } from 'node:child_process';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SnsSignatureVerifier } from '../../apps/api/webhooks/auth/sns-signature';

const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
const ROGUE_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000rogue.pem';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:palisade-security-findings';

let dir: string;
const pki = { ca: '', leaf: '', leafKey: '', rogueCa: '', rogueLeaf: '', rogueKey: '', otherNameLeaf: '' };

function openssl(...args: string[]) {
  execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, and a leaf for `cn` signed by it; returns the file names. */
function makeCa(name: string) {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2',
    '-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}
function makeLeaf(ca: string, name: string, cn: string) {
  writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=DNS:${cn}\nbasicConstraints=CA:FALSE\n`);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}-ca.pem`, '-CAkey', `${ca}-ca.key`, '-set_serial', String(Date.now()),
    '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
}
const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-sns-'));
  makeCa('trusted');
  makeLeaf('trusted', 'sns', 'sns.amazonaws.com');
  makeLeaf('trusted', 'other', 'attacker.example.com');
  makeCa('rogue');
  makeLeaf('rogue', 'rogue-sns', 'sns.amazonaws.com');
  Object.assign(pki, {
    ca: read('trusted-ca.pem'), leaf: read('sns.pem'), leafKey: read('sns.key'), otherNameLeaf: read('other.pem'),
    rogueCa: read('rogue-ca.pem'), rogueLeaf: read('rogue-sns.pem'), rogueKey: read('rogue-sns.key'),
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.useRealTimers());

/** The string to sign, written out from AWS's documentation independently of the verifier. */
function stringToSign(m: Record<string, string>): string {
  const fields = m.Type === 'Notification'
    ? ['Message', 'MessageId', ...(m.Subject === undefined ? [] : ['Subject']), 'Timestamp', 'TopicArn', 'Type']
    : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields.map((f) => `${f}\n${m[f]}\n`).join('');
}

/** Signs `m` as SNS does: SHA1withRSA for version 1, SHA256withRSA for 2, base64. */
function signed(m: Record<string, string>, version: '1' | '2', key = pki.leafKey, certUrl = CERT_URL): Record<string, string> {
  const Signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(stringToSign(m), 'utf8').sign(key, 'base64');
  return { ...m, SignatureVersion: version, Signature, SigningCertURL: certUrl };
}

const notification = (subject?: string): Record<string, string> => ({
  Type: 'Notification',
  MessageId: 'd2e4f6a8-1b3c-5d7e-9f0a-2b4c6d8e0f1a',
  TopicArn: TOPIC,
  ...(subject === undefined ? {} : { Subject: subject }),
  Message: JSON.stringify({ 'detail-type': 'GuardDuty Finding', detail: { title: 'Bitcoin-related domain name queried…\nline 2' } }),
  Timestamp: '2024-05-14T03:07:20.533Z',
  UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:3f1c6a52`,
});
const confirmation = (type = 'SubscriptionConfirmation'): Record<string, string> => ({
  Type: type,
  MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
  Token: '2336412f37fb687f5d51e6e2425dacbba4a0cd1c9b9b2f1e7c0e8c1b3b1e0b5b',
  TopicArn: TOPIC,
  Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
  SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f`,
  Timestamp: '2024-05-10T12:00:03.618Z',
});

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

  it('fetches each certificate once for many messages, and again after a failed fetch', async () => {
    const { v, fetches } = verifier();
    const messages = [signed(notification(), '1'), signed(notification('s'), '2'), signed(confirmation(), '2')];
    await expect(Promise.all(messages.map((m) => v.verify(m)))).resolves.toEqual(messages.map(() => ({ ok: true })));
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: true });
    expect(fetches).toEqual([CERT_URL]);

    const flaky = verifier({});
    await expect(flaky.v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: false, reason: 'could not get the signing certificate: HTTP 404' });
    await flaky.v.verify(signed(notification(), '2'));
    expect(flaky.fetches).toEqual([CERT_URL, CERT_URL]);
  });

  it('with the system root store, accepts an SNS leaf served alone but not one for another name', async () => {
    // Amazon serves the signing certificate without its intermediate; the https fetch from an SNS host vouches for it.
    const { v } = verifier({ [CERT_URL]: pki.leaf, [ROGUE_URL]: pki.otherNameLeaf }, null);
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: true });
    const other = read('other.key');
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
    await expect(v.verify(signed(notification(), '2'))).resolves.toEqual({ ok: false, reason: 'could not get the signing certificate: the response is not a PEM certificate' });
    await expect(v.verify({ ...signed(notification(), '2'), Signature: '!!!not base64' })).resolves.toMatchObject({ ok: false });
  });
});
