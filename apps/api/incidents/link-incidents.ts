import { HttpStatus } from '@nestjs/common';
import type { Sql } from '../../../lib/db/paging-outbox';
import { insertTimelineEvent } from '../../../lib/db/timeline-insert';
import { ApiError, incidentNotFound, namedIncidentNotFound } from '../common/error.filter';

/** How a responder may link two incidents. A merge records `duplicate-of` (POST /incidents/:id/merge). */
export const LINK_RELATIONS = ['related', 'caused-by', 'causes'] as const;
export type LinkRelation = (typeof LINK_RELATIONS)[number] | 'duplicate-of' | 'duplicated-by';

/** The relation as the other incident sees it. */
const INVERSE: Record<LinkRelation, LinkRelation> = { related: 'related', 'caused-by': 'causes', causes: 'caused-by', 'duplicate-of': 'duplicated-by', 'duplicated-by': 'duplicate-of' };

export interface IncidentLink {
  incidentId: string;
  /** From this incident's side: `caused-by` means this one was caused by the other. */
  relation: string;
  title: string;
  status: string;
  reason: string | null;
  createdBy: string;
  createdAt: string;
}

export interface Linked {
  incidentId: string;
  linkedId: string;
  relation: LinkRelation;
  created: boolean;
}

/**
 * Links two incidents (inside the caller's transaction): one row for the pair, whichever way
 * it was asked, and both timelines say so. Linking a pair again changes nothing and answers
 * the existing link (`created: false`).
 */
export async function linkIncidents(tx: Sql, incidentId: string, linkedId: string, relation: LinkRelation, by: string, reason: string | null): Promise<Linked> {
  if (incidentId === linkedId) throw new ApiError(HttpStatus.BAD_REQUEST, 'self_link', 'An incident cannot be linked to itself.', 'Name another incident in incidentId.');
  // Both rows locked in id order: two links of one pair asked at once (either way round) agree.
  const rows = await tx.query<{ id: string; title: string }[]>(`SELECT id, title FROM incidents WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [[incidentId, linkedId]]);
  if (!rows.some((r) => r.id === incidentId)) throw incidentNotFound(incidentId);
  if (!rows.some((r) => r.id === linkedId)) throw namedIncidentNotFound(linkedId, 'incidentId');
  const [existing] = await tx.query<{ incident_id: string; linked_id: string; relation: LinkRelation }[]>(
    `SELECT incident_id, linked_id, relation FROM incident_links WHERE (incident_id = $1 AND linked_id = $2) OR (incident_id = $2 AND linked_id = $1)`,
    [incidentId, linkedId],
  );
  if (existing) {
    const mine = existing.incident_id === incidentId;
    return { incidentId, linkedId, relation: mine ? existing.relation : INVERSE[existing.relation], created: false };
  }
  await tx.query(`INSERT INTO incident_links (incident_id, linked_id, relation, reason, created_by) VALUES ($1, $2, $3, $4, $5)`, [incidentId, linkedId, relation, reason, by]);
  const title = (id: string) => rows.find((r) => r.id === id)!.title;
  const at = new Date().toISOString();
  const why = reason ? `: ${reason}` : '';
  for (const [self, other, rel] of [
    [incidentId, linkedId, relation],
    [linkedId, incidentId, INVERSE[relation]],
  ] as const) {
    await insertTimelineEvent(tx, {
      id: `${self}#linked:${other}`,
      incidentId: self,
      sequence: null,
      type: 'incident.linked',
      occurredAt: at,
      actor: by,
      summary: `Linked by ${by} to incident ${other} "${title(other)}" (${rel})${why}`,
      data: { linkedId: other, relation: rel, reason },
    });
  }
  return { incidentId, linkedId, relation, created: true };
}

/** An incident's links, from its side, oldest first. */
export async function linksOf(q: Sql, incidentId: string): Promise<IncidentLink[]> {
  const rows = await q.query<{ other: string; relation: LinkRelation; mine: boolean; title: string; status: string; reason: string | null; created_by: string; created_at: Date }[]>(
    `SELECT CASE WHEN l.incident_id = $1 THEN l.linked_id ELSE l.incident_id END AS other, l.relation, l.incident_id = $1 AS mine,
            i.title, i.status, l.reason, l.created_by, l.created_at
     FROM incident_links l JOIN incidents i ON i.id = CASE WHEN l.incident_id = $1 THEN l.linked_id ELSE l.incident_id END
     WHERE l.incident_id = $1 OR l.linked_id = $1 ORDER BY l.created_at, other`,
    [incidentId],
  );
  return rows.map((r) => ({
    incidentId: r.other,
    relation: r.mine ? r.relation : INVERSE[r.relation],
    title: r.title,
    status: r.status,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
