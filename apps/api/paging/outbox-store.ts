import type { DataSource } from 'typeorm';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import type { TimelineEventType } from '../../../lib/domain/timeline';
import { OUTBOX_KEY, type NoticeKind, type OutboxAction } from '../../../lib/db/paging-outbox';

/** The SQL of the paging outbox's sender: claim with a lease, then sent, later, or set aside. */

const LEASE_S = 30;

export interface OutboxRow {
  id: string;
  key: string;
  incidentId: string;
  vendor: string;
  /** The notice's place in its page's chain of channels (0: the first, and every ticket). */
  channel: number;
  /** '' for the incident's own page and ticket; `escalation:<gate>:<tier>` for a gate's escalation page. */
  ref: string;
  action: OutboxAction;
  generation: number;
  detail: Record<string, unknown>;
  attempts: number;
  lease: string;
  /** When the row was queued (a channel's time to accept a page runs from there). */
  createdAt: Date;
  /** How long this channel has to accept the page before the next is tried; null: it is the last. */
  fallbackAfterMs: number | null;
  /** The notice it belongs to and the incident, as they are now. */
  kind: NoticeKind;
  /** The notice's own status (`posting`: a Slack post was attempted, its answer not recorded). */
  noticeStatus: string;
  target: string;
  externalId: string | null;
  externalUrl: string | null;
  title: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  status: string;
  entity: string | null;
  playbook: string;
  alertCount: number;
}

/**
 * Claims up to `limit` rows that are due, each the oldest pending row of its incident and
 * vendor (a resolve never overtakes its open), for `LEASE_S` seconds: a sender that dies
 * leaves them to be claimed again.
 */
export async function claimOutbox(db: DataSource, lease: string, limit: number): Promise<OutboxRow[]> {
  return db.query<OutboxRow[]>(
    `WITH next AS (
       SELECT o.id FROM paging_outbox o
       WHERE o.sent_at IS NULL AND o.dead_at IS NULL AND o.available_at <= now()
         AND (o.claimed_until IS NULL OR o.claimed_until < now())
         AND NOT EXISTS (SELECT 1 FROM paging_outbox p WHERE p.incident_id = o.incident_id AND p.vendor = o.vendor AND p.channel = o.channel AND p.ref = o.ref
                           AND p.id < o.id AND p.sent_at IS NULL AND p.dead_at IS NULL)
       ORDER BY o.id LIMIT $2 FOR UPDATE SKIP LOCKED),
     claimed AS (
       UPDATE paging_outbox o SET lease = $1, claimed_until = now() + make_interval(secs => $3), attempts = o.attempts + 1
       FROM next WHERE o.id = next.id
       RETURNING o.id, o.key, o.incident_id, o.vendor, o.channel, o.ref, o.action, o.generation, o.detail, o.attempts, o.lease, o.created_at)
     SELECT c.id, c.key, c.incident_id AS "incidentId", c.vendor, c.channel, c.ref, c.action, c.generation, c.detail, c.attempts, c.lease,
            c.created_at AS "createdAt", n.fallback_after_ms AS "fallbackAfterMs",
            n.kind, n.status AS "noticeStatus", n.target, n.external_id AS "externalId", n.external_url AS "externalUrl",
            i.title, i.severity, i.status, i.entity, i.playbook, i.alert_count AS "alertCount"
     FROM claimed c
     JOIN paging_notices n ON n.incident_id = c.incident_id AND n.vendor = c.vendor AND n.channel = c.channel AND n.ref = c.ref
     JOIN incidents i ON i.id = c.incident_id
     ORDER BY c.id`,
    [lease, limit, LEASE_S],
  );
}

/** The vendor accepted it: the row is done and the notice says what the vendor answered, both under the lease. */
export async function markSent(
  db: DataSource,
  row: OutboxRow,
  notice: { status: string; externalId?: string; externalUrl?: string },
  event: { type: TimelineEventType; summary: string; data: Record<string, unknown> },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const done = await tx.query<{ id: string }[]>(
      `WITH d AS (UPDATE paging_outbox SET sent_at = now(), claimed_until = NULL, last_error = NULL WHERE id = $1 AND lease = $2 AND sent_at IS NULL RETURNING id) SELECT id FROM d`,
      [row.id, row.lease],
    );
    if (done.length === 0) return false; // another sender took it over meanwhile: it records it
    await tx.query(
      // An acknowledgement that came in ahead of this write stays: the vendor's trigger is older news.
      `UPDATE paging_notices SET status = CASE WHEN status = 'acknowledged' AND $3 = 'triggered' THEN status ELSE $3 END, external_id = COALESCE($4, external_id), external_url = COALESCE($5, external_url),
         sent_at = COALESCE(sent_at, CASE WHEN $6 = 'open' THEN now() END),
         resolved_at = CASE WHEN $6 = 'resolve' THEN now() ELSE resolved_at END,
         alert_count = $7, last_error = NULL, updated_at = now()
       WHERE incident_id = $1 AND vendor = $2 AND channel = $8 AND ref = $9`,
      [row.incidentId, row.vendor, notice.status, notice.externalId ?? null, notice.externalUrl ?? null, row.action, row.alertCount, row.channel, row.ref],
    );
    await appendNotice(tx, row, event);
    return true;
  });
}

/** Not delivered now (throttled, vendor down): due again after `delayMs`. */
export async function retryLater(db: DataSource, row: OutboxRow, delayMs: number, error: string): Promise<void> {
  await db.query(
    `UPDATE paging_outbox SET available_at = now() + make_interval(secs => $3), claimed_until = NULL, last_error = $4 WHERE id = $1 AND lease = $2`,
    [row.id, row.lease, delayMs / 1000, error],
  );
  await db.query(`UPDATE paging_notices SET last_error = $3, updated_at = now() WHERE incident_id = $1 AND vendor = $2 AND channel = $4 AND ref = $5`, [
    row.incidentId,
    row.vendor,
    error,
    row.channel,
    row.ref,
  ]);
}

/** Refused for good (bad request, bad credentials): set aside, and the refusal is on the timeline. */
export async function deadLetter(db: DataSource, row: OutboxRow, error: string, event: { summary: string; data: Record<string, unknown> }): Promise<void> {
  await db.transaction(async (tx) => {
    const dead = await tx.query<{ id: string }[]>(
      `WITH d AS (UPDATE paging_outbox SET dead_at = now(), claimed_until = NULL, last_error = $3 WHERE id = $1 AND lease = $2 AND dead_at IS NULL RETURNING id) SELECT id FROM d`,
      [row.id, row.lease, error],
    );
    if (dead.length === 0) return;
    await tx.query(`UPDATE paging_notices SET status = 'failed', last_error = $3, updated_at = now() WHERE incident_id = $1 AND vendor = $2 AND channel = $4 AND ref = $5`, [
      row.incidentId,
      row.vendor,
      error,
      row.channel,
      row.ref,
    ]);
    await appendNotice(tx, row, { type: 'notice.failed', ...event });
  });
}

/** The channel after a page's, on standby for it. */
export interface NextChannel {
  vendor: string;
  target: string;
  channel: number;
}

/**
 * A page's channel refused it or was down past its fallbackAfter: the channel is given up
 * (`abandoned`: its trigger and whatever else it still had queued are dropped, so it never
 * pages later), the next channel of the chain is queued, and the timeline says both in one
 * event. Nothing happens when the chain has no next channel (the caller then retries or sets
 * the row aside as before). An incident already closed pages nobody new.
 */
export async function fallBack(
  db: DataSource,
  row: OutboxRow,
  outcome: 'refused' | 'down',
  error: string,
  say: (next: NextChannel | null, closed: string | null) => string,
): Promise<'handled' | 'no-next-channel'> {
  return db.transaction(async (tx) => {
    const [next] = await tx.query<NextChannel[]>(
      `SELECT vendor, target, channel FROM paging_notices WHERE incident_id = $1 AND kind = 'page' AND ref = '' AND channel > $2 AND status = 'standby'
       ORDER BY channel LIMIT 1 FOR UPDATE`,
      [row.incidentId, row.channel],
    );
    if (!next) return 'no-next-channel';
    const given = await tx.query<{ id: string }[]>(
      `WITH d AS (UPDATE paging_outbox SET dead_at = now(), claimed_until = NULL, last_error = $3 WHERE id = $1 AND lease = $2 AND sent_at IS NULL AND dead_at IS NULL RETURNING id) SELECT id FROM d`,
      [row.id, row.lease, error],
    );
    if (given.length === 0) return 'handled'; // another sender took the row over meanwhile
    await tx.query(`DELETE FROM paging_outbox WHERE incident_id = $1 AND vendor = $2 AND channel = $3 AND ref = '' AND sent_at IS NULL AND dead_at IS NULL`, [row.incidentId, row.vendor, row.channel]);
    await tx.query(`UPDATE paging_notices SET status = 'abandoned', last_error = $4, updated_at = now() WHERE incident_id = $1 AND vendor = $2 AND channel = $3 AND ref = ''`, [
      row.incidentId,
      row.vendor,
      row.channel,
      `${outcome}: ${error}`,
    ]);
    const [incident] = await tx.query<{ status: string; acknowledged_by: string | null }[]>(
      `SELECT i.status, n.acknowledged_by FROM incidents i JOIN paging_notices n ON n.incident_id = i.id AND n.vendor = $2 AND n.channel = $3 AND n.ref = '' WHERE i.id = $1`,
      [row.incidentId, row.vendor, row.channel],
    );
    // Nobody new is paged for an incident closed meanwhile, or one a responder already took.
    const closed =
      incident?.status === 'resolved' || incident?.status === 'cancelled'
        ? `already ${incident.status}`
        : incident?.acknowledged_by
          ? `already acknowledged by ${incident.acknowledged_by}`
          : null;
    if (!closed) {
      await tx.query(`UPDATE paging_notices SET status = 'pending', generation = $4, updated_at = now() WHERE incident_id = $1 AND vendor = $2 AND channel = $3 AND ref = ''`, [
        row.incidentId,
        next.vendor,
        next.channel,
        row.generation,
      ]);
      await tx.query(
        `INSERT INTO paging_outbox (key, incident_id, vendor, channel, ref, action, generation, detail)
         SELECT ${OUTBOX_KEY}, n.incident_id, n.vendor, n.channel, n.ref, $2, n.generation, $3::jsonb
         FROM paging_notices n WHERE n.incident_id = $1 AND n.vendor = $5 AND n.channel = $6 AND n.ref = ''
         ON CONFLICT (key) DO NOTHING`,
        [row.incidentId, 'open', JSON.stringify({ fallbackFrom: { vendor: row.vendor, target: row.target } }), '', next.vendor, next.channel],
      );
    }
    await appendNotice(tx, row, {
      type: 'notice.failed',
      summary: say(closed ? null : next, closed),
      data: { error, outcome, fallback: closed ? null : { vendor: next.vendor, target: next.target } },
    });
    return 'handled';
  });
}

async function appendNotice(q: { query: DataSource['query'] }, row: OutboxRow, event: { type: TimelineEventType; summary: string; data: Record<string, unknown> }): Promise<void> {
  await insertTimelineEvent(q, {
    id: `${row.incidentId}#${row.key}`,
    incidentId: row.incidentId,
    sequence: null,
    type: event.type,
    occurredAt: new Date().toISOString(),
    actor: row.vendor,
    summary: event.summary,
    data: { ...event.data, vendor: row.vendor, kind: row.kind, target: row.target, action: row.action },
  });
}

export interface OutboxDepth {
  pending: number;
  oldestAgeSeconds: number;
  deadLetters: number;
}

export async function outboxDepth(db: DataSource): Promise<OutboxDepth> {
  const [row] = await db.query<{ pending: number; oldest: number; dead: number }[]>(
    `SELECT count(*) FILTER (WHERE sent_at IS NULL AND dead_at IS NULL)::int AS pending,
            COALESCE(extract(epoch FROM now() - min(created_at) FILTER (WHERE sent_at IS NULL AND dead_at IS NULL)), 0)::float AS oldest,
            count(*) FILTER (WHERE dead_at IS NOT NULL)::int AS dead
     FROM paging_outbox`,
  );
  return { pending: row?.pending ?? 0, oldestAgeSeconds: row?.oldest ?? 0, deadLetters: row?.dead ?? 0 };
}
