import type { DataSource } from 'typeorm';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { anyHmacMatches } from '../webhooks/auth/secrets';

/** Most `v1=` signatures one delivery may carry (PagerDuty sends one per secret during a rotation). */
const MAX_SIGNATURES = 4;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

export type WebhookOutcome = { recorded: true; incidentId: string; event: string } | { recorded: false; reason: string };

/**
 * A v3 webhook event about an incident Palisade paged (`data.incident_key` is the dedup key
 * Palisade sent: the incident id). `incident.acknowledged` marks the page acknowledged (who,
 * when), stamps the incident acknowledged if it was still open, and says so on its timeline;
 * `incident.resolved` is recorded (a page resolved in PagerDuty does not resolve a security
 * incident). Each PagerDuty event lands once (its id is in the timeline event's id).
 */
export async function recordPagerDutyEvent(db: DataSource, body: unknown): Promise<WebhookOutcome> {
  const event = (body as { event?: Record<string, unknown> } | null)?.event;
  if (!event || typeof event !== 'object') return { recorded: false, reason: 'no event object' };
  const type = typeof event.event_type === 'string' ? event.event_type : '';
  const data = (event.data ?? {}) as Record<string, unknown>;
  const incidentId = typeof data.incident_key === 'string' ? data.incident_key : undefined;
  if (type !== 'incident.acknowledged' && type !== 'incident.resolved') return { recorded: false, reason: `${type || 'an event'} is not acted on` };
  if (!incidentId || !UUID.test(incidentId)) return { recorded: false, reason: 'data.incident_key is not a Palisade incident id' };
  const agent = (event.agent ?? {}) as Record<string, unknown>;
  const who = typeof agent.summary === 'string' ? agent.summary : typeof agent.id === 'string' ? agent.id : 'PagerDuty';
  const at = typeof event.occurred_at === 'string' && !Number.isNaN(Date.parse(event.occurred_at)) ? event.occurred_at : new Date().toISOString();
  const eventId = typeof event.id === 'string' ? event.id : `${type}:${at}`;
  const pdUrl = typeof data.html_url === 'string' ? data.html_url : null;

  return db.transaction(async (tx) => {
    const [notice] = await tx.query<{ incident_id: string }[]>(
      `SELECT incident_id FROM paging_notices WHERE incident_id = $1 AND vendor = 'pagerduty' FOR UPDATE`,
      [incidentId],
    );
    if (!notice) return { recorded: false, reason: `Palisade never paged incident ${incidentId}` };
    if (type === 'incident.acknowledged') {
      await tx.query(
        `UPDATE paging_notices SET status = CASE WHEN status = 'triggered' THEN 'acknowledged' ELSE status END,
           acknowledged_at = COALESCE(acknowledged_at, $2), acknowledged_by = COALESCE(acknowledged_by, $3),
           external_url = COALESCE($4, external_url), updated_at = now()
         WHERE incident_id = $1 AND vendor = 'pagerduty' AND sent_at IS NOT NULL`,
        [incidentId, at, who, pdUrl],
      );
      await tx.query(
        `UPDATE incidents SET acknowledged_at = COALESCE(acknowledged_at, $2),
           status = CASE WHEN status = 'open' THEN 'acknowledged' ELSE status END, updated_at = now()
         WHERE id = $1`,
        [incidentId, at],
      );
    }
    const acked = type === 'incident.acknowledged';
    await insertTimelineEvent(tx, {
      id: `${incidentId}#pagerduty:${eventId}`,
      incidentId,
      sequence: null,
      type: acked ? 'notice.acknowledged' : 'note',
      occurredAt: at,
      actor: `pagerduty:${who}`,
      summary: acked ? `Page acknowledged in PagerDuty by ${who}` : `Page resolved in PagerDuty by ${who} (the incident stays as it is: resolve it in Palisade)`,
      data: { vendor: 'pagerduty', eventId, eventType: type, by: who, pagerDutyIncident: data.id ?? null, url: pdUrl },
    });
    return { recorded: true, incidentId, event: type };
  });
}
