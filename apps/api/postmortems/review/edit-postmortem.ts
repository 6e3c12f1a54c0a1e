import { HttpStatus } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { enqueueActionItemTickets } from '../../../../lib/db/action-item-tickets';
import { applyEdit, diffContent, EMPTY_CONTENT, type ReviewEdit } from '../../../../lib/postmortem/review';
import { ApiError } from '../../common/error.filter';
import { lockLatest, published, reviewEvent } from './review-store';

/**
 * A responder writes on the postmortem. The first edit opens revision 1 as a draft. A draft or a
 * revision in review takes the edit (in review, its sign-offs are withdrawn: they signed other
 * words); a published revision refuses it (postmortem_published), and a new revision is the way
 * on. In review, new action items are queued as tickets at once.
 */
export async function editPostmortem(db: DataSource, incidentId: string, edit: ReviewEdit, by: string): Promise<{ revision: number; state: string; withdrawnSignOffs: number }> {
  return db.transaction(async (tx) => {
    let latest = await lockLatest(tx, incidentId);
    if (latest?.state === 'published') throw published(incidentId, latest.revision);
    if (!latest) {
      await tx.query(`INSERT INTO postmortem_revisions (incident_id, revision, state, content, created_by) VALUES ($1, 1, 'draft', $2::jsonb, $3)`, [incidentId, JSON.stringify(EMPTY_CONTENT), by]);
      await reviewEvent(tx, incidentId, 'postmortem.drafted', by, `${by} started the postmortem (revision 1, draft)`, { revision: 1 });
      latest = { revision: 1, state: 'draft', content: EMPTY_CONTENT, lastActionItem: 0 } as NonNullable<typeof latest>;
    }
    const { content, unknownIds } = applyEdit(latest.content, edit, latest.lastActionItem);
    if (unknownIds.length > 0) {
      throw new ApiError(
        HttpStatus.BAD_REQUEST,
        'unknown_action_item',
        `Action item id ${unknownIds.join(', ')} is not on revision ${latest.revision}.`,
        'Leave out `id` for a new action item; GET /postmortems/:id lists the current ones with their ids.',
      );
    }
    const lastActionItem = Math.max(latest.lastActionItem, ...content.actionItems.map((a) => a.id));
    await tx.query(
      `UPDATE postmortem_revisions SET content = $3::jsonb, last_action_item = $4, edited_by = $5, edited_at = now() WHERE incident_id = $1 AND revision = $2`,
      [incidentId, latest.revision, JSON.stringify(content), lastActionItem, by],
    );
    // As a SELECT: TypeORM answers a bare DELETE … RETURNING with [rows, count].
    const withdrawn = await tx.query<{ reviewer: string }[]>(
      `WITH gone AS (DELETE FROM postmortem_signoffs WHERE incident_id = $1 AND revision = $2 RETURNING reviewer) SELECT reviewer FROM gone`,
      [incidentId, latest.revision],
    );
    const changed = diffContent(latest.content, content).map((c) => c.field);
    const also = withdrawn.length > 0 ? `; sign-offs withdrawn: ${withdrawn.map((w) => w.reviewer).join(', ')}` : '';
    await reviewEvent(tx, incidentId, 'postmortem.edited', by, `${by} edited the postmortem (revision ${latest.revision}: ${changed.join(', ') || 'no change'})${also}`, {
      revision: latest.revision,
      changed,
      withdrawnSignOffs: withdrawn.map((w) => w.reviewer),
    });
    // Only the items this edit adds: the others were queued at submit (or by an earlier edit). Asking
    // again for those would wait on their notice rows while the outbox sender holds them, and the
    // sender then waits on this incident's row for its timeline event: a deadlock (CI saw a 500).
    const added = content.actionItems.filter((a) => a.id > latest.lastActionItem);
    if (latest.state === 'in_review' && added.length > 0) await enqueueActionItemTickets(tx, incidentId, added);
    return { revision: latest.revision, state: latest.state, withdrawnSignOffs: withdrawn.length };
  });
}
