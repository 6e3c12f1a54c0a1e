import type { Sql } from './paging-outbox';

const ATTEMPTS = 5;

export interface TimelineRow {
  id: string;
  incidentId: string;
  /** The sequence the writer wants (a run's own counter), or null: the next free one. */
  sequence: number | null;
  type: string;
  occurredAt: string;
  actor: string;
  summary: string;
  data: Record<string, unknown>;
}

/**
 * Inserts a timeline event once (by id). A run's event takes the sequence its run counts; an
 * event written from outside the run (a vendor's acknowledgement, a page the sender delivered)
 * takes the next free one, and a run's event whose place such an event took goes after the
 * last. So a run and the API can both write one incident's timeline without either losing an
 * event, and the order stays the order of writing.
 */
export async function insertTimelineEvent(q: Sql, e: TimelineRow): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    // No error on a sequence another writer took meanwhile (DO NOTHING on any conflict): inside a
    // transaction (a responder's action with its change) an error would abort it, and the retry
    // with it. A row that did not go in is either there already (by id) or is tried again.
    const inserted = await q.query<unknown[]>(
      `INSERT INTO timeline_events (id, incident_id, sequence, type, occurred_at, actor, summary, data)
       SELECT $1, $2,
              CASE WHEN $3::int IS NOT NULL AND NOT EXISTS (SELECT 1 FROM timeline_events WHERE incident_id = $2 AND sequence = $3::int)
                   THEN $3::int
                   ELSE (SELECT COALESCE(max(sequence), 0) + 1 FROM timeline_events WHERE incident_id = $2) END,
              $4, $5, $6, $7, $8
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [e.id, e.incidentId, e.sequence, e.type, e.occurredAt, e.actor, e.summary, JSON.stringify(e.data)],
    );
    if (inserted.length > 0) return;
    const [there] = await q.query<unknown[]>(`SELECT 1 FROM timeline_events WHERE id = $1`, [e.id]);
    if (there) return;
    if (attempt >= ATTEMPTS) throw new TimelineBusy(e.incidentId, ATTEMPTS);
  }
}

/** Other writers took the next sequence of this incident's timeline every time this one tried. */
export class TimelineBusy extends Error {
  constructor(incidentId: string, attempts: number) {
    super(`timeline of incident ${incidentId}: the next sequence was taken by another writer ${attempts} times in a row`);
    this.name = 'TimelineBusy';
  }
}
