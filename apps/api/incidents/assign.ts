import { HttpStatus } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { ApiError, incidentNotFound } from '../common/error.filter';

export interface Assigned {
  incidentId: string;
  assignee: string | null;
  previous: string | null;
  /** False when the incident already was so: nothing written. */
  changed: boolean;
}

export type AssignHow = 'assign' | 'take' | 'unassign';

/**
 * Gives an open incident to a person (assign, take) or to nobody (unassign): the row and its
 * `incident.assigned` timeline event (who did it, from whom to whom, why) in one transaction.
 * The same owner again changes nothing. `assignee` is a people.yaml id, checked by the caller.
 */
export async function setAssignee(db: DataSource, incidentId: string, change: { assignee: string | null; by: string; reason: string | undefined; how: AssignHow }): Promise<Assigned> {
  return db.transaction(async (tx) => {
    const [incident] = await tx.query<{ status: string; assignee: string | null }[]>(`SELECT status, assignee FROM incidents WHERE id = $1 FOR UPDATE`, [incidentId]);
    if (!incident) throw incidentNotFound(incidentId);
    if (incident.status === 'resolved' || incident.status === 'cancelled') {
      throw new ApiError(HttpStatus.CONFLICT, 'incident_closed', `Incident ${incidentId} is already ${incident.status}.`, 'A closed incident keeps the owner it had; a new alert for its entity reopens it or opens a new one.');
    }
    const previous = incident.assignee;
    if (previous === change.assignee) return { incidentId, assignee: previous, previous, changed: false };
    await tx.query(`UPDATE incidents SET assignee = $2, updated_at = now() WHERE id = $1`, [incidentId, change.assignee]);
    const why = change.reason ? `: ${change.reason}` : '';
    const summary =
      change.how === 'take'
        ? `Taken by ${change.by}${previous ? ` (was ${previous})` : ''}${why}`
        : change.assignee === null
          ? `Unassigned from ${previous} by ${change.by}${why}`
          : `Assigned to ${change.assignee} by ${change.by}${previous ? ` (was ${previous})` : ''}${why}`;
    await insertTimelineEvent(tx, {
      id: `${incidentId}#assigned:${randomUUID()}`,
      incidentId,
      sequence: null,
      type: 'incident.assigned',
      occurredAt: new Date().toISOString(),
      actor: change.by,
      summary,
      data: { assignee: change.assignee, previous, reason: change.reason ?? null, how: change.how },
    });
    return { incidentId, assignee: change.assignee, previous, changed: true };
  });
}
