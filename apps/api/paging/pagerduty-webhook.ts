import type { DataSource } from 'typeorm';
import { anyHmacMatches } from '../webhooks/auth/secrets';
import { recordPageEvent, type WebhookOutcome } from './page-acknowledgement';

/** Most `v1=` signatures one delivery may carry (PagerDuty sends one per secret during a rotation). */
const MAX_SIGNATURES = 4;

/**
 * PagerDuty's v3 webhook signature: `X-PagerDuty-Signature` holds comma-separated `v1=<hex>`
 * entries, each HMAC-SHA256 of the raw body under one of the subscription's secrets.
 */
export function pagerDutySignatureValid(rawBody: Buffer, header: string | undefined, secrets: string[]): boolean {
  if (!header || secrets.length === 0) return false;
  const candidates = header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('v1='))
    .slice(0, MAX_SIGNATURES)
    .map((s) => s.slice(3));
  return candidates.length > 0 && anyHmacMatches(rawBody, candidates, secrets);
}

export type { WebhookOutcome };

/**
 * A v3 webhook event about an incident Palisade paged (`data.incident_key` is the dedup key
 * Palisade sent: the incident id): `incident.acknowledged` and `incident.resolved` are recorded
 * (page-acknowledgement.ts); other events are not acted on.
 */
export async function recordPagerDutyEvent(db: DataSource, body: unknown): Promise<WebhookOutcome> {
  const event = (body as { event?: Record<string, unknown> } | null)?.event;
  if (!event || typeof event !== 'object') return { recorded: false, reason: 'no event object' };
  const type = typeof event.event_type === 'string' ? event.event_type : '';
  const data = (event.data ?? {}) as Record<string, unknown>;
  if (type !== 'incident.acknowledged' && type !== 'incident.resolved') return { recorded: false, reason: `${type || 'an event'} is not acted on` };
  const agent = (event.agent ?? {}) as Record<string, unknown>;
  const who = typeof agent.summary === 'string' ? agent.summary : typeof agent.id === 'string' ? agent.id : 'PagerDuty';
  const at = typeof event.occurred_at === 'string' && !Number.isNaN(Date.parse(event.occurred_at)) ? event.occurred_at : new Date().toISOString();
  return recordPageEvent(db, {
    vendor: 'pagerduty',
    vendorName: 'PagerDuty',
    kind: type === 'incident.acknowledged' ? 'acknowledged' : 'resolved',
    incidentKey: typeof data.incident_key === 'string' ? data.incident_key : undefined,
    eventType: type,
    eventId: typeof event.id === 'string' ? event.id : `${type}:${at}`,
    who,
    at,
    url: typeof data.html_url === 'string' ? data.html_url : null,
    data: { pagerDutyIncident: data.id ?? null },
  });
}
