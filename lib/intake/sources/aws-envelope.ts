import { z } from 'zod';
import { instant } from '../../instant';
import type { ParsedAlert, SecretDescriptor, SourceName } from '../alert';
import type { Redactor } from '../redact';
import { fingerprintOf, PayloadError, parseWith, type ParseResult } from '../source';

/**
 * AWS findings reach Palisade in one of two shapes:
 *  - an SNS HTTP(S) delivery (`{"Type": "Notification", "Message": "<EventBridge event as JSON>", ...}`),
 *    or an SNS subscription handshake (`SubscriptionConfirmation` / `UnsubscribeConfirmation`);
 *  - the EventBridge event itself, as an EventBridge API destination posts it.
 */

/** Hosts Amazon SNS serves signing certificates and confirmation links from. */
export const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** Names of EventBridge detail-types Palisade knows, to point a misrouted event at the right webhook. */
const KNOWN_DETAIL_TYPES = new Map<string, SourceName>([
  ['GuardDuty Finding', 'guardduty'],
  ['Security Hub Findings - Imported', 'securityhub'],
  ['Security Hub Findings - Custom Action', 'securityhub'],
  ['Security Hub Insight Results', 'securityhub'],
]);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SNS_TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);

/**
 * An SNS delivery: anything carrying SNS's own fields. The one definition both the signature
 * check and the adapters use, so a body verified as SNS is parsed as SNS (its signed
 * `Message` only), whatever else it carries.
 */
export function isSnsEnvelope(body: unknown): body is Record<string, unknown> {
  return isRecord(body) && ('SignatureVersion' in body || 'TopicArn' in body || (typeof body.Type === 'string' && SNS_TYPES.has(body.Type)));
}

/** Top-level fields of an EventBridge event: on an SNS envelope they are unsigned, so refused. */
export const EVENT_FIELDS = ['detail-type', 'detail', 'source', 'account', 'region', 'resources', 'version', 'time', 'id'];

/** The SNS `MessageId` of an enveloped delivery. */
export function snsMessageId(body: unknown): string | undefined {
  return isSnsEnvelope(body) && typeof body.MessageId === 'string' && body.MessageId !== '' ? body.MessageId : undefined;
}

/** SNS `MessageId` when enveloped, else the EventBridge event `id`. */
export function awsDeliveryId(body: unknown): string | undefined {
  if (isSnsEnvelope(body)) return snsMessageId(body);
  return isRecord(body) && typeof body.id === 'string' && body.id !== '' ? body.id : undefined;
}

/** True for an https URL on an Amazon SNS host (no port, no credentials). */
export function isSnsUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && SNS_HOST.test(url.hostname) && url.port === '' && url.username === '' && url.password === '';
}

/** A value for an error message: JSON-quoted and cut short. */
export function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const notification = z.object({
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  Message: z.string(),
});

const confirmation = z.object({
  MessageId: z.string().min(1),
  TopicArn: z.string().min(1),
  SubscribeURL: z.string().refine(isSnsUrl, 'expected an https URL on an Amazon SNS host (sns.<region>.amazonaws.com)'),
});

export type AwsUnwrapped =
  | { kind: 'control'; result: ParseResult }
  /** `at` is where the event sat in the body ("Message" for SNS), for error paths. */
  | { kind: 'event'; event: unknown; at?: string };

/** Takes the EventBridge event out of an SNS delivery, or the body as the event itself. */
export function unwrapAws(source: SourceName, body: unknown): AwsUnwrapped {
  if (!isSnsEnvelope(body)) return { kind: 'event', event: body };
  const type = body.Type;
  if (type === 'Notification') {
    const { Message } = parseWith(source, notification, body);
    try {
      return { kind: 'event', event: JSON.parse(Message) as unknown, at: 'Message' };
    } catch {
      throw new PayloadError(source, ['Message: expected the EventBridge event as a JSON string, got text that is not JSON']);
    }
  }
  if (type === 'SubscriptionConfirmation') {
    const c = parseWith(source, confirmation, body);
    const message = `Amazon SNS asks this endpoint to confirm its subscription to ${c.TopicArn}: visit SubscribeURL to confirm.`;
    return { kind: 'control', result: { kind: 'control', message, subscribeUrl: c.SubscribeURL, topicArn: c.TopicArn } };
  }
  if (type === 'UnsubscribeConfirmation') {
    // Findings of this topic stop here: an alert, so that responders see it (its SubscribeURL is never visited).
    const c = parseWith(source, confirmation, body);
    const alert = unsubscribedAlert(source, c.TopicArn, body.Timestamp);
    return { kind: 'control', result: { kind: 'alerts', alerts: [alert], error: `${alert.title}: ${source} findings from it no longer arrive.` } };
  }
  throw new PayloadError(source, [
    `Type: expected "Notification", "SubscriptionConfirmation" or "UnsubscribeConfirmation", got ${quote(type)}`,
  ]);
}

/** Runs `fn`, prefixing the field paths of a PayloadError it throws with `prefix`. */
export function within<T>(source: SourceName, prefix: string | undefined, fn: () => T): T {
  if (prefix === undefined) return fn();
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof PayloadError)) throw err;
    const body = '(body)';
    throw new PayloadError(
      source,
      err.problems.map((p) => (p.startsWith(body) ? prefix + p.slice(body.length) : `${prefix}.${p}`)),
    );
  }
}

const eventHead = z.object({
  id: z.string().min(1),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string().min(1),
  region: z.string().min(1),
  detail: z.unknown(),
});

export interface EventBridgeEvent<D> {
  id: string;
  account: string;
  region: string;
  detailType: string;
  detail: D;
}

/** `"A"`, `"A" or "B"`, `"A", "B" or "C"`. */
function oneOf(values: readonly string[]): string {
  const quoted = values.map((v) => `"${v}"`);
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}` : quoted[0];
}

/** Parses an EventBridge event of one of the expected detail-types, its `detail` with `detailSchema`. */
export function parseEventBridge<S extends z.ZodType>(
  source: SourceName,
  unwrapped: { event: unknown; at?: string },
  expected: { detailType: string | readonly string[]; eventSource: string },
  detailSchema: S,
): EventBridgeEvent<z.infer<S>> {
  const detailTypes = typeof expected.detailType === 'string' ? [expected.detailType] : expected.detailType;
  return within(source, unwrapped.at, () => {
    const head = parseWith(source, eventHead, unwrapped.event);
    const detailType = head['detail-type'];
    if (!detailTypes.includes(detailType)) {
      const owner = KNOWN_DETAIL_TYPES.get(detailType);
      const hint = owner && owner !== source ? ` (a ${owner} event: send it to /webhooks/${owner})` : '';
      throw new PayloadError(source, [`detail-type: expected ${oneOf(detailTypes)}, got ${quote(detailType)}${hint}`]);
    }
    if (head.source !== expected.eventSource) {
      throw new PayloadError(source, [`source: expected "${expected.eventSource}", got ${quote(head.source)}`]);
    }
    const detail = within(source, 'detail', () => parseWith(source, detailSchema, head.detail));
    return { id: head.id, account: head.account, region: head.region, detailType, detail };
  });
}

/** Redacts free text for an alert, collecting what it removed for `ParsedAlert.secrets`. */
export class TextCleaner {
  readonly found: SecretDescriptor[] = [];
  constructor(private readonly redactor: Redactor) {}

  clean = (text: string): string => this.redactor.redactText(text, this.found);

  /** Labels without the empty ones, every value redacted. */
  labels(labels: Record<string, string | number | undefined>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(labels)) {
      if (value !== undefined && value !== '') out[key] = this.clean(String(value));
    }
    return out;
  }

  /** The alert, with `secrets` when anything was redacted. */
  finish(alert: ParsedAlert): ParsedAlert {
    return this.found.length ? { ...alert, secrets: [...this.found] } : alert;
  }
}

/** The instance id in an EC2 instance's ARN, or the id itself. */
export function ec2InstanceId(id: string): string | undefined {
  return /(?:^|:instance\/)(i-[0-9a-f]+)$/.exec(id)?.[1];
}

/** An ISO 8601 timestamp field, with or without a UTC offset: the same instant in UTC (lib/instant.ts). */
export const isoTimestamp = instant('2024-05-01T12:00:00.000Z');

/**
 * An allowed topic's verified UnsubscribeConfirmation: the subscription is gone (the
 * UnsubscribeURL of any of its messages does it without signing in, as do the SNS console and
 * API), and the topic's findings no longer reach Palisade. Opened as an incident on the topic.
 */
function unsubscribedAlert(source: SourceName, topicArn: string, timestamp: unknown): ParsedAlert {
  const at = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  return {
    title: `Amazon SNS unsubscribed Palisade from ${topicArn}`,
    description:
      `Amazon SNS confirmed that this endpoint's subscription to ${topicArn} was removed: ${source} findings published to that topic ` +
      'no longer reach Palisade. Subscribe the endpoint to the topic again (Palisade confirms the subscription itself), and find who ' +
      'unsubscribed it (CloudTrail: sns:Unsubscribe; anyone holding a message\'s UnsubscribeURL can do it without signing in).',
    severity: 'high',
    severityOriginal: 'UnsubscribeConfirmation',
    category: 'other',
    entity: { kind: 'resource', key: topicArn, display: topicArn },
    observedAt: new Date(Number.isFinite(at) ? at : Date.now()).toISOString(),
    fingerprint: fingerprintOf(source, 'sns-unsubscribed', topicArn),
    labels: { snsMessageType: 'UnsubscribeConfirmation', topicArn },
  };
}

/** The links of an SNS envelope, which the door never stores: UnsubscribeURL works without authentication. */
const SNS_LINKS = new Set(['SubscribeURL', 'UnsubscribeURL']);

/** A body as stored in an alert's `raw`: an SNS envelope without its links; anything else as it is. */
export function withoutSnsLinks(body: unknown): unknown {
  if (!isSnsEnvelope(body)) return body;
  return Object.fromEntries(Object.entries(body).filter(([k]) => !SNS_LINKS.has(k)));
}
