import { createHash } from 'node:crypto';
import { webhookSecretVariable } from '../../../../lib/config/env';
import type { SourceName } from '../../../../lib/intake/alert';
import type { AuthScheme } from '../../../../lib/intake/source';
import { EVENT_FIELDS, isSnsEnvelope } from '../../../../lib/intake/sources/aws-envelope';
import { anyHmacMatches, hmacMatchesAny, matchesAny } from './secrets';
import type { SnsSignatureVerifier } from './sns-signature';

export interface AuthRequest {
  source: SourceName;
  scheme: AuthScheme;
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  rawBody: Buffer;
  /** The parsed body (SNS envelopes are verified on their fields). */
  body: unknown;
  /** Seconds since the epoch. */
  now: number;
}

export type AuthResult =
  /** `replayKey`: remember it once the delivery is stored, so a retry after a failed store still gets in. */
  | { ok: true; replayKey?: string }
  /** `status`: 503 when the failure is Palisade's side (SNS then retries), else the answer is 401. */
  | { ok: false; code: string; message: string; hint: string; status?: 503 };

export const PALISADE_SIGNATURE_TOLERANCE_S = 300;
/** Longest X-Palisade-Signature read: two `v1=` signatures (one per secret during a rotation) and room to spare. */
export const PALISADE_SIGNATURE_MAX_CHARS = 256;
/** Why a replayed signed request is refused, by this replica's memory or by Postgres's (webhook_replays). */
export const REPLAYED = {
  message: 'This exact signed request was already received.',
  hint: 'Sign every delivery anew; to re-send an alert, send it with a new timestamp.',
} as const;

/** How long an accepted signed request is remembered: past it, its timestamp is refused as stale anyway. */
export const REPLAY_MEMORY_S = PALISADE_SIGNATURE_TOLERANCE_S * 2;

/** Most `v1=` signatures one request may carry: one per secret during a rotation. */
const PALISADE_SIGNATURE_MAX_CANDIDATES = 2;
/** SNS retries for up to an hour; an older signed message is a replay. */
const SNS_MAX_AGE_S = 3600;

/**
 * Remembers signed requests accepted within the tolerance window, to refuse replays. Keyed on
 * the timestamp and a digest of the body (not the header text, which can be rewritten without
 * breaking the signature). Per process, a fast first answer: what every replica shares is
 * the claim in Postgres the store makes (apps/api/webhooks/replay-claims.ts).
 */
export class ReplayCache {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly maxEntries = 200_000) {}

  /** True when this request was already accepted within the window (a replay). */
  seen(key: string, now: number): boolean {
    const expires = this.expiries.get(key);
    return expires !== undefined && expires >= now;
  }

  /** Records an accepted request (after its delivery is stored). */
  remember(key: string, now: number): void {
    // Entries expire in insertion order: drop them from the front, O(1) per request.
    for (const [k, expires] of this.expiries) {
      if (expires >= now && this.expiries.size < this.maxEntries) break;
      this.expiries.delete(k);
    }
    this.expiries.set(key, now + REPLAY_MEMORY_S);
  }
}

/** Proves who sent a webhook, before anything in it is believed. */
export async function verifyWebhook(
  req: AuthRequest,
  secrets: string[],
  deps: { replays: ReplayCache; sns: SnsSignatureVerifier; snsTopicsConfigured: boolean },
): Promise<AuthResult> {
  if (req.scheme.kind === 'aws' && isSnsEnvelope(req.body)) {
    if (!deps.snsTopicsConfigured) {
      return fail(
        'source_not_configured',
        `Amazon SNS messages to ${req.source} are refused: no SNS topic is allowed.`,
        'Set PALISADE_SNS_TOPIC_ARNS to the ARNs of your topics (comma-separated): any AWS account can sign SNS messages from a topic of its own.',
      );
    }
    const extra = EVENT_FIELDS.filter((f) => f in (req.body as Record<string, unknown>));
    if (extra.length > 0) {
      return fail('invalid_sns_envelope', `The SNS message carries fields outside its signed envelope: ${extra.join(', ')}.`, 'Post Amazon SNS messages unchanged, as SNS sends them.');
    }
    const sent = Date.parse(String((req.body).Timestamp));
    if (!Number.isFinite(sent) || req.now * 1000 - sent > SNS_MAX_AGE_S * 1000 || sent - req.now * 1000 > PALISADE_SIGNATURE_TOLERANCE_S * 1000) {
      return fail('stale_signature', 'The SNS message Timestamp is more than an hour old, or in the future.', 'SNS delivers within minutes; an old message is a replay.');
    }
    const verdict = await deps.sns.verify(req.body);
    if (verdict.ok) return { ok: true };
    if (verdict.retryable) {
      // Amazon SNS retries a delivery only after a server error: a 4xx here would lose a genuine finding.
      return {
        ok: false,
        status: 503,
        code: 'sns_certificate_unavailable',
        message: `The SNS message could not be verified: ${verdict.reason}.`,
        hint: 'Amazon SNS retries the delivery; check that Palisade reaches sns.<region>.amazonaws.com over https.',
      };
    }
    return fail('invalid_sns_signature', `The SNS message signature did not verify: ${verdict.reason}.`, 'Post Amazon SNS messages unchanged, as SNS sends them.');
  }
  const variable = webhookSecretVariable(req.source);
  if (secrets.length === 0) {
    return fail(
      'source_not_configured',
      `Webhooks from ${req.source} are refused: no secret is configured for this source.`,
      `Set ${variable} on the Palisade server (two values, comma-separated, during a rotation) and the same secret on the sender.`,
    );
  }
  switch (req.scheme.kind) {
    case 'token':
    case 'aws':
      return verifyToken(req, secrets, variable, req.scheme.kind === 'token' && req.scheme.allowQueryToken);
    case 'github-hmac':
      return verifyGithub(req, secrets, variable);
    case 'palisade-hmac':
      return verifyPalisade(req, secrets, variable, deps.replays);
  }
}

function verifyToken(req: AuthRequest, secrets: string[], variable: string, allowQuery: boolean): AuthResult {
  const presented = presentedTokens(req, allowQuery);
  const where = `Authorization: Bearer <token>, X-Palisade-Token: <token>${allowQuery ? ', or ?token=<token> in the URL' : ''}`;
  if (presented.length === 0) {
    return fail('missing_token', `No token was sent. Expected ${where}.`, `Configure the sender with the secret in ${variable}.`);
  }
  return presented.some((t) => matchesAny(t, secrets))
    ? { ok: true }
    : fail('invalid_token', 'The token does not match this source’s secret.', `Check the token on the sender against ${variable}.`);
}

function presentedTokens(req: AuthRequest, allowQuery: boolean): string[] {
  const tokens: string[] = [];
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) tokens.push(auth.slice(7).trim());
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
    tokens.push(decoded.slice(decoded.indexOf(':') + 1));
  }
  if (req.headers['x-palisade-token']) tokens.push(req.headers['x-palisade-token']);
  if (allowQuery && req.query.token) tokens.push(req.query.token);
  return tokens;
}

function verifyGithub(req: AuthRequest, secrets: string[], variable: string): AuthResult {
  const header = req.headers['x-hub-signature-256'];
  if (!header) {
    return fail('missing_signature', 'The X-Hub-Signature-256 header is missing.', `Set the webhook's secret in GitHub to the value of ${variable}.`);
  }
  const hex = header.startsWith('sha256=') ? header.slice(7) : '';
  return hex && hmacMatchesAny(req.rawBody, hex, secrets)
    ? { ok: true }
    : fail('invalid_signature', 'X-Hub-Signature-256 does not match the body signed with this source’s secret.', `Check the webhook secret in GitHub against ${variable}.`);
}

function verifyPalisade(req: AuthRequest, secrets: string[], variable: string, replays: ReplayCache): AuthResult {
  const timestamp = req.headers['x-palisade-timestamp'];
  const signature = req.headers['x-palisade-signature'];
  const how = 'Send X-Palisade-Timestamp: <unix seconds> and X-Palisade-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>';
  if (!timestamp || !signature) {
    return fail('missing_signature', `${!timestamp ? 'X-Palisade-Timestamp' : 'X-Palisade-Signature'} is missing.`, `${how}, with the secret in ${variable}.`);
  }
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(req.now - ts) > PALISADE_SIGNATURE_TOLERANCE_S) {
    return fail('stale_signature', `X-Palisade-Timestamp ${timestamp} is more than 5 minutes from the server's clock.`, 'Sign each request when sending it, and keep the sender’s clock in sync (NTP).');
  }
  const candidates = signatureCandidates(signature);
  if (typeof candidates === 'string') return fail('malformed_signature', `X-Palisade-Signature ${candidates}.`, `${how}: one v1= signature, or two during a secret rotation.`);
  const payload = Buffer.concat([Buffer.from(`${timestamp}.`), req.rawBody]);
  if (!anyHmacMatches(payload, candidates, secrets)) {
    return fail('invalid_signature', 'X-Palisade-Signature does not match the timestamp and body signed with this source’s secret.', `${how}, with the secret in ${variable}.`);
  }
  const replayKey = `${timestamp}:${createHash('sha256').update(req.rawBody).digest('hex')}`;
  if (replays.seen(replayKey, req.now)) {
    return fail('replayed_request', REPLAYED.message, REPLAYED.hint);
  }
  return { ok: true, replayKey };
}

/**
 * The `v1=` signatures of an X-Palisade-Signature header, or what is wrong with it. Checked
 * before any HMAC is computed: the header's length, then the number of well-formed `v1=`
 * values (64 hex digits). Other schemes (`v0=`, `t=`) are skipped.
 */
function signatureCandidates(header: string): string[] | string {
  if (header.length > PALISADE_SIGNATURE_MAX_CHARS) {
    return `is ${header.length.toLocaleString('en-US')} characters long; at most ${PALISADE_SIGNATURE_MAX_CHARS} are read`;
  }
  // A v1= value that is not 64 hex digits cannot match: skipped, as other schemes are.
  const candidates = header
    .split(',')
    .map((part) => part.trim())
    .filter((item) => /^v1=[0-9a-fA-F]{64}$/.test(item))
    .map((item) => item.slice(3));
  if (candidates.length > PALISADE_SIGNATURE_MAX_CANDIDATES) return `holds ${candidates.length} v1= signatures; at most ${PALISADE_SIGNATURE_MAX_CANDIDATES} are accepted`;
  if (candidates.length === 0) return 'holds no v1= signature of 64 hex digits';
  return candidates;
}

function fail(code: string, message: string, hint: string): AuthResult {
  return { ok: false, code, message, hint };
}
