import { createVerify, X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { SNS_HOST } from '../../../../lib/intake/sources/aws-envelope';

/**
 * Verifies Amazon SNS message signatures as AWS documents it ("Verifying the signatures of
 * Amazon SNS messages"): the string to sign is "Name\nValue\n" for each signed field in order,
 * signed SHA1withRSA (SignatureVersion 1) or SHA256withRSA (2) by the certificate at SigningCertURL.
 */

export interface SnsVerifierOptions {
  /** Fetches a certificate PEM by URL (default: global fetch over https). Tests inject one. */
  fetchCertificate?: (url: string) => Promise<string>;
  /**
   * Trusted CA certificates (PEM). When set, the signing certificate must chain to one of them.
   * When unset, Node's root store is used (see `checkChain` for the leaf-only case).
   */
  trustedCas?: string[];
  /** When set, only messages from these topics pass (anyone can sign SNS messages from their own topic). */
  topicArns?: string[];
}

/** `retryable`: the certificate could not be had (not the message's fault): worth SNS's retry. */
export type SnsVerification = { ok: true } | { ok: false; reason: string; retryable?: true };

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'];
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
const ALGORITHMS = new Map([['1', 'RSA-SHA1'], ['2', 'RSA-SHA256']]);
const CERT_PATH = /^\/SimpleNotificationService-[A-Za-z0-9_-]+\.pem$/;
const MAX_CACHED = 64;
/**
 * A failed certificate fetch is answered from memory this long: a flood pointing at a bad URL
 * fetches once. Shorter than the 20 s between SNS's default retries, so a retried genuine
 * message fetches again.
 */
export const CERT_FAILURE_TTL_MS = 15_000;
/** Certificates not yet known are fetched at most this often a minute, whatever URLs a forged flood names. */
export const NEW_CERT_FETCHES_PER_MINUTE = 10;

/** The documented string to sign, or a reason it cannot be built. */
export function snsStringToSign(m: Record<string, unknown>): string | { reason: string } {
  const fields = m.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let out = '';
  for (const name of fields) {
    const value = m[name];
    if (name === 'Subject' && (value === undefined || value === null)) continue;
    if (typeof value !== 'string') return { reason: `field ${name} is missing or not a string` };
    out += `${name}\n${value}\n`;
  }
  return out;
}

/** Why a SigningCertURL is not acceptable, checked before anything is fetched. */
export function certUrlProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'SigningCertURL is missing';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'SigningCertURL is not a valid URL';
  }
  if (url.protocol !== 'https:') return `SigningCertURL must use https, not ${url.protocol.replace(/:$/, '')}`;
  if (!SNS_HOST.test(url.hostname) || url.port !== '' || url.username !== '' || url.password !== '') {
    return `SigningCertURL host ${url.host} is not an Amazon SNS host`;
  }
  if (!CERT_PATH.test(url.pathname) || url.search !== '') return `SigningCertURL path ${url.pathname} is not an SNS certificate`;
  return undefined;
}

async function fetchOverHttps(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

function splitPem(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c));
}

function signedBy(cert: X509Certificate, ca: X509Certificate): boolean {
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

function dateProblem(cert: X509Certificate, now: number): string | undefined {
  if (now < Date.parse(cert.validFrom)) return `certificate is not valid before ${cert.validFrom}`;
  if (now > Date.parse(cert.validTo)) return `certificate expired on ${cert.validTo}`;
  return undefined;
}

let systemRoots: X509Certificate[] | undefined;

interface CachedCert {
  leaf: X509Certificate;
  /** Intermediates served along with the leaf. */
  chain: X509Certificate[];
}

export class SnsSignatureVerifier {
  private readonly fetchCertificate: (url: string) => Promise<string>;
  private readonly anchors: X509Certificate[] | undefined;
  private readonly topicArns: Set<string> | undefined;
  private readonly certs = new Map<string, Promise<CachedCert>>();
  /** Failed fetches by URL: when, and why. */
  private readonly failures = new Map<string, { at: number; reason: string }>();
  /** When each of the last fetches of a new URL started. */
  private readonly recentFetches: number[] = [];

  constructor(opts: SnsVerifierOptions = {}) {
    this.fetchCertificate = opts.fetchCertificate ?? fetchOverHttps;
    this.anchors = opts.trustedCas?.flatMap(splitPem);
    this.topicArns = opts.topicArns ? new Set(opts.topicArns) : undefined;
  }

  async verify(message: unknown): Promise<SnsVerification> {
    try {
      return await this.check(message);
    } catch (err) {
      return { ok: false, reason: `could not verify the message: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  private async check(m: unknown): Promise<SnsVerification> {
    const fail = (reason: string): SnsVerification => ({ ok: false, reason });
    if (typeof m !== 'object' || m === null || Array.isArray(m)) return fail('the message is not a JSON object');
    const msg = m as Record<string, unknown>;
    if (!['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation'].includes(msg.Type as string)) {
      return fail(`Type ${(JSON.stringify(msg.Type) ?? 'undefined').slice(0, 40)} is not an Amazon SNS message type`);
    }
    const version = msg.SignatureVersion;
    if (typeof version !== 'string') return fail('SignatureVersion is missing or not a string');
    const algorithm = ALGORITHMS.get(version);
    if (!algorithm) return fail(`SignatureVersion ${version.slice(0, 20)} is not supported`);
    if (typeof msg.Signature !== 'string' || msg.Signature === '') return fail('field Signature is missing');
    if (this.topicArns && !this.topicArns.has(msg.TopicArn as string)) {
      return fail(`TopicArn ${String(msg.TopicArn)} is not an allowed topic`);
    }
    const toSign = snsStringToSign(msg);
    if (typeof toSign !== 'string') return fail(toSign.reason);
    const urlProblem = certUrlProblem(msg.SigningCertURL);
    if (urlProblem) return fail(urlProblem);

    let cert: CachedCert;
    try {
      cert = await this.certificate(msg.SigningCertURL as string);
    } catch (err) {
      return { ok: false, reason: `could not get the signing certificate: ${err instanceof Error ? err.message : String(err)}`, retryable: true };
    }
    const problem = dateProblem(cert.leaf, Date.now()) ?? this.checkChain(cert, new URL(msg.SigningCertURL as string).hostname);
    if (problem) return fail(problem);

    const ok = createVerify(algorithm).update(toSign, 'utf8').verify(cert.leaf.publicKey, msg.Signature, 'base64');
    return ok ? { ok: true } : fail('signature does not match');
  }

  /**
   * Fetched once per URL. A failed fetch is remembered for CERT_FAILURE_TTL_MS (then the next
   * message tries again), and new URLs are fetched at most NEW_CERT_FETCHES_PER_MINUTE times a
   * minute: SNS retries a refused delivery, a forged flood gets no fetch per request.
   */
  private certificate(url: string): Promise<CachedCert> {
    const cached = this.certs.get(url);
    if (cached) return cached;
    const now = Date.now();
    const failed = this.failures.get(url);
    if (failed && now - failed.at < CERT_FAILURE_TTL_MS) return Promise.reject(new Error(failed.reason));
    while (this.recentFetches.length > 0 && now - this.recentFetches[0] >= 60_000) this.recentFetches.shift();
    if (this.recentFetches.length >= NEW_CERT_FETCHES_PER_MINUTE) {
      return Promise.reject(new Error(`too many signing certificates fetched in the last minute (${NEW_CERT_FETCHES_PER_MINUTE}); Amazon SNS retries`));
    }
    this.recentFetches.push(now);
    const entry = this.fetchCertificate(url).then((pem) => {
      const [leaf, ...chain] = splitPem(pem);
      if (!leaf) throw new Error('the response is not a PEM certificate');
      return { leaf, chain };
    });
    entry.then(
      () => this.failures.delete(url),
      (err: unknown) => {
        if (this.certs.get(url) === entry) this.certs.delete(url);
        if (this.failures.size >= MAX_CACHED) this.failures.delete(this.failures.keys().next().value as string);
        this.failures.set(url, { at: Date.now(), reason: err instanceof Error ? err.message : String(err) });
      },
    );
    if (this.certs.size >= MAX_CACHED) this.certs.delete(this.certs.keys().next().value as string);
    this.certs.set(url, entry);
    return entry;
  }

  /**
   * The leaf must chain, through the intermediates served with it, to a trusted CA. With Node's
   * root store (no `trustedCas`), Amazon serves the leaf alone, without its intermediate; such a
   * leaf is accepted when it names an SNS host, since it was fetched over https from an SNS host.
   */
  private checkChain({ leaf, chain }: CachedCert, host: string): string | undefined {
    const anchors = this.anchors ?? (systemRoots ??= rootCertificates.map((pem) => new X509Certificate(pem)));
    const now = Date.now();
    let current = leaf;
    for (let depth = 0; depth < 5; depth++) {
      if (anchors.some((ca) => signedBy(current, ca))) return undefined;
      const next = chain.find((c) => c !== current && c.ca && dateProblem(c, now) === undefined && signedBy(current, c));
      if (!next) break;
      current = next;
    }
    const leafOnly = chain.length === 0 && this.anchors === undefined;
    if (leafOnly && (leaf.checkHost('sns.amazonaws.com') ?? leaf.checkHost(host)) !== undefined) return undefined;
    return 'certificate is not issued by a trusted CA';
  }
}
