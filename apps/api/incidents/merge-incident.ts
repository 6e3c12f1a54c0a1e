import { HttpStatus } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { moveAlerts } from '../../../lib/db/merged-alerts';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { ApiError, incidentNotFound, namedIncidentNotFound } from '../common/error.filter';

export interface MergeRecorded {
  /** The duplicate's workflow, to be stopped. */
  workflowId: string;
  alertsMoved: number;
  /** This merge had been recorded already (a retry): only the stop is asked again. */
  already: boolean;
}

type Row = { id: string; workflow_id: string; title: string; status: string; duplicate_of: string | null };

/**
 * Records a merge of `duplicateId` into `survivorId` in one transaction: the duplicate points at
 * its survivor (`incidents.duplicate_of`, and a `duplicate-of` link), every alert it had moves to
 * the survivor and is queued for the survivor's playbook, earlier duplicates of it now point at
 * the survivor too, and both timelines say so. Stopping the duplicate's playbook is the
 * caller's next step (apps/api/incidents/incident-links.service.ts). Asked again for the same
 * pair, it changes nothing and says so (`already`).
 */
export async function recordMerge(db: DataSource, duplicateId: string, survivorId: string, by: string, reason: string, undo: boolean): Promise<MergeRecorded> {
  if (duplicateId === survivorId) throw new ApiError(HttpStatus.BAD_REQUEST, 'self_merge', 'An incident cannot be merged into itself.', 'Name the incident that stays open in `into`.');
  return db.transaction(async (tx) => {
    const rows = await tx.query<Row[]>(`SELECT id, workflow_id, title, status, duplicate_of FROM incidents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [[duplicateId, survivorId]]);
    const duplicate = rows.find((r) => r.id === duplicateId);
    const survivor = rows.find((r) => r.id === survivorId);
    if (!duplicate) throw incidentNotFound(duplicateId);
    if (!survivor) throw namedIncidentNotFound(survivorId, 'into');
    const d = duplicate;
    const s = survivor;
    if (d.duplicate_of === survivorId) return { workflowId: d.workflow_id, alertsMoved: 0, already: true };
    if (d.duplicate_of) throw new ApiError(HttpStatus.CONFLICT, 'already_merged', `Incident ${duplicateId} was merged into ${d.duplicate_of} already.`, `GET /incidents/${d.duplicate_of} is where its alerts went.`);
    const closed = (r: Row) => r.status === 'resolved' || r.status === 'cancelled';
    if (closed(d)) throw new ApiError(HttpStatus.CONFLICT, 'incident_closed', `Incident ${duplicateId} is already ${d.status}.`, 'Link it instead (POST /incidents/:id/links): a closed incident has nothing to move.');
    if (closed(s) || s.duplicate_of) {
      throw new ApiError(HttpStatus.CONFLICT, 'survivor_closed', `Incident ${survivorId} is ${s.duplicate_of ? `merged into ${s.duplicate_of}` : s.status}: it cannot take alerts.`, 'Merge into an open incident.');
    }

    await tx.query(`UPDATE incidents SET duplicate_of = $2, updated_at = now() WHERE id = $1`, [duplicateId, survivorId]);
    // Its own earlier duplicates follow it: their entities' alerts now go to the survivor.
    await tx.query(`UPDATE incidents SET duplicate_of = $2, updated_at = now() WHERE duplicate_of = $1`, [duplicateId, survivorId]);
    const moved = await moveAlerts(tx, duplicateId, { id: survivorId, workflowId: s.workflow_id });
    await tx.query(`DELETE FROM incident_links WHERE (incident_id = $1 AND linked_id = $2) OR (incident_id = $2 AND linked_id = $1)`, [duplicateId, survivorId]);
    await tx.query(`INSERT INTO incident_links (incident_id, linked_id, relation, reason, created_by) VALUES ($1, $2, 'duplicate-of', $3, $4)`, [duplicateId, survivorId, reason, by]);

    const at = new Date().toISOString();
    const stop = undo ? 'its playbook is asked to stop and undo what it changed' : 'its playbook is asked to stop; what it did stays done';
    await insertTimelineEvent(tx, {
      id: `${duplicateId}#merged-into:${survivorId}`,
      incidentId: duplicateId,
      sequence: null,
      type: 'incident.merged',
      occurredAt: at,
      actor: by,
      summary: `Merged by ${by} into incident ${survivorId} "${s.title}" as a duplicate: ${reason} (${moved.length} alert(s) moved there; ${stop})`,
      data: { into: survivorId, role: 'duplicate', reason, undo, alertsMoved: moved.length, alertIds: moved.slice(0, 100) },
    });
    await insertTimelineEvent(tx, {
      id: `${survivorId}#merged-from:${duplicateId}`,
      incidentId: survivorId,
      sequence: null,
      type: 'incident.merged',
      occurredAt: at,
      actor: by,
      summary: `Incident ${duplicateId} "${d.title}" merged into this one by ${by}: ${reason} (${moved.length} alert(s) moved here; later alerts for its entity come here while this incident is open)`,
      data: { from: duplicateId, role: 'survivor', reason, alertsMoved: moved.length },
    });
    return { workflowId: d.workflow_id, alertsMoved: moved.length, already: false };
  });
}

/** The duplicate's playbook was never started (its alerts were all still in the inbox, now the survivor's): it is closed here. */
export async function closeUnstartedDuplicate(db: DataSource, duplicateId: string, survivorId: string, by: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.query<{ status: string }[]>(`SELECT status FROM incidents WHERE id = $1 FOR UPDATE`, [duplicateId]);
    if (!row || row.status === 'resolved' || row.status === 'cancelled') return;
    const at = new Date().toISOString();
    await tx.query(
      `UPDATE incidents SET status = 'resolved', resolved_at = $2, classification = 'duplicate', classification_reason = $3, classified_by = $4, updated_at = now() WHERE id = $1`,
      [duplicateId, at, `duplicate of incident ${survivorId}`, by],
    );
    await insertTimelineEvent(tx, {
      id: `${duplicateId}#resolved-as-duplicate`,
      incidentId: duplicateId,
      sequence: null,
      type: 'incident.resolved',
      occurredAt: at,
      actor: by,
      summary: `Resolved as a duplicate of incident ${survivorId} (its playbook had not started)`,
      data: { duplicateOf: survivorId, reason: 'duplicate' },
    });
  });
}
