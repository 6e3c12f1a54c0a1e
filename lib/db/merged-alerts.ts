import type { Sql } from './paging-outbox';

/**
 * Alerts of a merged duplicate (POST /incidents/:id/merge) go to its survivor, the way the inbox
 * dispatcher hands alerts to a running incident: each gets a new inbox row on the survivor's
 * workflow, after the survivor's own (its run skips a batch older than one it recorded), so the
 * survivor's playbook receives them as merged alerts and its timeline says so.
 *
 * Three places use this, so that none is lost: the merge itself (every alert of the duplicate),
 * the dispatcher (a row that reached the duplicate after the merge, from a request that was
 * already on its way), and the door (new alerts for the duplicate's entity route to the
 * survivor while it is open: `SURVIVOR_OF`).
 */

/** The open survivor of the newest merged duplicate on workflow id $1, unless that workflow has an open incident of its own. */
export const SURVIVOR_OF = (workflowIdParam: string) => `
  SELECT s.id, s.workflow_id, s.playbook, s.playbook_version, s.entity FROM incidents d JOIN incidents s ON s.id = d.duplicate_of
  WHERE d.workflow_id = ${workflowIdParam} AND d.duplicate_of IS NOT NULL AND s.status NOT IN ('resolved', 'cancelled')
    AND NOT EXISTS (SELECT 1 FROM incidents o WHERE o.workflow_id = ${workflowIdParam} AND o.duplicate_of IS NULL AND o.status NOT IN ('resolved', 'cancelled'))
  ORDER BY d.detected_at DESC LIMIT 1`;

export interface Survivor {
  id: string;
  workflowId: string;
  playbook: string;
  playbookVersion: string;
  entity: string | null;
}

/**
 * The condition on `incidents` that finds, among the workflow ids in the text[] parameter named,
 * those of merged duplicates: cheap when nothing was ever merged, one index probe
 * (incidents_merged_workflow_idx). The door asks it in the statement that reads what else its
 * batch needs (apps/api/webhooks/batch-store.ts).
 */
export const MERGED_AMONG = (workflowIdsParam: string) => `duplicate_of IS NOT NULL AND workflow_id = ANY(${workflowIdsParam}::text[])`;

/** For each of these workflow ids of merged duplicates (MERGED_AMONG), its open survivor (the door routes there). */
export async function survivorsAmong(q: Sql, mergedWorkflowIds: string[]): Promise<Map<string, Survivor>> {
  const out = new Map<string, Survivor>();
  for (const workflow_id of mergedWorkflowIds) {
    const [s] = await q.query<{ id: string; workflow_id: string; playbook: string; playbook_version: string; entity: string | null }[]>(SURVIVOR_OF('$1'), [workflow_id]);
    if (s) out.set(workflow_id, { id: s.id, workflowId: s.workflow_id, playbook: s.playbook, playbookVersion: s.playbook_version, entity: s.entity });
  }
  return out;
}

/**
 * Moves alerts of incident `from` to `to` (inside the caller's transaction, both rows locked):
 * all of them (`inboxIds` undefined: the merge), or those of the given inbox rows (the
 * dispatcher's late rows). Their inbox rows on `from` are deleted, whatever their state (a
 * dispatcher still holding a lease on one marks nothing), and new ones queued on `to`. Alerts
 * that were only re-fires (no inbox row) move without one. Answers the alert ids moved.
 */
export async function moveAlerts(q: Sql, from: string, to: { id: string; workflowId: string }, inboxIds?: string[]): Promise<string[]> {
  const rows = await q.query<{ alert_id: string; traceparent: string | null; queue: boolean }[]>(
    inboxIds === undefined
      ? `SELECT a.id AS alert_id, i.traceparent, a.disposition IN ('started', 'merged') AS queue
         FROM alerts a LEFT JOIN LATERAL (SELECT traceparent FROM inbox WHERE alert_id = a.id ORDER BY id DESC LIMIT 1) i ON true
         WHERE a.incident_id = $1 ORDER BY a.received_at, a.id`
      : `SELECT alert_id, traceparent, true AS queue FROM inbox WHERE incident_id = $1 AND id = ANY($2::bigint[]) ORDER BY id`,
    inboxIds === undefined ? [from] : [from, inboxIds],
  );
  if (rows.length === 0) return [];
  const alertIds = rows.map((r) => r.alert_id);
  await q.query(`UPDATE alerts SET incident_id = $2 WHERE id = ANY($1::uuid[])`, [alertIds, to.id]);
  await q.query(`DELETE FROM inbox WHERE incident_id = $1 AND alert_id = ANY($2::uuid[])`, [from, alertIds]);
  const queued = rows.filter((r) => r.queue);
  if (queued.length > 0) {
    await q.query(
      `INSERT INTO inbox (incident_id, workflow_id, alert_id, traceparent)
       SELECT $1, $2, alert_id, traceparent FROM unnest($3::uuid[], $4::text[]) WITH ORDINALITY AS r(alert_id, traceparent, position) ORDER BY position`,
      [to.id, to.workflowId, queued.map((r) => r.alert_id), queued.map((r) => r.traceparent)],
    );
  }
  await q.query(`UPDATE incidents SET alert_count = greatest(alert_count - $2, 0), updated_at = now() WHERE id = $1`, [from, rows.length]);
  await q.query(
    `UPDATE incidents SET alert_count = alert_count + $2, sources = ARRAY(SELECT DISTINCT unnest(sources || (SELECT array_agg(DISTINCT source) FROM alerts WHERE id = ANY($3::uuid[])))), updated_at = now() WHERE id = $1`,
    [to.id, rows.length, alertIds],
  );
  return alertIds;
}

/**
 * Inbox rows that reached a merged duplicate after its merge (a request already on its way
 * joined it): they go on to its survivor. Call inside a transaction. Both incidents are locked
 * in id order, as a merge locks them (apps/api/incidents/merge-incident.ts), so the two wait
 * for each other instead of deadlocking.
 */
export async function passToSurvivor(q: Sql, duplicateId: string, survivorId: string, inboxIds: string[]): Promise<number> {
  const locked = await q.query<{ id: string; workflow_id: string }[]>(`SELECT id, workflow_id FROM incidents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [[duplicateId, survivorId]]);
  const survivor = locked.find((r) => r.id === survivorId)!;
  return (await moveAlerts(q, duplicateId, { id: survivorId, workflowId: survivor.workflow_id }, inboxIds)).length;
}
