import type { EntityManager } from 'typeorm';
import type { ClassificationRecord } from '../domain/classification';
import type { IncidentStatus } from '../domain/incident';
import { timelineEventId } from '../domain/timeline';
import { enqueueReopened } from './paging-outbox';

/**
 * How an incident's run and the inbox agree on which alerts the run saw.
 *
 * The door merges an alert into an open incident and answers `202 merged`; the inbox
 * dispatcher hands it to the run a little later. An incident can close in between. The run
 * therefore closes with the last inbox row it recorded: rows up to it are done, rows after it
 * go back to the inbox, and the dispatcher then gives them to an incident that acts on them
 * (`takeBackLateAlerts`): the entity's open incident if there is one, else the same incident
 * reopened. Nothing answered 202 is shelved.
 */

/** The incident's run closes it: the status, the last inbox row it recorded, and which run it was. */
export async function closeIncidentRecorded(
  tx: EntityManager,
  close: { incidentId: string; status: Extract<IncidentStatus, 'resolved' | 'cancelled'>; at: string; recordedInboxId: number; runId: string; classification?: ClassificationRecord },
): Promise<{ late: number }> {
  // A close without a classification (a run from before they were recorded) leaves the columns as they were.
  const c = close.classification;
  await tx.query(
    `UPDATE incidents SET status = $2, updated_at = now(), recorded_inbox_id = $4, closed_run_id = $5,
       resolved_at = CASE WHEN $2 = 'resolved' THEN COALESCE(resolved_at, $3::timestamptz) ELSE resolved_at END,
       classification = COALESCE($6, classification), classification_reason = CASE WHEN $6::text IS NULL THEN classification_reason ELSE $7 END,
       classified_by = CASE WHEN $6::text IS NULL THEN classified_by ELSE $8 END
     WHERE id = $1`,
    [close.incidentId, close.status, close.at, close.recordedInboxId, close.runId, c?.classification ?? null, c?.reason ?? null, c?.by ?? null],
  );
  // Recorded by the run: done, even if a dispatcher died before marking them.
  await tx.query(
    `UPDATE inbox SET dispatched_at = now(), claimed_until = NULL, lease = NULL
     WHERE incident_id = $1 AND id <= $2 AND dispatched_at IS NULL AND dead_at IS NULL`,
    [close.incidentId, close.recordedInboxId],
  );
  // Not recorded, whatever a dispatcher did with them (claimed, signalled, marked): back to the
  // inbox, and the lease cleared so a dispatcher still holding it cannot mark them dispatched.
  // (As a SELECT: TypeORM answers a bare UPDATE … RETURNING with [rows, count].)
  const late = await tx.query<{ id: string }[]>(
    `WITH back AS (UPDATE inbox SET dispatched_at = NULL, claimed_until = NULL, lease = NULL
                   WHERE incident_id = $1 AND id > $2 AND dead_at IS NULL RETURNING id)
     SELECT id FROM back`,
    [close.incidentId, close.recordedInboxId],
  );
  return { late: late.length };
}

export interface LateAlertsOutcome {
  /** Rows the closed incident's run had recorded (marked dispatched). */
  recorded: number;
  /** Rows it never saw, now on `incidentId`. */
  late: number;
  /** The incident they now belong to: the same one reopened, or the entity's open incident. */
  incidentId: string | null;
  reopened: boolean;
}

/**
 * Inbox rows claimed for an incident that has closed: the ones its run recorded are marked
 * dispatched; the others reopen the incident, or join the entity's open incident when the door
 * opened a new one meanwhile. Both timelines say so. Call inside a transaction; the rows go
 * out again on the dispatcher's next round, to the incident they now belong to.
 */
export async function takeBackLateAlerts(tx: EntityManager, incidentId: string, inboxIds: string[]): Promise<LateAlertsOutcome> {
  const [closed] = await tx.query<{ workflow_id: string; status: IncidentStatus; recorded_inbox_id: string | null }[]>(
    `SELECT workflow_id, status, recorded_inbox_id FROM incidents WHERE id = $1 FOR UPDATE`,
    [incidentId],
  );
  if (!closed || (closed.status !== 'resolved' && closed.status !== 'cancelled')) return { recorded: 0, late: 0, incidentId, reopened: false };
  // A run that closed without saying what it recorded (histories from before this change) saw none of them.
  const through = closed.recorded_inbox_id ?? '0';
  const recorded = await tx.query<{ id: string }[]>(
    `WITH done AS (UPDATE inbox SET dispatched_at = now(), claimed_until = NULL, lease = NULL WHERE id = ANY($1::bigint[]) AND id <= $2 RETURNING id)
     SELECT id FROM done`,
    [inboxIds, through],
  );
  const lateIds = await tx.query<{ id: string; alert_id: string }[]>(
    `SELECT id, alert_id FROM inbox WHERE id = ANY($1::bigint[]) AND id > $2 ORDER BY id`,
    [inboxIds, through],
  );
  if (lateIds.length === 0) return { recorded: recorded.length, late: 0, incidentId, reopened: false };

  const [open] = await tx.query<{ id: string }[]>(
    `SELECT id FROM incidents WHERE workflow_id = $1 AND status NOT IN ('resolved', 'cancelled') FOR UPDATE`,
    [closed.workflow_id],
  );
  const n = lateIds.length;
  const what = `${n} alert(s) merged into it before it was ${closed.status} reached it after`;
  if (open) {
    const alertIds = lateIds.map((r) => r.alert_id);
    await tx.query(`UPDATE alerts SET incident_id = $2 WHERE id = ANY($1::uuid[])`, [alertIds, open.id]);
    // New inbox rows, after the open incident's own: its run skips a batch older than one it recorded.
    await tx.query(
      `WITH gone AS (DELETE FROM inbox WHERE id = ANY($1::bigint[]) RETURNING id, alert_id, traceparent)
       INSERT INTO inbox (incident_id, workflow_id, alert_id, traceparent) SELECT $2, $3, alert_id, traceparent FROM gone ORDER BY id`,
      [lateIds.map((r) => r.id), open.id, closed.workflow_id],
    );
    await tx.query(`UPDATE incidents SET alert_count = greatest(alert_count - $2, 0), updated_at = now() WHERE id = $1`, [incidentId, n]);
    await tx.query(`UPDATE incidents SET alert_count = alert_count + $2, updated_at = now() WHERE id = $1`, [open.id, n]);
    // Only here: the open incident's run writes its own timeline, and will record them as merged.
    await appendNote(tx, incidentId, `${what}: moved to incident ${open.id}, open for the same entity`, { lateAlerts: n, movedTo: open.id, alertIds });
    return { recorded: recorded.length, late: n, incidentId: open.id, reopened: false };
  }
  await tx.query(
    `UPDATE incidents SET status = 'open', resolved_at = NULL, classification = NULL, classification_reason = NULL, classified_by = NULL, updated_at = now() WHERE id = $1`,
    [incidentId],
  );
  await tx.query(`UPDATE inbox SET claimed_until = NULL, lease = NULL WHERE id = ANY($1::bigint[])`, [lateIds.map((r) => r.id)]);
  // Its page and ticket open again (a resolved PagerDuty alert does not reopen: the next trigger opens a new one).
  await enqueueReopened(tx, incidentId);
  await appendNote(tx, incidentId, `Reopened: ${what}`, { lateAlerts: n, alertIds: lateIds.map((r) => r.alert_id), previousStatus: closed.status });
  return { recorded: recorded.length, late: n, incidentId, reopened: true };
}

/**
 * A note on a closed incident's timeline, written outside its run (which wrote its last event
 * before it closed): the next sequence is taken under the incident's row lock, which the
 * caller holds. A reopened incident's next run continues after it.
 */
async function appendNote(tx: EntityManager, incidentId: string, summary: string, data: Record<string, unknown>): Promise<void> {
  const [{ next }] = await tx.query<{ next: number }[]>(`SELECT COALESCE(max(sequence), 0)::int + 1 AS next FROM timeline_events WHERE incident_id = $1`, [incidentId]);
  await tx.query(
    `INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data)
     VALUES ($1, $2, $3, 'note', now(), 'palisade', $4, $5) ON CONFLICT (id) DO NOTHING`,
    [timelineEventId(incidentId, next), incidentId, next, summary, JSON.stringify(data)],
  );
}
