import { execFileSync } from 'node:child_process';
import { createSign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Amazon SNS messages for tests: a throw-away PKI, and messages signed the way SNS signs them. */

export const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
export const ROGUE_URL = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000000000rogue.pem';
export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:palisade-security-findings';

export interface TestPki {
  dir: string;
  /** A CA, and an `sns.amazonaws.com` leaf it signed (with its key). */
  ca: string;
  leaf: string;
  leafKey: string;
  /** Another CA's `sns.amazonaws.com` leaf. */
  rogueCa: string;
  rogueLeaf: string;
  rogueKey: string;
  /** A leaf of the trusted CA for another name (and its key, other.key). */
  otherNameLeaf: string;
  read: (file: string) => string;
  remove: () => void;
}

/** Makes the PKI with openssl in a temporary folder (`remove` deletes it). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'palisade-sns-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const makeCa = (name: string) =>
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '2',
      '-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  const makeLeaf = (ca: string, name: string, names: string[]) => {
    writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\nbasicConstraints=CA:FALSE\n`);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${names[0]}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}-ca.pem`, '-CAkey', `${ca}-ca.key`, '-set_serial', String(Date.now()),
      '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  };
  const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
  makeCa('trusted');
  // Also valid as the TLS certificate of a loopback stand-in for sns.us-east-1.amazonaws.com.
  makeLeaf('trusted', 'sns', ['sns.amazonaws.com', 'sns.us-east-1.amazonaws.com']);
  makeLeaf('trusted', 'other', ['attacker.example.com']);
  makeCa('rogue');
  makeLeaf('rogue', 'rogue-sns', ['sns.amazonaws.com']);
  return {
    dir,
    ca: read('trusted-ca.pem'),
    leaf: read('sns.pem'),
    leafKey: read('sns.key'),
    otherNameLeaf: read('other.pem'),
    rogueCa: read('rogue-ca.pem'),
    rogueLeaf: read('rogue-sns.pem'),
    rogueKey: read('rogue-sns.key'),
    read,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The string to sign, written out from AWS's documentation independently of the verifier. */
export function stringToSign(m: Record<string, string>): string {
  const fields =
    m.Type === 'Notification'
      ? ['Message', 'MessageId', ...(m.Subject === undefined ? [] : ['Subject']), 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields.map((f) => `${f}\n${m[f]}\n`).join('');
}

/** Signs `m` as SNS does: SHA1withRSA for version 1, SHA256withRSA for 2, base64. */
export function signSns(m: Record<string, string>, version: '1' | '2', key: string, certUrl = CERT_URL): Record<string, string> {
  const Signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(stringToSign(m), 'utf8').sign(key, 'base64');
  return { ...m, SignatureVersion: version, Signature, SigningCertURL: certUrl };
}

export const snsNotification = (subject?: string, message?: string): Record<string, string> => ({
  Type: 'Notification',
  MessageId: 'd2e4f6a8-1b3c-5d7e-9f0a-2b4c6d8e0f1a',
  TopicArn: TOPIC,
  ...(subject === undefined ? {} : { Subject: subject }),
  Message: message ?? JSON.stringify({ 'detail-type': 'GuardDuty Finding', detail: { title: 'Bitcoin-related domain name queried…\nline 2' } }),
  Timestamp: '2024-05-14T03:07:20.533Z',
  UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC}:3f1c6a52`,
});

export const snsConfirmation = (type = 'SubscriptionConfirmation', timestamp = '2024-05-10T12:00:03.618Z'): Record<string, string> => ({
  Type: type,
  MessageId: '165545c9-2a5c-472c-8df2-7ff2be2b3b1b',
  Token: '2336412f37fb687f5d51e6e2425dacbba4a0cd1c9b9b2f1e7c0e8c1b3b1e0b5b',
  TopicArn: TOPIC,
  Message: `You have chosen to subscribe to the topic ${TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
  SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${TOPIC}&Token=2336412f`,
  Timestamp: timestamp,
});
