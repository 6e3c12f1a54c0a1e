import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { IncidentStatus, Severity } from '../../../lib/domain/incident';
import type { AlertSeverity, EntityKind, SourceName } from '../../../lib/intake/alert';

/** An inbox row as the dispatcher claims it, with what the incident's run needs to start. */
export interface ClaimedRow {
  inbox_id: string;
  incident_id: string;
  workflow_id: string;
  alert_id: string;
  source: SourceName;
  title: string;
  severity: AlertSeverity;
  fingerprint: string;
  observed_at: Date;
  entity_kind: EntityKind;
  entity_key: string;
  entity_display: string;
  incident_title: string;
  incident_severity: Severity;
  playbook: string;
  playbook_version: string;
  incident_entity: string;
  detected_at: Date;
  incident_status: IncidentStatus;
  /** The incident was merged into this one (POST /incidents/:id/merge): its rows go there. */
  duplicate_of: string | null;
  timeline_sequence: number;
  /** The webhook span's W3C traceparent (null with tracing off, or for rows stored before). */
  traceparent: string | null;
}

/** One round's claim: the rows, and the lease that holds them (only its holder may mark them). */
export interface Claim {
  rows: ClaimedRow[];
  lease: string;
  /** As many new incidents' runs work as may: no new incident was picked (its rows wait). */
  atLimit: boolean;
}

/** Alerts of one incident in one signal. */
const BATCH_LIMIT = 1_000;
/** Incidents dispatched side by side in one round: a burst of new incidents drains in few queries. */
export const INCIDENTS_PER_ROUND = 16;
export const LEASE = '30 seconds';
/**
 * A running incident's alerts are dispatched once the oldest pending one is this old, so a storm
 * coalesces. A new incident's first alerts go at once: its run starts with them, and what
 * arrives while it starts coalesces behind them (issue 22: this wait, and the nudge's, were a
 * fifth of a leaked key's way to its revoke).
 */
export const COALESCE_MS = 50;

/** Pending: stored, not yet handed to Temporal, not set aside (columns of `table`, when given). */
const pending = (table?: string) => {
  const t = table ? `${table}.` : '';
  return `${t}dispatched_at IS NULL AND ${t}dead_at IS NULL`;
};

/**
 * A new incident's run counts as working (on its way to its first wait) for this long at most:
 * a run that never says it waits (stuck, or a playbook that waits on nothing) stops holding
 * back the next ones after it.
 */
const WORKING_EXPIRES = '2 minutes';

/** New incidents' runs on their way to their first wait (started by a dispatcher, not yet waiting, not past WORKING_EXPIRES). */
export async function runsWorking(db: DataSource | EntityManager): Promise<number> {
  const [row] = await db.query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM incidents
     WHERE run_state = 'working' AND run_state_at > now() - interval '${WORKING_EXPIRES}' AND status NOT IN ('resolved', 'cancelled')`,
  );
  return row?.n ?? 0;
}

/**
 * Pending rows of an incident whose run is started (or was never the dispatcher's to start), and
 * of one not yet started: a started one's once they are COALESCE_MS old, a new one's at once.
 */
const PENDING_ROWS = (fresh: boolean) => `
  SELECT inbox.id, inbox.incident_id, ${fresh} AS fresh FROM inbox JOIN incidents i ON i.id = inbox.incident_id
  WHERE ${pending('inbox')} AND (inbox.claimed_until IS NULL OR inbox.claimed_until < now())
    ${fresh ? '' : `AND inbox.created_at < now() - interval '${COALESCE_MS} milliseconds'`}
    AND inbox.incident_id NOT IN (SELECT incident_id FROM busy)
    AND i.run_state ${fresh ? "= 'queued'" : "IS DISTINCT FROM 'queued'"}`;

/**
 * Leases the pending rows (up to BATCH_LIMIT each, in inbox order) of the incidents whose
 * oldest pending alert is oldest, skipping incidents another dispatcher holds. Two
 * statements in one transaction: the first picks incidents and takes their advisory locks;
 * the second, under a snapshot taken after the locks, leases only incidents no other
 * dispatcher leased meanwhile (one statement's snapshot could predate a replica's lease).
 *
 * With `runsWorkingMax` (0: no limit), a new incident (its run not started yet) is picked only
 * while fewer than that many new incidents' runs are working, i.e. started and not yet at their
 * first wait (incidents.run_state, written by the run's timeline: activities/timeline). The
 * alerts of incidents already running always go, ahead of or behind the held ones. A burst of
 * distinct incidents so starts no faster than its runs reach their gates, and each working run
 * stays in the worker's cache (lib/temporal/workflow-cache.ts); the held rows wait in the inbox,
 * answered 202 already, and /readyz shows the wait.
 */
export async function claimRows(db: DataSource, runsWorkingMax = 0): Promise<Claim> {
  const lease = randomUUID();
  let slots = INCIDENTS_PER_ROUND;
  const rows = await db.transaction(async (tx) => {
    if (runsWorkingMax > 0) slots = Math.min(INCIDENTS_PER_ROUND, runsWorkingMax - (await runsWorking(tx)));
    const picked = await tx.query<{ incident_id: string; fresh: boolean }[]>(
      `WITH busy AS MATERIALIZED (
         -- Incidents another dispatcher is delivering right now (few rows, by inbox_leased_idx).
         SELECT DISTINCT incident_id FROM inbox WHERE dispatched_at IS NULL AND claimed_until IS NOT NULL AND claimed_until >= now()
       ), started AS (
         ${PENDING_ROWS(false)}
         ORDER BY inbox.id LIMIT ${INCIDENTS_PER_ROUND * 4} FOR UPDATE OF inbox SKIP LOCKED
       ), fresh AS (
         ${PENDING_ROWS(true)} AND $1::int > 0
         ORDER BY inbox.id LIMIT ${INCIDENTS_PER_ROUND * 4} FOR UPDATE OF inbox SKIP LOCKED
       ), incidents_by_age AS (
         SELECT incident_id, min(id) AS first_id, bool_or(fresh) AS fresh FROM (SELECT * FROM started UNION ALL SELECT * FROM fresh) c GROUP BY incident_id
       ), oldest AS (
         SELECT incident_id, first_id, fresh FROM (
           SELECT *, row_number() OVER (PARTITION BY fresh ORDER BY first_id) AS nth FROM incidents_by_age) ranked
         WHERE NOT fresh OR nth <= $1::int
         ORDER BY first_id LIMIT ${INCIDENTS_PER_ROUND}
       )
       -- One dispatcher per incident: a replica that picked the same incident gets no lock.
       SELECT incident_id, fresh FROM oldest WHERE pg_try_advisory_xact_lock(hashtext(incident_id::text))`,
      [slots],
    );
    if (picked.length === 0) return [];
    const starting = picked.filter((p) => p.fresh).map((p) => p.incident_id);
    if (starting.length > 0) {
      await tx.query(`UPDATE incidents SET run_state = 'working', run_state_at = now() WHERE id = ANY($1::uuid[]) AND run_state = 'queued'`, [starting]);
    }
    return tx.query<ClaimedRow[]>(
      `WITH claimed AS (
         UPDATE inbox SET claimed_until = now() + interval '${LEASE}', attempts = attempts + 1, lease = $2
         -- Rows claimed before and never marked (a dispatcher died after, or while, signalling
         -- them) go again alone, as the very same batch: the workflow knows its lastInboxId and
         -- skips it if it arrived. Merged with newer rows, it would be counted twice.
         WHERE id IN (SELECT id FROM (SELECT id, attempts, row_number() OVER (PARTITION BY incident_id ORDER BY id) AS n,
                                             bool_or(attempts > 0) OVER (PARTITION BY incident_id) AS retrying
                                      FROM inbox WHERE incident_id = ANY($1::uuid[]) AND ${pending()}) mine
                      WHERE n <= ${BATCH_LIMIT} AND (attempts > 0 OR NOT retrying))
           AND NOT EXISTS (SELECT 1 FROM inbox leased WHERE leased.incident_id = inbox.incident_id
                           AND leased.dispatched_at IS NULL AND leased.claimed_until >= now())
         RETURNING id, incident_id, workflow_id, alert_id, traceparent
       ), sequences AS (
         SELECT c.incident_id, (SELECT COALESCE(max(t.sequence), 0)::int FROM timeline_events t WHERE t.incident_id = c.incident_id) AS timeline_sequence
         FROM (SELECT DISTINCT incident_id FROM claimed) c
       )
       SELECT c.id AS inbox_id, c.incident_id, c.workflow_id, c.alert_id, a.source, a.title, a.severity, a.fingerprint,
              a.observed_at, a.entity_kind, a.entity_key, a.entity_display, i.title AS incident_title,
              i.severity AS incident_severity, i.playbook, i.playbook_version, i.entity AS incident_entity, i.detected_at, i.status AS incident_status, i.duplicate_of,
              s.timeline_sequence, c.traceparent
       FROM claimed c JOIN alerts a ON a.id = c.alert_id JOIN incidents i ON i.id = c.incident_id JOIN sequences s ON s.incident_id = c.incident_id
       ORDER BY c.id`,
      [picked.map((p) => p.incident_id), lease],
    );
  });
  return { rows, lease, atLimit: slots <= 0 };
}

const ids = (rows: ClaimedRow[]) => rows.map((r) => r.inbox_id);

/** Handed to Temporal. Only while this claim still holds them: a closing incident may have taken them back. */
export async function markDispatched(db: DataSource, rows: ClaimedRow[], lease: string): Promise<void> {
  await db.query(`UPDATE inbox SET dispatched_at = now(), claimed_until = NULL, lease = NULL WHERE id = ANY($1::bigint[]) AND lease = $2`, [ids(rows), lease]);
}

/**
 * Holds only these rows back, exponentially (up to 5 minutes), or for `seconds` when given:
 * one incident that cannot be delivered must not stop the others. Its age shows in /readyz
 * and /metrics.
 */
export async function holdBack(db: DataSource, rows: ClaimedRow[], lease: string, error: string, seconds?: number): Promise<void> {
  const delay = seconds === undefined ? `LEAST(interval '1 second' * power(2, LEAST(attempts, 9)), interval '5 minutes')` : `interval '${seconds} seconds'`;
  await db.query(`UPDATE inbox SET claimed_until = now() + ${delay}, last_error = $2 WHERE id = ANY($1::bigint[]) AND lease = $3`, [
    ids(rows),
    error.slice(0, 500),
    lease,
  ]);
}

/** Temporal will never take these rows as they are: set aside, visibly, until an operator sends them again. */
export async function deadLetter(db: DataSource, rows: ClaimedRow[], lease: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE inbox SET dead_at = now(), dead_reason = $2, last_error = $2, claimed_until = NULL, lease = NULL WHERE id = ANY($1::bigint[]) AND lease = $3`,
    [ids(rows), reason.slice(0, 500), lease],
  );
}

export interface InboxDepth {
  pending: number;
  oldestAgeSeconds: number;
  /** Rows Temporal refused for good, waiting for an operator. */
  deadLetters: number;
}

export async function inboxDepth(db: DataSource | EntityManager): Promise<InboxDepth> {
  const [row] = await db.query<{ pending: number; age: number; dead: number }[]>(
    `SELECT count(*) FILTER (WHERE dead_at IS NULL)::int AS pending,
            COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE dead_at IS NULL)), 0)::float AS age,
            count(*) FILTER (WHERE dead_at IS NOT NULL)::int AS dead
     FROM inbox WHERE dispatched_at IS NULL`,
  );
  return { pending: row?.pending ?? 0, oldestAgeSeconds: Math.round(row?.age ?? 0), deadLetters: row?.dead ?? 0 };
}

/**
 * Whether the inbox keeps up: past either limit (config `api.readyInbox`) the playbooks are
 * far behind the door, and `detail` says by how much. The door stays open either way.
 */
export function inboxLag(depth: InboxDepth, limits: { maxAgeSeconds: number; maxPending: number }): { ok: boolean; detail: string } {
  const old = depth.oldestAgeSeconds > limits.maxAgeSeconds;
  const many = depth.pending > limits.maxPending;
  const figures = `${depth.pending} alerts wait (limit ${limits.maxPending}), the oldest waits ${depth.oldestAgeSeconds} s (limit ${limits.maxAgeSeconds} s)`;
  return old || many ? { ok: false, detail: `behind: ${figures}` } : { ok: true, detail: `keeps up: ${figures}` };
}

/** One incident's alerts not yet handed to its playbook: waiting, and set aside (with the last reason). */
export interface IncidentDispatch {
  pending: number;
  deadLetters: number;
  error: string | null;
}

export async function incidentDispatch(db: DataSource, incidentId: string): Promise<IncidentDispatch> {
  const [row] = await db.query<{ pending: number; dead: number; error: string | null }[]>(
    `SELECT count(*) FILTER (WHERE dead_at IS NULL)::int AS pending, count(*) FILTER (WHERE dead_at IS NOT NULL)::int AS dead,
            (array_agg(last_error ORDER BY id DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS error
     FROM inbox WHERE incident_id = $1 AND dispatched_at IS NULL`,
    [incidentId],
  );
  return { pending: row?.pending ?? 0, deadLetters: row?.dead ?? 0, error: row?.error ?? null };
}

/** Puts an incident's set-aside rows back in the inbox; returns how many. */
export async function requeueDeadLetters(db: DataSource, incidentId: string): Promise<number> {
  // As a SELECT: TypeORM answers a bare UPDATE … RETURNING with [rows, count].
  const rows = await db.query<{ id: string }[]>(
    `WITH requeued AS (
       UPDATE inbox SET dead_at = NULL, dead_reason = NULL, claimed_until = NULL, lease = NULL, attempts = 0
       WHERE incident_id = $1 AND dead_at IS NOT NULL AND dispatched_at IS NULL RETURNING id
     ) SELECT id FROM requeued`,
    [incidentId],
  );
  return rows.length;
}

/**
 * True when the incident's run `runId` already closed it: a signal that run takes now may never
 * be acted on. Read by the incident's key: `closed_run_id` has no index of its own.
 */
export async function closedByRun(db: DataSource, incidentId: string, runId: string): Promise<boolean> {
  const rows = await db.query<unknown[]>(`SELECT 1 FROM incidents WHERE id = $1 AND closed_run_id = $2`, [incidentId, runId]);
  return rows.length > 0;
}
