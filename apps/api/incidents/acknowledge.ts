import { HttpStatus } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { enqueueLifecycle } from '../../../lib/db/paging-outbox';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { ApiError, incidentNotFound } from '../common/error.filter';

export interface Acknowledged {
  incidentId: string;
  acknowledgedBy: string;
  acknowledgedAt: string;
  /** Pages queued to be acknowledged at their vendor by this request. */
  pages: number;
}

/**
 * A responder takes an incident: the first acknowledge of each paging round (a reopened incident
 * pages again, and can be acknowledged again) is on the timeline with who and when, stamps the
 * incident acknowledged if it was still open, marks its pages acknowledged by that person, and
 * queues an acknowledge to each page's vendor through the paging outbox (the playbook is not
 * involved, and nothing waits on a vendor). A later acknowledge answers who was first and
 * changes nothing. The playbook's own acknowledgement when it starts acting is not this: it is
 * not sent to the pager.
 */
export async function acknowledgeIncident(db: DataSource, incidentId: string, by: string, note: string | undefined): Promise<Acknowledged> {
  return db.transaction(async (tx) => {
    const [incident] = await tx.query<{ status: string }[]>(`SELECT status FROM incidents WHERE id = $1 FOR UPDATE`, [incidentId]);
    if (!incident) throw incidentNotFound(incidentId);
    if (incident.status === 'resolved' || incident.status === 'cancelled') {
      throw new ApiError(HttpStatus.CONFLICT, 'incident_closed', `Incident ${incidentId} is already ${incident.status}.`, 'Nothing to acknowledge; a new alert for its entity opens a new incident.');
    }
    const [{ round }] = await tx.query<{ round: number }[]>(`SELECT COALESCE(max(generation), 1)::int AS round FROM paging_notices WHERE incident_id = $1`, [incidentId]);
    const eventId = `${incidentId}#acknowledged:${round}`;
    const [earlier] = await tx.query<{ actor: string; occurred_at: Date }[]>(`SELECT actor, occurred_at FROM timeline_events WHERE id = $1`, [eventId]);
    if (earlier) return { incidentId, acknowledgedBy: earlier.actor, acknowledgedAt: new Date(earlier.occurred_at).toISOString(), pages: 0 };

    const at = new Date().toISOString();
    const pages = await tx.query<{ vendor: string }[]>(
      `WITH a AS (UPDATE paging_notices SET acknowledged_at = COALESCE(acknowledged_at, $2), acknowledged_by = COALESCE(acknowledged_by, $3), updated_at = now()
         WHERE incident_id = $1 AND kind = 'page' AND status NOT IN ('standby', 'abandoned', 'failed', 'resolved') RETURNING vendor) SELECT vendor FROM a`,
      [incidentId, at, by],
    );
    await tx.query(
      `UPDATE incidents SET acknowledged_at = COALESCE(acknowledged_at, $2), status = CASE WHEN status IN ('open', 'responding') THEN 'acknowledged' ELSE status END, updated_at = now() WHERE id = $1`,
      [incidentId, at],
    );
    await enqueueLifecycle(tx, incidentId, 'acknowledge', { by, at });
    const paged = pages.length === 0 ? 'nothing was paged' : `its page is acknowledged at ${[...new Set(pages.map((p) => p.vendor))].join(', ')}`;
    await insertTimelineEvent(tx, {
      id: eventId,
      incidentId,
      sequence: null,
      type: 'incident.acknowledged',
      occurredAt: at,
      actor: by,
      summary: `Acknowledged by ${by}${note ? `: ${note}` : ''} (${paged})`,
      data: { by, note: note ?? null, pages: pages.length },
    });
    return { incidentId, acknowledgedBy: by, acknowledgedAt: at, pages: pages.length };
  });
}
