import { HttpStatus } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../../../lib/db/paging-outbox';
import type { TimelineEventType } from '../../../../lib/domain/timeline';
import { insertTimelineEvent } from '../../../../lib/db/timeline-insert';
import { actionItemOfRef, EMPTY_CONTENT, type ReviewContent, type ReviewState } from '../../../../lib/postmortem/review';
import { ApiError, incidentNotFound } from '../../common/error.filter';

/** One revision of a postmortem's review, as stored (postmortem_revisions). */
export interface RevisionRow {
  revision: number;
  state: ReviewState;
  content: ReviewContent;
  lastActionItem: number;
  createdBy: string;
  createdAt: string;
  editedBy: string | null;
  editedAt: string | null;
  submittedBy: string | null;
  submittedAt: string | null;
  publishedAt: string | null;
}

export interface SignOff {
  reviewer: string;
  note: string | null;
  signedAt: string;
}

/** An action item's ticket, as the paging outbox knows it (null: no ticket asked for). */
export interface ActionTicket {
  vendor: string;
  project: string;
  status: string;
  key: string | null;
  url: string | null;
  error: string | null;
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

const COLUMNS = `revision, state, content, last_action_item, created_by, created_at, edited_by, edited_at, submitted_by, submitted_at, published_at`;

type Raw = { revision: number; state: ReviewState; content: ReviewContent; last_action_item: number; created_by: string; created_at: Date; edited_by: string | null; edited_at: Date | null; submitted_by: string | null; submitted_at: Date | null; published_at: Date | null };

function toRow(r: Raw): RevisionRow {
  return {
    revision: r.revision,
    state: r.state,
    content: { ...EMPTY_CONTENT, ...r.content },
    lastActionItem: r.last_action_item,
    createdBy: r.created_by,
    createdAt: iso(r.created_at)!,
    editedBy: r.edited_by,
    editedAt: iso(r.edited_at),
    submittedBy: r.submitted_by,
    submittedAt: iso(r.submitted_at),
    publishedAt: iso(r.published_at),
  };
}

/** Every revision of the incident's postmortem, oldest first. */
export async function revisionsOf(q: Sql, incidentId: string): Promise<RevisionRow[]> {
  const rows = await q.query<Raw[]>(`SELECT ${COLUMNS} FROM postmortem_revisions WHERE incident_id = $1 ORDER BY revision`, [incidentId]);
  return rows.map(toRow);
}

/**
 * Inside a transaction: locks the incident (one review change at a time per postmortem) and
 * answers its latest revision, or null when nobody has written on its postmortem yet.
 */
export async function lockLatest(q: Sql, incidentId: string): Promise<RevisionRow | null> {
  const [incident] = await q.query<{ id: string }[]>(`SELECT id FROM incidents WHERE id = $1 FOR UPDATE`, [incidentId]);
  if (!incident) throw incidentNotFound(incidentId, 'postmortem');
  const [row] = await q.query<Raw[]>(`SELECT ${COLUMNS} FROM postmortem_revisions WHERE incident_id = $1 ORDER BY revision DESC LIMIT 1`, [incidentId]);
  return row ? toRow(row) : null;
}

export async function signOffsOf(q: Sql, incidentId: string, revision: number): Promise<SignOff[]> {
  const rows = await q.query<{ reviewer: string; note: string | null; signed_at: Date }[]>(
    `SELECT reviewer, note, signed_at FROM postmortem_signoffs WHERE incident_id = $1 AND revision = $2 ORDER BY signed_at, reviewer`,
    [incidentId, revision],
  );
  return rows.map((r) => ({ reviewer: r.reviewer, note: r.note, signedAt: iso(r.signed_at)! }));
}

/** The tickets of the incident's action items, by action item id. */
export async function actionTicketsOf(q: Sql, incidentId: string): Promise<Map<number, ActionTicket>> {
  const rows = await q.query<{ ref: string; vendor: string; target: string; status: string; external_id: string | null; external_url: string | null; last_error: string | null }[]>(
    `SELECT ref, vendor, target, status, external_id, external_url, last_error FROM paging_notices WHERE incident_id = $1 AND kind = 'ticket' AND ref LIKE 'action:%'`,
    [incidentId],
  );
  const tickets = new Map<number, ActionTicket>();
  for (const r of rows) {
    const id = actionItemOfRef(r.ref);
    if (id !== null) tickets.set(id, { vendor: r.vendor, project: r.target, status: r.status, key: r.external_id, url: r.external_url, error: r.last_error });
  }
  return tickets;
}

/** A review step on the incident's timeline, in the transaction that made it. */
export async function reviewEvent(q: Sql, incidentId: string, type: Extract<TimelineEventType, `postmortem.${string}`>, actor: string, summary: string, data: Record<string, unknown>): Promise<void> {
  await insertTimelineEvent(q, { id: `${incidentId}#${type}:${randomUUID()}`, incidentId, sequence: null, type, occurredAt: new Date().toISOString(), actor, summary, data });
}

export function published(incidentId: string, revision: number): ApiError {
  return new ApiError(
    HttpStatus.CONFLICT,
    'postmortem_published',
    `Revision ${revision} of the postmortem of incident ${incidentId} is published: it is not edited any more.`,
    `POST /postmortems/${incidentId}/revisions starts revision ${revision + 1} as a draft (a copy to edit); the published one stays as it is.`,
  );
}
