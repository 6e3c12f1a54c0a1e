import type { DataSource } from 'typeorm';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';

export type WebhookOutcome = { recorded: true; incidentId: string; event: string } | { recorded: false; reason: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A pager's word about a page Palisade sent, read from the vendor's webhook. */
export interface PageEvent {
  /** The vendor as paging_notices names it (runbooks/providers.yaml): pagerduty, opsgenie. */
  vendor: string;
  /** As people read it: PagerDuty, Opsgenie. */
  vendorName: string;
  kind: 'acknowledged' | 'resolved';
  /** The vendor's dedup key or alias: the incident id Palisade sent. */
  incidentKey: string | undefined;
  /** The vendor's own name for the event (incident.acknowledged, Acknowledge …). */
  eventType: string;
  /** Unique per vendor event, so a redelivery lands once. */
  eventId: string;
  who: string;
  at: string;
  /** The page in the vendor's web app, if it said. */
  url: string | null;
  /** More of what the vendor said, for the timeline. */
  data: Record<string, unknown>;
}

/**
 * An acknowledgement marks the page acknowledged (who, when), stamps the incident acknowledged
 * if it was still open, and says so on its timeline with the responder as actor; a resolution
 * is recorded (a page resolved in the pager does not resolve a security incident). Each vendor
 * event lands once (its id is in the timeline event's id).
 */
export async function recordPageEvent(db: DataSource, e: PageEvent): Promise<WebhookOutcome> {
  const incidentId = e.incidentKey;
  if (!incidentId || !UUID.test(incidentId)) return { recorded: false, reason: `the ${e.vendorName} event names no Palisade incident id` };
  return db.transaction(async (tx) => {
    const [notice] = await tx.query<{ incident_id: string }[]>(`SELECT incident_id FROM paging_notices WHERE incident_id = $1 AND vendor = $2 FOR UPDATE`, [incidentId, e.vendor]);
    if (!notice) return { recorded: false, reason: `Palisade never paged incident ${incidentId} through ${e.vendorName}` };
    const acked = e.kind === 'acknowledged';
    if (acked) {
      await tx.query(
        // A page the sender has not marked sent yet ('pending') was sent all the same: the vendor
        // acknowledged it, before the sender's own write came back. Standby channels were not.
        `UPDATE paging_notices SET status = CASE WHEN status IN ('triggered', 'pending') THEN 'acknowledged' ELSE status END,
           acknowledged_at = COALESCE(acknowledged_at, $3), acknowledged_by = COALESCE(acknowledged_by, $4),
           external_url = COALESCE($5, external_url), updated_at = now()
         WHERE incident_id = $1 AND vendor = $2 AND (sent_at IS NOT NULL OR status = 'pending')`,
        [incidentId, e.vendor, e.at, e.who, e.url],
      );
      await tx.query(
        `UPDATE incidents SET acknowledged_at = COALESCE(acknowledged_at, $2),
           status = CASE WHEN status IN ('open', 'responding') THEN 'acknowledged' ELSE status END, updated_at = now()
         WHERE id = $1`,
        [incidentId, e.at],
      );
    }
    await insertTimelineEvent(tx, {
      id: `${incidentId}#${e.vendor}:${e.eventId}`,
      incidentId,
      sequence: null,
      type: acked ? 'notice.acknowledged' : 'note',
      occurredAt: e.at,
      actor: `${e.vendor}:${e.who}`,
      summary: acked
        ? `Page acknowledged in ${e.vendorName} by ${e.who}`
        : `Page resolved in ${e.vendorName} by ${e.who} (the incident stays as it is: resolve it in Palisade)`,
      data: { vendor: e.vendor, eventId: e.eventId, eventType: e.eventType, by: e.who, url: e.url, ...e.data },
    });
    return { recorded: true, incidentId, event: e.eventType };
  });
}
