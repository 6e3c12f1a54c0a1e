import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { incidentNotFound } from '../common/error.filter';

export interface Noted {
  incidentId: string;
  noteId: string;
  author: string;
  at: string;
}

/**
 * A responder's note on an incident, open or closed: an `incident.note` timeline event with its
 * author and time, the text (already redacted) kept as written. Append-only: a note is never
 * edited or removed; a correction is another note.
 */
export async function addNote(db: DataSource, incidentId: string, note: { text: string; author: string }): Promise<Noted> {
  return db.transaction(async (tx) => {
    const [incident] = await tx.query<{ id: string }[]>(`SELECT id FROM incidents WHERE id = $1 FOR SHARE`, [incidentId]);
    if (!incident) throw incidentNotFound(incidentId);
    const noteId = randomUUID();
    const at = new Date().toISOString();
    await insertTimelineEvent(tx, {
      id: `${incidentId}#note:${noteId}`,
      incidentId,
      sequence: null,
      type: 'incident.note',
      occurredAt: at,
      actor: note.author,
      summary: `Note by ${note.author}: ${note.text}`,
      data: { noteId, author: note.author, text: note.text },
    });
    return { incidentId, noteId, author: note.author, at };
  });
}
