import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { AlertSeverity, ParsedAlert, SecretDescriptor, SourceName } from './alert';
import type { Redactor } from './redact';

/** How a source proves who sent the request (checked before the adapter parses anything). */
export type AuthScheme =
  /** A shared token: `Authorization: Bearer`, `Authorization: Basic` (password), or `X-Palisade-Token`. */
  | { kind: 'token'; allowQueryToken: boolean }
  /** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`. */
  | { kind: 'github-hmac' }
  /** Palisade's own: `X-Palisade-Timestamp` + `X-Palisade-Signature: v1=<hex HMAC(secret, "<ts>.<raw body>")>`. */
  | { kind: 'palisade-hmac' }
  /** AWS: an SNS envelope is verified by its signature; an EventBridge API destination sends a token. */
  | { kind: 'aws' };

/** What an adapter sees of the request, besides the parsed JSON body. */
export interface WebhookRequest {
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  receivedAt: string;
}

export interface ParseContext {
  redactor: Redactor;
  receivedAt: string;
}

export type ParseResult =
  /** `error`: the delivery says something is wrong with the feed itself (the door logs it as an error). */
  | { kind: 'alerts'; alerts: ParsedAlert[]; error?: string }
  /** A delivery that carries no alert: a GitHub ping, an SNS subscription handshake. */
  | { kind: 'control'; message: string; /** SNS: the URL to visit to confirm the subscription, and its topic. */ subscribeUrl?: string; topicArn?: string };

/** A code host's alert whose leaked secret the delivery does not carry (GitHub's webhooks never do). */
export interface LeakedSecretRef {
  source: SourceName;
  /** "owner/name". */
  repository: string;
  alertNumber: number;
  /** The alert's identity (`fingerprintOf(source, repository, alertNumber)`): earlier deliveries of it are found by it. */
  alertKey: string;
}

/** The secret of an alert, reduced to its descriptor, or why it is not known. */
export type LeakedSecretAnswer = { secret: SecretDescriptor } | { missing: string };

/**
 * Where the door finds a leaked secret a delivery does not carry: an earlier delivery of the
 * same alert, else the vendor's API within a short deadline. Implemented by the API; it never
 * hands out the value, only the descriptor.
 */
export interface LeakedSecretLookup {
  find(ref: LeakedSecretRef): Promise<LeakedSecretAnswer>;
}

export interface CompleteContext extends ParseContext {
  secrets: LeakedSecretLookup;
}

/** One file per vendor under lib/intake/sources/, each exporting one of these. */
export interface SourceAdapter {
  name: SourceName;
  auth: AuthScheme;
  /** Where the vendor says how to set it up, for README and error hints. */
  setupHint: string;
  /** The vendor's own delivery id when it sends one (GitHub delivery, SNS MessageId, EventBridge id). */
  deliveryId(body: unknown, req: WebhookRequest): string | undefined;
  /** Parses a verified body. Throws `PayloadError` when it does not match the vendor's format. */
  parse(body: unknown, req: WebhookRequest, ctx: ParseContext): ParseResult;
  /**
   * Optional, after `parse`: completes the alerts with what the delivery lacks and the vendor's
   * API knows (GitHub: the leaked secret). Never fails for want of the vendor: the alerts then
   * say what is missing.
   */
  complete?(parsed: ParseResult, body: unknown, req: WebhookRequest, ctx: CompleteContext): Promise<ParseResult>;
}

/** The body is JSON but not what the vendor sends: which fields, and what was expected. */
export class PayloadError extends Error {
  constructor(
    readonly source: SourceName,
    readonly problems: string[],
  ) {
    super(`The ${source} payload does not match its format: ${problems.join('; ')}.`);
    this.name = 'PayloadError';
  }
}

/** Parses with a zod schema, turning a mismatch into a PayloadError naming the fields. */
export function parseWith<S extends z.ZodType>(source: SourceName, schema: S, body: unknown): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new PayloadError(
      source,
      result.error.issues.slice(0, 10).map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`),
    );
  }
  return result.data;
}

/** A stable identity for a finding: sha256 over its parts (source first). */
export function fingerprintOf(source: SourceName, ...parts: (string | number | undefined | null)[]): string {
  return createHash('sha256')
    .update([source, ...parts.map((p) => (p === undefined || p === null ? '' : String(p)))].join('\u0000'))
    .digest('hex');
}

/** Maps a number on a vendor's scale to Palisade's severities, given the lower bounds of low…critical. */
export function severityFromScale(value: number, bounds: { low: number; medium: number; high: number; critical: number }): AlertSeverity {
  if (value >= bounds.critical) return 'critical';
  if (value >= bounds.high) return 'high';
  if (value >= bounds.medium) return 'medium';
  if (value >= bounds.low) return 'low';
  return 'info';
}

/** A header value, case-insensitively. */
export function header(req: WebhookRequest, name: string): string | undefined {
  return req.headers[name.toLowerCase()];
}
