import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import type { Severity } from '../../../lib/domain/incident';
import { incidentNotFound } from '../common/error.filter';

export interface IncidentEdit {
  tags?: string[];
  severity?: Severity;
  title?: string;
}

export interface FieldChange {
  field: 'tags' | 'severity' | 'title';
  from: string | string[];
  to: string | string[];
}

/**
 * Tags, severity and title changed by hand: the row, and an `incident.updated` timeline event
 * per field that changed (who, from, to, why), in one transaction. A field given as it already
 * is changes nothing. Tags are kept sorted and once each.
 */
export async function updateIncident(db: DataSource, incidentId: string, edit: IncidentEdit, by: string, reason: string): Promise<{ incidentId: string; changes: FieldChange[] }> {
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ tags: string[]; severity: Severity; title: string }[]>(`SELECT tags, severity, title FROM incidents WHERE id = $1 FOR UPDATE`, [incidentId]);
    if (!row) throw incidentNotFound(incidentId);
    const changes: FieldChange[] = [];
    const tags = edit.tags && [...new Set(edit.tags)].sort();
    if (tags && tags.join('\n') !== [...row.tags].sort().join('\n')) changes.push({ field: 'tags', from: row.tags, to: tags });
    if (edit.severity && edit.severity !== row.severity) changes.push({ field: 'severity', from: row.severity, to: edit.severity });
    if (edit.title && edit.title !== row.title) changes.push({ field: 'title', from: row.title, to: edit.title });
    if (changes.length === 0) return { incidentId, changes };

    const value = (f: FieldChange['field']) => changes.find((c) => c.field === f)?.to;
    await tx.query(
      `UPDATE incidents SET tags = COALESCE($2::text[], tags), severity = COALESCE($3, severity), title = COALESCE($4, title), updated_at = now() WHERE id = $1`,
      [incidentId, value('tags') ?? null, value('severity') ?? null, value('title') ?? null],
    );
    const at = new Date().toISOString();
    const shown = (v: string | string[]) => (Array.isArray(v) ? (v.length ? v.join(', ') : 'none') : v);
    for (const c of changes) {
      await insertTimelineEvent(tx, {
        id: `${incidentId}#updated:${randomUUID()}`,
        incidentId,
        sequence: null,
        type: 'incident.updated',
        occurredAt: at,
        actor: by,
        summary: `${c.field[0].toUpperCase()}${c.field.slice(1)} changed from ${shown(c.from)} to ${shown(c.to)} by ${by}: ${reason}`,
        data: { field: c.field, from: c.from, to: c.to, reason },
      });
    }
    return { incidentId, changes };
  });
}
