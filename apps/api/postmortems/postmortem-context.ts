import type { Sql } from '../../../lib/db/paging-outbox';
import type { PostmortemLinkedIncident, PostmortemLinks, PostmortemReviewState } from '../../../lib/postmortem/model';
import { LINK_RELATIONS, linksOf, type IncidentLink } from '../incidents/link-incidents';
import { revisionsOf, signOffsOf } from './review/review-store';

const RELATED: readonly string[] = LINK_RELATIONS;

/**
 * The incident's links as its postmortem shows them: the survivor it was merged into
 * (`incidents.duplicate_of`), the duplicates merged into it (theirs pointing here), and its
 * other links (incident_links), each with who linked or merged it and why where recorded.
 */
export async function postmortemLinksOf(q: Sql, incident: { id: string; duplicateOf: string | null }): Promise<PostmortemLinks> {
  const links = await linksOf(q, incident.id);
  const recorded = (id: string, relation: string) => links.find((l) => l.incidentId === id && l.relation === relation);
  const shown = (l: Pick<IncidentLink, 'incidentId' | 'title' | 'status'>, relation: string): PostmortemLinkedIncident => {
    const link = recorded(l.incidentId, relation);
    return { incidentId: l.incidentId, relation, title: l.title, status: l.status, reason: link?.reason ?? null, by: link?.createdBy ?? null, at: link?.createdAt ?? null };
  };
  const rows = await q.query<{ id: string; title: string; status: string; survivor: boolean }[]>(
    `SELECT id, title, status, id = $2 AS survivor FROM incidents WHERE id = $2 OR duplicate_of = $1 ORDER BY updated_at, id`,
    [incident.id, incident.duplicateOf],
  );
  const survivor = rows.find((r) => r.survivor);
  return {
    duplicateOf: survivor ? shown({ incidentId: survivor.id, title: survivor.title, status: survivor.status }, 'duplicate-of') : null,
    mergedIn: rows.filter((r) => !r.survivor).map((r) => shown({ incidentId: r.id, title: r.title, status: r.status }, 'duplicated-by')),
    related: links.filter((l) => RELATED.includes(l.relation)).map((l) => shown(l, l.relation)),
  };
}

/** The review's current revision, its sign-offs and the latest published one; null when nobody has written on the postmortem. */
export async function reviewStateOf(q: Sql, incidentId: string): Promise<PostmortemReviewState | null> {
  const revisions = await revisionsOf(q, incidentId);
  const current = revisions.at(-1);
  if (!current) return null;
  const published = [...revisions].reverse().find((r) => r.state === 'published');
  const signOffs = await signOffsOf(q, incidentId, current.revision);
  return {
    state: current.state,
    revision: current.revision,
    signOffs: signOffs.map((s) => ({ reviewer: s.reviewer, signedAt: s.signedAt })),
    published: published ? { revision: published.revision, publishedAt: published.publishedAt! } : null,
  };
}
